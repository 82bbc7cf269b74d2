"""The transactions API through HTTP: posting (201/202), idempotency, four eyes, rejection,
reversal, listing with filters and cursor paging, balances."""

from __future__ import annotations

from decimal import Decimal

from beancount import loader
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from ledger import chart
from ledger.books import Books
from ledger.models import Event
from tests.api_helpers import SLUG, Login, api, spend, txn


def test_income_posts_at_once(client: TestClient, members: dict[str, Login]) -> None:
    response = client.post(
        f"{api()}/transactions", json=txn("9600.00", "p-1"), headers=members["treasurer"].bearer
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "posted"
    assert body["seq"] == 1
    assert body["entered_by"] == "treasurer"
    assert [p["amount"] for p in body["postings"]] == ["9600.00", "-9600.00"]


def test_spending_over_threshold_waits_for_a_second_member(
    client: TestClient, members: dict[str, Login], api_books: Books
) -> None:
    treasurer, approver = members["treasurer"].bearer, members["approver"].bearer
    client.post(f"{api()}/transactions", json=txn("20000.00", "in"), headers=treasurer)
    pending = client.post(f"{api()}/transactions", json=spend("6000.00", "out"), headers=treasurer)
    assert pending.status_code == 202, pending.text
    entry = pending.json()
    assert entry["status"] == "pending" and entry["seq"] is None

    # not in the balances while pending
    bank = _balance(client, treasurer, chart.BANK)
    assert bank == Decimal("20000.00")

    approved = client.post(f"{api()}/transactions/{entry['id']}/approve", headers=approver)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "posted"
    assert approved.json()["approved_by"] == "approver"
    assert _balance(client, treasurer, chart.BANK) == Decimal("14000.00")
    text = api_books.projection(SLUG).path.read_text(encoding="utf-8")
    assert entry["id"] in text


def test_the_entrant_cannot_approve_their_own_entry(
    client: TestClient, members: dict[str, Login]
) -> None:
    both = members["both"].bearer
    client.post(f"{api()}/transactions", json=txn("20000.00", "in"), headers=both)
    entry = client.post(f"{api()}/transactions", json=spend("8000.00", "out"), headers=both).json()
    refused = client.post(f"{api()}/transactions/{entry['id']}/approve", headers=both)
    assert refused.status_code == 403
    assert refused.json()["detail"][0]["rule"] == "four-eyes"
    again = client.get(f"{api()}/transactions/{entry['id']}", headers=both)
    assert again.json()["status"] == "pending"


def test_a_rejected_entry_never_reaches_books_projection_or_balances(
    client: TestClient, members: dict[str, Login], api_books: Books
) -> None:
    treasurer, approver = members["treasurer"].bearer, members["approver"].bearer
    client.post(f"{api()}/transactions", json=txn("20000.00", "in"), headers=treasurer)
    entry = client.post(
        f"{api()}/transactions", json=spend("7000.00", "out"), headers=treasurer
    ).json()
    no_reason = client.post(
        f"{api()}/transactions/{entry['id']}/reject", json={"reason": ""}, headers=approver
    )
    assert no_reason.status_code == 422
    rejected = client.post(
        f"{api()}/transactions/{entry['id']}/reject",
        json={"reason": "没有业主大会决议"},
        headers=approver,
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["rejected_reason"] == "没有业主大会决议"
    late = client.post(f"{api()}/transactions/{entry['id']}/approve", headers=approver)
    assert late.status_code == 409
    assert _balance(client, treasurer, chart.BANK) == Decimal("20000.00")
    entries, _errors, _ = loader.load_file(str(api_books.projection(SLUG).path))
    assert len(entries) > 0
    assert not any(entry["id"] in str(getattr(e, "meta", {})) for e in entries)
    assert entry["id"] not in api_books.projection(SLUG).path.read_text(encoding="utf-8")
    with Session(api_books.engine) as session:
        actions = [
            (e.action, e.address)
            for e in session.exec(select(Event).where(Event.object_id == entry["id"]))
        ]
    assert ("reject", "testclient") in actions
    assert ("enter", "testclient") in actions


def test_idempotency_by_body_or_header(client: TestClient, members: dict[str, Login]) -> None:
    headers = members["treasurer"].bearer
    first = client.post(f"{api()}/transactions", json=txn("100.00", "k-1"), headers=headers)
    again = client.post(f"{api()}/transactions", json=txn("100.00", "k-1"), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    other = client.post(f"{api()}/transactions", json=txn("200.00", "k-1"), headers=headers)
    assert other.status_code == 409
    assert other.json()["detail"][0]["rule"] == "idempotency"

    by_header = {**headers, "Idempotency-Key": "k-2"}
    one = client.post(f"{api()}/transactions", json=txn("300.00", None), headers=by_header)
    two = client.post(f"{api()}/transactions", json=txn("300.00", None), headers=by_header)
    assert one.status_code == 201 and one.json()["idempotency_key"] == "k-2"
    assert two.json()["id"] == one.json()["id"]

    same = client.post(f"{api()}/transactions", json=txn("300.00", "k-2"), headers=by_header)
    assert same.json()["id"] == one.json()["id"]
    differ = client.post(f"{api()}/transactions", json=txn("300.00", "k-3"), headers=by_header)
    assert differ.status_code == 422
    assert differ.json()["detail"][0]["field"] == "idempotency_key"


def test_bulk_is_all_or_nothing(client: TestClient, members: dict[str, Login]) -> None:
    headers = members["treasurer"].bearer
    bad = txn("50.00", "b-2")
    bad["postings"][1]["account"] = "Income:Nowhere"
    refused = client.post(
        f"{api()}/transactions/bulk",
        json={"transactions": [txn("40.00", "b-1"), bad]},
        headers=headers,
    )
    assert refused.status_code == 422
    fields = [p["field"] for p in refused.json()["detail"]]
    assert fields == ["transactions[1].postings[1].account"]
    listed = client.get(f"{api()}/transactions", headers=headers).json()
    assert listed["items"] == []
    ok = client.post(
        f"{api()}/transactions/bulk",
        json={"transactions": [txn("40.00", "b-1"), txn("50.00", "b-2")]},
        headers=headers,
    )
    assert ok.status_code == 201
    assert [t["seq"] for t in ok.json()["transactions"]] == [1, 2]


def test_reverse(client: TestClient, members: dict[str, Login]) -> None:
    headers = members["treasurer"].bearer
    entry = client.post(f"{api()}/transactions", json=txn("500.00", "r"), headers=headers).json()
    why = {"reason": "录错金额"}
    reversal = client.post(f"{api()}/transactions/{entry['id']}/reverse", json=why, headers=headers)
    assert reversal.status_code == 201, reversal.text
    assert reversal.json()["reverses"] == entry["id"]
    assert _balance(client, headers, chart.BANK) == Decimal("0.00")
    twice = client.post(f"{api()}/transactions/{entry['id']}/reverse", json=why, headers=headers)
    assert twice.status_code == 409


def test_list_filters_and_cursor_paging(client: TestClient, members: dict[str, Login]) -> None:
    headers = members["treasurer"].bearer
    for n in range(5):
        client.post(f"{api()}/transactions", json=txn(f"{n + 1}00.00", f"l-{n}"), headers=headers)
    client.post(
        f"{api()}/transactions",
        json=txn("70.00", "ads", credit=chart.INCOME_ADS, narration="广告"),
        headers=headers,
    )
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = client.get(f"{api()}/transactions", params=params, headers=headers).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 6

    ads = client.get(
        f"{api()}/transactions", params={"account": chart.INCOME_ADS}, headers=headers
    ).json()
    assert [i["narration"] for i in ads["items"]] == ["广告"]
    parent = client.get(
        f"{api()}/transactions", params={"account": "Income:4301-共有收益"}, headers=headers
    ).json()
    assert len(parent["items"]) == 6
    pending = client.get(f"{api()}/transactions", params={"status": "pending"}, headers=headers)
    assert pending.json()["items"] == []
    future = client.get(f"{api()}/transactions", params={"from": "2999-01-01"}, headers=headers)
    assert future.json()["items"] == []
    unknown = client.get(f"{api()}/transactions", params={"account": "Nope"}, headers=headers)
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["rule"] == "known-account"


def test_balances_as_of_a_date(client: TestClient, members: dict[str, Login]) -> None:
    headers = members["treasurer"].bearer
    client.post(f"{api()}/transactions", json=txn("100.00", "a", day="2026-01-05"), headers=headers)
    client.post(f"{api()}/transactions", json=txn("50.00", "b", day="2026-02-05"), headers=headers)
    january = client.get(f"{api()}/balances", params={"date": "2026-01-31"}, headers=headers)
    assert january.status_code == 200
    rows = {r["account"]: r["balance"] for r in january.json()["balances"]}
    assert rows[chart.BANK] == "100.00"
    assert rows[chart.INCOME_PARKING] == "-100.00"
    supervisor = members["supervisor"].bearer
    assert _balance(client, supervisor, chart.BANK) == Decimal("150.00")


def _balance(client: TestClient, headers: dict[str, str], account: str) -> Decimal:
    response = client.get(f"{api()}/balances", headers=headers)
    assert response.status_code == 200, response.text
    rows = {r["account"]: r["balance"] for r in response.json()["balances"]}
    return Decimal(rows[account])
