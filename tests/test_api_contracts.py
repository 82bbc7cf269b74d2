"""Income contracts, receivables and the budget over HTTP and on the command line; the
receivables endpoint on both backends."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main
from api.settings import Settings
from ledger import chart, journal
from ledger.books import Books
from ledger.schemas import TransactionIn
from rules.community import create
from rules.contracts import ContractIn, add
from tests.api_helpers import Login, api
from tests.conftest import BOOKS_START, txn
from tests.rules_helpers import add_resolution
from tests.test_api_cli import commons
from tests.test_api_cli import community as cli_community
from tests.test_rules_contracts import ADS, VOTED

ROOMS = {
    **ADS,
    "number": "C-2025-02",
    "space": "公共用房 101",
    "kind": "room",
    "deposit": "0.00",
    "schedule": {"every": "quarter", "amount": "5000.00", "due_day": 10},
    "income_account": chart.INCOME_ROOMS,
}


def _opening(books: Books, slug: str) -> None:
    journal.post(
        books=books,
        slug=slug,
        draft=txn("50000.00", credit=chart.OPENING, kind="opening", day=date(2024, 12, 31)),
        actor="treasurer",
    )
    add_resolution(
        books,
        slug,
        "2025-02",
        matter=8,
        purpose=(),
        budget="0.00",
        voted_on=VOTED,
        effective_from=VOTED,
    )


def test_contracts_receipts_and_receivables_over_http(
    client: TestClient, members: dict[str, Login], api_books: Books
) -> None:
    from tests.api_helpers import SLUG

    _opening(api_books, SLUG)
    made = client.post(f"{api()}/contracts", json=ROOMS, headers=members["treasurer"].bearer)
    assert made.status_code == 201, made.text
    assert made.json()["compliant"] is True
    flagged = client.post(
        f"{api()}/contracts",
        json={**ADS, "resolution": None},
        headers=members["admin"].bearer,
    )
    assert flagged.status_code == 201
    assert flagged.json()["compliant"] is False
    assert flagged.json()["issues"] == [
        "没有业主决议批准将共有部分用于经营（《民法典》第二百七十八条第一款第（八）项，须 3/4）"
    ]
    listed = client.get(f"{api()}/contracts", headers=members["auditor"].bearer).json()
    assert [c["number"] for c in listed] == ["C-2025-01", "C-2025-02"]
    assert [c["issues"] for c in listed] == [flagged.json()["issues"], []]
    english = client.get(f"{api()}/contracts?lang=en", headers=members["auditor"].bearer).json()
    assert [c["issues"] for c in english] == [
        ["no resolution approves this business use of a common part (民法典 art. 278 (八), 3/4)"],
        [],
    ]

    receipt = {
        "date": "2025-01-10",
        "narration": "第1季度公共用房租金",
        "kind": "income",
        "postings": [
            {"account": chart.BANK, "amount": "5000.00"},
            {"account": chart.INCOME_ROOMS, "amount": "-5000.00"},
        ],
        "contract": "C-2025-02",
    }
    posted = client.post(f"{api()}/transactions", json=receipt, headers=members["treasurer"].bearer)
    assert posted.status_code == 201, posted.text
    assert posted.json()["contract"] == "C-2025-02"
    unknown = client.post(
        f"{api()}/transactions",
        json={**receipt, "contract": "C-404"},
        headers=members["treasurer"].bearer,
    )
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["field"] == "contract"
    assert unknown.json()["detail"][0]["rule"] == "contract-unknown"

    owed = client.get(
        f"{api()}/receivables", params={"date": "2025-05-01"}, headers=members["supervisor"].bearer
    )
    assert owed.status_code == 200
    body = owed.json()
    assert body["date"] == "2025-05-01"
    rooms = next(c for c in body["contracts"] if c["number"] == "C-2025-02")
    assert (rooms["due"], rooms["received"], rooms["overdue"]) == ("10000.00", "5000.00", "5000.00")
    assert rooms["ageing"]["0-30"] == "5000.00"  # Q2's rent, due 04-10, 21 days late
    assert rooms["compliant"] is True


def test_a_bad_contract_or_budget_over_http_names_the_field(
    client: TestClient, members: dict[str, Login], api_books: Books
) -> None:
    from tests.api_helpers import SLUG

    _opening(api_books, SLUG)
    bad = client.post(
        f"{api()}/contracts",
        json={**ROOMS, "end": "2025-05-31"},
        headers=members["treasurer"].bearer,
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "schedule.every"
    assert client.get(f"{api()}/contracts", headers=members["treasurer"].bearer).json() == []
    budget = {
        "year": 2025,
        "resolution": "2025-02",
        "lines": [{"account": "Expenses:9-nope", "period": "2025Q1", "amount": "1.00"}],
    }
    refused = client.post(f"{api()}/budgets", json=budget, headers=members["approver"].bearer)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["field"] == "lines[0].account"
    good = {
        **budget,
        "lines": [{"account": chart.COST_DIRECT, "period": "2025Q1", "amount": "10.00"}],
    }
    adopted = client.post(f"{api()}/budgets", json=good, headers=members["approver"].bearer)
    assert adopted.status_code == 201, adopted.text
    actual = client.get(f"{api()}/budgets/2025/actual", headers=members["auditor"].bearer)
    assert actual.json() == {
        "year": 2025,
        "lines": [
            {
                "account": chart.COST_DIRECT,
                "period": "2025Q1",
                "budget": "10.00",
                "actual": "0.00",
                "variance": "-10.00",
            }
        ],
    }


@pytest.mark.pg
def test_receivables_on_both_backends(any_books: Books) -> None:
    create(books=any_books, slug="maple", name="枫林苑", start=BOOKS_START)
    _opening(any_books, "maple")
    add(books=any_books, slug="maple", body=ContractIn.model_validate(ROOMS), actor="t")
    draft = TransactionIn.model_validate(
        {
            "date": "2025-01-12",
            "narration": "房租",
            "kind": "income",
            "postings": [
                {"account": chart.BANK, "amount": "5000.00"},
                {"account": chart.INCOME_ROOMS, "amount": "-5000.00"},
            ],
            "contract": "C-2025-02",
        }
    )
    journal.post(books=any_books, slug="maple", draft=draft, actor="t")
    from rules.contracts import receivables

    out = receivables(books=any_books, slug="maple", on=date(2025, 5, 1))
    (row,) = out["contracts"]
    assert (row["due"], row["received"], row["overdue"]) == ("10000.00", "5000.00", "5000.00")
    assert row["ageing"] == {"0-30": "5000.00", "31-90": "0.00", "91-180": "0.00", "180+": "0.00"}


def test_the_command_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    cli_community(data)
    assert (
        commons(
            data, "user", "add", "chair", "--community", "maple", "--role", "approver", "--no-token"
        )[0]
        == 0
    )
    file = tmp_path / "c.json"
    file.write_text(json.dumps({**ADS, "resolution": None}, ensure_ascii=False), encoding="utf-8")
    code, out = commons(data, "contracts", "add", "maple", "--file", str(file), "--as", "li")
    assert code == 0, out
    assert out.startswith(
        "contract C-2025-01 registered (NOT compliant: no resolution approves this business use"
    )
    other = tmp_path / "d.json"
    other.write_text(
        json.dumps({**ADS, "number": "C-2025-02", "space": "入口广告牌", "resolution": "2099-01"}),
        encoding="utf-8",
    )
    add_other = ["contracts", "add", "maple", "--file", str(other), "--as", "li"]
    chinese = CliRunner().invoke(main, ["--lang", "zh", "--data", str(data), *add_other])
    assert chinese.exit_code == 0, chinese.output
    assert chinese.output == "合同 C-2025-02 已登记（不合规：决议 2099-01 不在决议登记中）\n"
    code, out = commons(data, "contracts", "add", "maple", "--file", str(file), "--as", "li")
    assert code != 0 and "contract-number" in out
    code, out = commons(data, "contracts", "list", "maple")
    assert json.loads(out)[0]["number"] == "C-2025-01"
    code, out = commons(data, "receivables", "maple", "--date", "2025-02-01")
    assert json.loads(out)["contracts"][0]["overdue"] == "6000.00"
    budget: dict[str, Any] = {
        "year": 2025,
        "resolution": "2025-77",
        "lines": [{"account": chart.COST_DIRECT, "period": "2025Q1", "amount": "10.00"}],
    }
    file.write_text(json.dumps(budget, ensure_ascii=False), encoding="utf-8")
    code, out = commons(data, "budget", "set", "maple", "--file", str(file), "--as", "chair")
    assert code != 0 and "resolution" in out
    code, out = commons(data, "budget", "set", "maple", "--file", str(file), "--as", "li")
    assert code == 2  # a treasurer does not adopt budgets
    code, out = commons(data, "budget", "actual", "maple", "2025")
    assert json.loads(out) == {"year": 2025, "lines": []}


def test_the_app_lists_the_new_routes(api_settings: Settings) -> None:
    paths = create_app(api_settings).openapi()["paths"]
    for path in ("/contracts", "/receivables", "/budgets", "/budgets/{year}/actual"):
        assert f"/api/v1/communities/{{slug}}{path}" in paths
