"""The treasurer's entry page: presets, unsigned amounts signed by the page, refusals in words
next to the form, CSRF, and the approvers' pending list with approve and reject buttons."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from fastapi.testclient import TestClient

from api.routes_entry import PRESETS
from api.sessions import bound_token
from ledger import chart, clock, journal
from ledger.books import Books
from tests.api_helpers import SLUG, Login, api, login
from tests.conftest import txn as conftest_txn
from tests.rules_helpers import add_resolution


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "no CSRF field on the page"
    return found.group(1)


def _key(page: str) -> str:
    found = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert found
    return found.group(1)


def _form(page: str, **fields: str) -> dict[str, str]:
    return {
        "csrf": _csrf(page),
        "idempotency_key": _key(page),
        "preset": "parking",
        "amount": "9600.00",
        "date": clock.today().isoformat(),
        "payee": "物业服务中心",
        "narration": "3月停车费",
        "documents": "收据 0032; 收据 0033",
        **fields,
    }


def test_page_works_on_a_phone_and_offers_presets_and_the_chart(
    client: TestClient, members: dict[str, Login]
) -> None:
    login(client, members["treasurer"])
    page = client.get(f"/entry/{SLUG}")
    assert page.status_code == 200
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page.text
    for preset in PRESETS:
        assert f'value="{preset.key}"' in page.text
    assert f'value="{chart.INCOME_ADS}"' in page.text
    assert "5101-01 物业服务企业成本分成" in page.text


def test_a_parking_receipt_posts_with_signs_derived(
    client: TestClient, members: dict[str, Login]
) -> None:
    login(client, members["treasurer"])
    page = client.get(f"/entry/{SLUG}").text
    done = client.post(f"/entry/{SLUG}", data=_form(page), follow_redirects=False)
    assert done.status_code == 303
    after = client.get(done.headers["location"])
    assert "已记账 #1" in after.text
    items = client.get(f"{api()}/transactions").json()["items"]
    assert len(items) == 1
    postings = {p["account"]: Decimal(p["amount"]) for p in items[0]["postings"]}
    assert postings == {chart.BANK: Decimal("9600.00"), chart.INCOME_PARKING: Decimal("-9600.00")}
    assert items[0]["documents"] == ["收据 0032", "收据 0033"]
    # the same form again (a double click) posts nothing new
    client.post(f"/entry/{SLUG}", data=_form(page), follow_redirects=False)
    assert len(client.get(f"{api()}/transactions").json()["items"]) == 1


def test_accounts_chosen_override_the_preset(client: TestClient, members: dict[str, Login]) -> None:
    login(client, members["treasurer"])
    page = client.get(f"/entry/{SLUG}").text
    form = _form(page, preset="rent", credit=chart.INCOME_ROOMS, amount="5000")
    assert client.post(f"/entry/{SLUG}", data=form, follow_redirects=False).status_code == 303
    item = client.get(f"{api()}/transactions").json()["items"][0]
    assert [p["account"] for p in item["postings"]] == [chart.BANK, chart.INCOME_ROOMS]
    assert item["kind"] == "income"


def test_refusals_are_shown_next_to_the_form_in_words(
    client: TestClient, members: dict[str, Login]
) -> None:
    login(client, members["treasurer"])
    page = client.get(f"/entry/{SLUG}").text
    signed = client.post(f"/entry/{SLUG}", data=_form(page, amount="-5.00"))
    assert signed.status_code == 422
    assert "请输入不带正负号的金额" in signed.text
    future = client.post(f"/entry/{SLUG}", data=_form(page, date="2999-01-01"))
    assert future.status_code == 422
    assert "在未来" in future.text
    assert 'value="2999-01-01"' in future.text  # the form keeps what was typed
    words = client.post(f"/entry/{SLUG}", data=_form(page, amount="lots"))
    assert words.status_code == 422 and "不是金额" in words.text
    assert client.get(f"{api()}/transactions").json()["items"] == []


def test_form_posts_need_the_csrf_token(client: TestClient, members: dict[str, Login]) -> None:
    login(client, members["treasurer"])
    page = client.get(f"/entry/{SLUG}").text
    forged = client.post(f"/entry/{SLUG}", data=_form(page, csrf="forged"))
    assert forged.status_code == 403
    assert client.get(f"{api()}/transactions").json()["items"] == []


def test_approvers_approve_and_reject_from_the_page(
    app: object, members: dict[str, Login], api_books: Books
) -> None:
    treasurer, approver = TestClient(app), TestClient(app)  # type: ignore[arg-type]
    login(treasurer, members["treasurer"])
    login(approver, members["approver"])
    page = treasurer.get(f"/entry/{SLUG}").text
    treasurer.post(f"/entry/{SLUG}", data=_form(page, amount="30000"))
    add_resolution(api_books, SLUG, effective_from=date(2000, 1, 1))
    for n in (1, 2):
        page = treasurer.get(f"/entry/{SLUG}").text
        form = _form(
            page, preset="upgrade", amount=f"{n}000", narration=f"改造 {n}", resolution="2025-01"
        )
        stored = treasurer.post(f"/entry/{SLUG}", data=form)  # follows the redirect
        assert "等待另一位委员审批" in stored.text

    queue = approver.get(f"/entry/{SLUG}").text
    assert "待审批 Pending approval (2)" in queue
    ids = re.findall(r"/entry/maple/pending/([0-9a-f-]+)/approve", queue)
    assert len(ids) == 2
    tokens = _tokens(queue)
    approve = f"/entry/{SLUG}/pending/{ids[0]}/approve"
    approved = approver.post(approve, data={"csrf": tokens[approve]})
    assert "已批准并记账 #2" in approved.text
    reject = f"/entry/{SLUG}/pending/{ids[1]}/reject"
    approver.post(reject, data={"csrf": tokens[reject], "reason": "重复"})
    listed = approver.get(f"{api()}/transactions").json()["items"]
    assert sorted(i["status"] for i in listed) == ["posted", "posted", "rejected"]


def _tokens(page: str) -> dict[str, str]:
    """Each form's CSRF token, by the URL the form posts to."""
    return dict(
        re.findall(r'action="([^"]+)">\s*<input type="hidden" name="csrf" value="([^"]+)"', page)
    )


def test_a_token_from_one_form_approves_no_other_entry(
    app: object, members: dict[str, Login], api_books: Books
) -> None:
    """Found: one CSRF token served every form, so a token read from one page approved any
    entry. Each approve and reject button now carries a token bound to its entry and action."""
    approver = TestClient(app)  # type: ignore[arg-type]
    session_csrf = login(approver, members["approver"])
    add_resolution(api_books, SLUG, purpose=("upgrade",), effective_from=date(2000, 1, 1))
    journal.post(books=api_books, slug=SLUG, draft=conftest_txn("90000.00"), actor="treasurer")
    for n in (1, 2):
        draft = conftest_txn(
            f"{n}000.00", debit=chart.USE_UPGRADE, credit=chart.BANK, kind="upgrade",
            narration=f"改造 {n}", resolution="2025-01", day=clock.today(),
        )  # fmt: skip
        assert journal.post(books=api_books, slug=SLUG, draft=draft, actor="treasurer").pending
    queue = approver.get(f"/entry/{SLUG}").text
    tokens = _tokens(queue)
    first, second = re.findall(r"/entry/maple/pending/([0-9a-f-]+)/approve", queue)
    approve_first = tokens[f"/entry/{SLUG}/pending/{first}/approve"]
    reject_first = tokens[f"/entry/{SLUG}/pending/{first}/reject"]
    assert len({session_csrf, approve_first, reject_first}) == 3
    for wrong in (approve_first, reject_first, session_csrf, ""):
        refused = approver.post(f"/entry/{SLUG}/pending/{second}/approve", data={"csrf": wrong})
        assert refused.status_code == 403
        assert "不属于此操作" in refused.text
    rejected = approver.post(
        f"/entry/{SLUG}/pending/{second}/reject", data={"csrf": approve_first, "reason": "x"}
    )
    assert rejected.status_code == 403
    assert approver.get(f"{api()}/transactions/{second}").json()["status"] == "pending"
    ok = approver.post(
        f"/entry/{SLUG}/pending/{second}/approve",
        data={"csrf": tokens[f"/entry/{SLUG}/pending/{second}/approve"]},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert approver.get(f"{api()}/transactions/{second}").json()["status"] == "posted"


def test_a_form_from_another_origin_is_refused(
    client: TestClient, members: dict[str, Login]
) -> None:
    """Found: a page on the same host (another port) could post the site's forms."""
    login(client, members["treasurer"])
    page = client.get(f"/entry/{SLUG}").text
    for origin in ("http://testserver:8081", "null", "https://testserver"):
        forged = client.post(f"/entry/{SLUG}", data=_form(page), headers={"Origin": origin})
        assert forged.status_code == 403, origin
        assert forged.json()["detail"][0]["rule"] == "csrf"
    del client.headers["Origin"]
    bare = client.post(f"/entry/{SLUG}", data=_form(page))
    assert bare.status_code == 403  # neither Origin nor Referer
    referred = client.post(
        f"/entry/{SLUG}",
        data=_form(page),
        headers={"Referer": f"http://testserver/entry/{SLUG}"},
        follow_redirects=False,
    )
    assert referred.status_code == 303  # a Referer from this site stands in for Origin
    assert len(client.get(f"{api()}/transactions").json()["items"]) == 1


def test_the_entrant_sees_no_approve_button_for_their_own_entry(
    client: TestClient, members: dict[str, Login], api_books: Books
) -> None:
    from api.users import Role, add_member

    add_member(
        books=api_books, username="both", slug=SLUG, role=Role.TREASURER, password="both-password"
    )
    login(client, Login("both", "both-password", ""))
    add_resolution(api_books, SLUG, purpose=("upgrade",), effective_from=date(2000, 1, 1))
    journal.post(books=api_books, slug=SLUG, draft=conftest_txn("500.00"), actor="treasurer")
    page = client.get(f"/entry/{SLUG}").text
    form = _form(page, preset="upgrade", amount="100", resolution="2025-01")
    client.post(f"/entry/{SLUG}", data=form)
    queue = client.get(f"/entry/{SLUG}").text
    assert "Entered by you" in queue
    entry_id = client.get(f"{api()}/transactions?status=pending").json()["items"][0]["id"]
    assert f"/pending/{entry_id}/approve" not in queue
    # the button is not there; a hand-made post with a valid token still meets four eyes
    token = bound_token(_csrf(queue), "approve", SLUG, entry_id)
    own = client.post(f"/entry/{SLUG}/pending/{entry_id}/approve", data={"csrf": token})
    assert own.status_code == 403
    assert "不能再由其本人审批" in own.text
    assert client.get(f"{api()}/transactions/{entry_id}").json()["status"] == "pending"
