"""Chinese first, English too: the API's refusals in Chinese by default, in English with
``Accept-Language: en`` or ``?lang=en`` (the query wins); the same ``rule``, ``field`` and
numbers in ``details`` either way. The CLI by ``--lang`` or ``LANG``; the entry page's reasons
in Chinese."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.cli import main
from api.users import Role, add_member
from ledger import chart, journal
from ledger.books import Books
from tests.api_helpers import SLUG, Login, api, login, spend, txn
from tests.conftest import txn as draft

EN = {"Accept-Language": "en-US,en;q=0.9"}


def _q1(books: Books, top_up: str) -> None:
    """2025Q1: 10,000.00 parking income, 2,000.00 manager's share, ``top_up`` set aside, so
    net common income is 8,000.00 and Shanghai art. 51 wants more than 4,000.00."""
    for entry in (
        draft("10000.00", day=date(2025, 1, 5)),
        draft(
            "2000.00",
            debit=chart.COST_MANAGER_SHARE,
            credit=chart.BANK,
            kind="cost",
            day=date(2025, 2, 20),
        ),
        draft(
            top_up,
            debit=chart.USE_MAINTENANCE,
            credit=chart.BANK,
            kind="reserve",
            day=date(2025, 3, 28),
        ),
    ):
        result = journal.post(books=books, slug=SLUG, draft=entry, actor="t")
        if result.pending:
            journal.approve(books=books, slug=SLUG, entry_id=result.entry.id, actor="chair")


def _three(client: TestClient, method: str, path: str, **kwargs: Any) -> list[dict[str, Any]]:
    """The first problem of one refusal asked three ways: by default, with Accept-Language:
    en, with ?lang=en (over Accept-Language: zh). The same rule, field and details."""
    headers = kwargs.pop("headers", {})
    answers = [
        client.request(method, path, headers=headers, **kwargs),
        client.request(method, path, headers={**headers, **EN}, **kwargs),
        client.request(
            method,
            path,
            headers={**headers, "Accept-Language": "zh-CN"},
            params={"lang": "en"},
            **kwargs,
        ),
    ]
    status = {a.status_code for a in answers}
    assert len(status) == 1 and status.pop() >= 400, [a.text for a in answers]
    zh, en, query = (a.json()["detail"][0] for a in answers)
    for other in (en, query):
        assert (other["rule"], other["field"], other["details"]) == (
            zh["rule"],
            zh["field"],
            zh["details"],
        )
    assert en["message"] == query["message"] != zh["message"]
    return [zh, en]


def test_an_overdraft_in_chinese_and_english(client: TestClient, members: dict[str, Login]) -> None:
    treasurer = members["treasurer"].bearer
    assert client.post(
        f"{api()}/transactions", json=txn("50.00", "in"), headers=treasurer
    ).is_success
    zh, en = _three(
        client, "POST", f"{api()}/transactions", json=spend("80.00", "out"), headers=treasurer
    )
    assert zh["rule"] == "no-overdraft" and zh["details"]["balance"] == "50.00"
    assert zh["message"].startswith("不得透支：")
    assert "余额 50.00 元" in zh["message"] and "差额 30.00 元" in zh["message"]
    assert "《民法典》第二百八十三条" in zh["message"]
    assert en["message"].startswith("no overdraft: ")
    assert "balance 50.00" in en["message"] and "shortfall 30.00" in en["message"]
    assert "民法典 art. 283" in en["message"]


def test_the_reserve_share_refusal_cites_shanghai_in_chinese(
    client: TestClient, members: dict[str, Login], api_books: Books
) -> None:
    _q1(api_books, "4000.00")  # exactly half: Shanghai wants more than half
    zh, en = _three(
        client, "POST", f"{api()}/periods/2025Q1/close", headers=members["approver"].bearer
    )
    assert zh["rule"] == "reserve-share" and zh["details"]["shortfall"] == "0.01"
    assert zh["message"] == (
        "提取维修资金：2025Q1 须将共有净收益 8,000.00 元的超过 50%（4,000.00 元）转入维修资金；"
        "已转入 4,000.00 元，差额 0.01 元（《上海市住宅物业管理规定》第五十一条）"
    )
    assert en["message"] == (
        "reserve for the maintenance fund: 2025Q1 must set aside more than 50% of its net "
        "common income 8,000.00 (4,000.00); set aside 4,000.00, shortfall 0.01 "
        "(Shanghai 住宅物业管理规定 art. 51)"
    )


def test_four_eyes_and_a_closed_period(
    client: TestClient, members: dict[str, Login], api_books: Books
) -> None:
    both = members["both"].bearer
    client.post(f"{api()}/transactions", json=txn("20000.00", "in"), headers=both)
    entry = client.post(f"{api()}/transactions", json=spend("8000.00", "out"), headers=both).json()
    zh, en = _three(client, "POST", f"{api()}/transactions/{entry['id']}/approve", headers=both)
    assert zh["rule"] == "four-eyes"
    assert (
        zh["message"] == "both 录入了这笔交易，不能再由其本人审批；须由另一位委员审批（四眼原则）"
    )
    assert en["message"].startswith("both entered this transaction and cannot also approve it")

    _q1(api_books, "5000.00")
    closed = client.post(f"{api()}/periods/2025Q1/close", headers=members["approver"].bearer)
    assert closed.status_code == 200, closed.text
    late = txn("1.00", None, day="2025-03-01")
    zh, en = _three(
        client, "POST", f"{api()}/transactions", json=late, headers=members["treasurer"].bearer
    )
    assert zh["rule"] == "closed-period" and zh["details"]["period"] == "2025Q1"
    assert zh["message"].startswith("已结账期间：该交易日期为 2025-03-01，在已结账期间 2025Q1")
    assert "《上海市住宅物业管理规定》第六十六条" in zh["message"]
    assert en["message"].startswith(
        "closed period: the transaction is dated 2025-03-01, inside the closed period 2025Q1"
    )


def test_an_unknown_account_and_three_decimals_name_the_field(
    client: TestClient, members: dict[str, Login]
) -> None:
    treasurer = members["treasurer"].bearer
    body = txn("10.00", "t")
    body["postings"][1] = {"account": "Income:Nowhere", "amount": "-10.00"}
    zh, en = _three(client, "POST", f"{api()}/transactions", json=body, headers=treasurer)
    assert zh["rule"] == "known-account" and zh["field"] == "postings[1].account"
    assert zh["message"] == "未知科目 'Income:Nowhere'"
    assert en["message"] == "unknown account 'Income:Nowhere'"

    body = txn("10.00", "t")
    body["postings"][0]["amount"] = "10.005"
    zh, en = _three(client, "POST", f"{api()}/transactions", json=body, headers=treasurer)
    assert zh["field"] == "postings[0].amount" and zh["details"] == {"input": "10.005"}
    assert zh["message"] == "postings[0].amount：最多两位小数（分）：'10.005'"
    assert en["message"] == "postings[0].amount: at most two decimal places (fen): '10.005'"


def test_malformed_json_missing_and_extra_fields(
    client: TestClient, members: dict[str, Login]
) -> None:
    headers = {**members["treasurer"].bearer, "Content-Type": "application/json"}
    zh, en = _three(
        client, "POST", f"{api()}/transactions", content=b'{"date": "2025-', headers=headers
    )
    assert zh["rule"] == "json_invalid"
    assert zh["message"].startswith("请求体不是有效的 JSON：")
    assert en["message"].startswith("the body is not valid JSON: ")

    body = txn("10.00", "t")
    del body["date"]
    body["colour"] = "red"
    answer = client.post(f"{api()}/transactions", json=body, headers=members["treasurer"].bearer)
    english = client.post(
        f"{api()}/transactions", json=body, headers={**members["treasurer"].bearer, **EN}
    )
    zh_words = {p["rule"]: p["message"] for p in answer.json()["detail"]}
    en_words = {p["rule"]: p["message"] for p in english.json()["detail"]}
    assert zh_words["missing"] == "缺少必填字段 date"
    assert en_words["missing"] == "date is required but missing"
    assert zh_words["extra_forbidden"] == "colour 不是可接受的字段"
    assert en_words["extra_forbidden"] == "colour is not a field this accepts"


def test_auth_and_not_found_refusals_follow_the_reader(
    client: TestClient, members: dict[str, Login]
) -> None:
    zh, en = _three(client, "GET", f"{api()}/balances")
    assert zh["rule"] == "auth" and zh["message"] == "请登录或发送 API 令牌"
    assert en["message"] == "log in or send an API token"
    zh, en = _three(
        client, "GET", f"{api('nowhere')}/transactions", headers=members["treasurer"].bearer
    )
    assert zh["message"] == "没有小区 'nowhere'" and en["message"] == "no community 'nowhere'"


def _close_args(books: Books) -> tuple[CliRunner, list[str]]:
    chair = add_member(books=books, username="chair", slug=SLUG, role=Role.APPROVER)
    return CliRunner(env={"COMMONS_TOKEN": chair.token}), [
        "--data",
        str(books.data_dir),
        "close",
        SLUG,
        "2025Q1",
        "--as",
        "chair",
    ]


@pytest.fixture
def maple(books: Books, community: str) -> Books:
    assert community == SLUG
    _q1(books, "4000.00")
    return books


def test_the_cli_speaks_lang_then_its_option(maple: Books) -> None:
    runner, args = _close_args(maple)
    locale = {"LC_ALL": None, "LC_MESSAGES": None}
    chinese = runner.invoke(main, args, env={**locale, "LANG": "zh_CN.UTF-8"})
    assert chinese.exit_code == 1
    assert "已拒绝（422 无法处理）：" in chinese.output
    assert "Unprocessable" not in chinese.output
    assert "(reserve-share) 提取维修资金：2025Q1" in chinese.output
    assert "差额 0.01 元（《上海市住宅物业管理规定》第五十一条）" in chinese.output
    english = runner.invoke(main, ["--lang", "en", *args], env={**locale, "LANG": "zh_CN.UTF-8"})
    assert english.exit_code == 1
    assert "refused (422 Unprocessable Entity):" in english.output
    assert "shortfall 0.01 (Shanghai 住宅物业管理规定 art. 51)" in english.output
    by_locale = runner.invoke(main, args, env={**locale, "LANG": "en_GB.UTF-8"})
    assert by_locale.output == english.output
    # No language in the locale (C): the community default, Chinese.
    plain = runner.invoke(main, args, env={**locale, "LANG": "C.UTF-8"})
    assert plain.output == chinese.output


def test_the_cli_words_validation_errors_and_successes(maple: Books, tmp_path: Path) -> None:
    body = draft("10.00", day=date(2025, 4, 2)).model_dump(mode="json")
    body["postings"][0]["amount"] = "10.005"
    file = tmp_path / "t.json"
    file.write_text(json.dumps(body), encoding="utf-8")
    treasurer = add_member(books=maple, username="tess", slug=SLUG, role=Role.TREASURER)
    runner = CliRunner(
        env={"COMMONS_TOKEN": treasurer.token, "LC_ALL": None, "LC_MESSAGES": None, "LANG": None}
    )
    base = ["--data", str(maple.data_dir)]
    post = ["post", SLUG, "--file", str(file), "--as", "tess"]
    zh = runner.invoke(main, [*base, "--lang", "zh", *post])
    assert zh.exit_code == 1
    assert "已拒绝（422）：文件无效：" in zh.output
    assert "t.json:1: postings.0.amount：最多两位小数（分）：'10.005'" in zh.output
    en = runner.invoke(main, [*base, "--lang", "en", *post])
    assert "t.json:1: postings.0.amount: at most two decimal places (fen): '10.005'" in en.output
    revoked = runner.invoke(main, [*base, "user", "revoke-token", "tess"])
    assert revoked.exit_code == 0 and revoked.output == "已撤销 tess 的 1 个令牌\n"


def test_the_entry_page_gives_its_reasons_in_chinese(
    client: TestClient, members: dict[str, Login]
) -> None:
    from tests.test_api_entry import _form

    login(client, members["treasurer"])
    page = client.get(f"/entry/{SLUG}").text
    costly = _form(page, preset="other-cost", amount="80.00")
    refused = client.post(f"/entry/{SLUG}", data=costly)
    assert refused.status_code == 422
    assert "不得透支：" in refused.text and "差额 80.00 元" in refused.text
    assert "no overdraft" not in refused.text
    assert "[no-overdraft]" in refused.text
    signed = client.post(f"/entry/{SLUG}", data=_form(page, amount="-5.00"))
    assert "请输入不带正负号的金额" in signed.text
    english = client.post(f"/entry/{SLUG}", data=costly, headers=EN)
    assert "no overdraft: " in english.text and "shortfall 80.00" in english.text
