"""The rules' routes end to end: load the register, enter a resolution, allocate a dividend and
a subsidy, approve, close the period, and find the unit's amount (never its owner) in public."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from ledger import chart, journal
from ledger.books import Books
from ledger.db import writer
from ledger.models import AllocationLine, Community, Entry, PeriodClose
from ledger.schemas import TransactionIn
from rules import resolution_register
from rules.allocate import AllocationIn, allocate
from rules.community import create
from rules.units import import_units, parse_json
from tests.api_helpers import SLUG, Login, api, txn
from tests.conftest import BOOKS_START
from tests.test_rules_resolutions import UNITS, body

DIVIDEND: dict[str, Any] = {
    "number": "2025-03",
    "title": "2025年度公共收益分红",
    "matter": 9,
    "voted_on": "2025-11-30",
    "effective_from": "2025-12-01",
    "budget": "5000.00",
    "purpose": ["dividend"],
    "allocation": {"mode": "rate", "basis": "area", "rate": "9.00", "rounding": "yuan_floor"},
    "ballots": [
        {"unit": "1-1-0101", "vote": "yes"},
        {"unit": "1-1-0102", "vote": "yes"},
        {"unit": "2-1-0101", "vote": "no"},
        {"unit": "10-2-1601", "vote": "yes"},
    ],
}
SUBSIDY: dict[str, Any] = {
    **DIVIDEND,
    "number": "2025-04",
    "title": "补贴2026年物业费",
    "budget": "2000.00",
    "purpose": ["subsidy"],
    "allocation": {"mode": "total", "basis": "area", "rounding": "fen"},
}


def _setup(client: TestClient, members: dict[str, Login]) -> None:
    admin, treasurer = members["admin"].bearer, members["treasurer"].bearer
    response = client.post(f"{api()}/units", json=UNITS, headers=admin)
    assert response.status_code == 201, response.text
    assert response.json() == {"added": 4, "units": 4, "total_area": "390.41"}
    income = txn("20000.00", "income-1", day="2025-12-01")
    assert client.post(f"{api()}/transactions", json=income, headers=treasurer).status_code == 201


def _lines(client: TestClient) -> int:
    books: Books = client.app.state.books  # type: ignore[attr-defined]
    with Session(books.engine) as session:
        return session.exec(select(func.count()).select_from(AllocationLine)).one()


def test_register_resolution_dividend_and_public_lookup(
    client: TestClient, members: dict[str, Login]
) -> None:
    _setup(client, members)
    register = client.get(f"{api()}/units", headers=members["auditor"].bearer).json()
    assert (register["units"], register["total_area"], register["owners"]) == (4, "390.41", 3)
    assert register["items"][0] == {
        "unit": "1-1-0101",
        "owner": "O1",
        "area": "89.30",
        "developer_unsold": False,
    }

    response = client.post(
        f"{api()}/resolutions", json=DIVIDEND, headers=members["approver"].bearer
    )
    assert response.status_code == 201, response.text
    out = response.json()
    assert out["passed"] is True
    tally = out["tally"]
    assert (tally["total_area"], tally["total_heads"]) == ("390.41", 3)
    assert (tally["participating_area"], tally["participating_heads"]) == ("390.41", 3)
    assert (tally["yes_area"], tally["yes_heads"]) == ("285.20", 2)
    assert (tally["quorum"]["share"], tally["approval"]["share"]) == ("2/3", "1/2")
    # The arithmetic in the reader's language: Chinese by default, English when asked.
    assert "285.20 × 2 = 570.40 > 390.41 × 1 = 390.41：达到" in out["arithmetic"]
    assert out["tally"]["arithmetic"] == out["arithmetic"]
    shown = client.get(f"{api()}/resolutions/2025-03", headers=members["auditor"].bearer).json()
    assert shown["passed"] and len(shown["ballots"]) == 4
    assert shown["arithmetic"] == out["arithmetic"]
    english = client.get(
        f"{api()}/resolutions/2025-03?lang=en", headers=members["auditor"].bearer
    ).json()
    assert "285.20 × 2 = 570.40 > 390.41 × 1 = 390.41: met" in english["arithmetic"]
    assert english["tally"]["head_rule"].startswith("one head per owner")
    listed = client.get(
        f"{api()}/resolutions",
        headers={**members["supervisor"].bearer, "Accept-Language": "en"},
    ).json()
    assert [r["number"] for r in listed] == ["2025-03"]
    assert [r["arithmetic"] for r in listed] == [english["arithmetic"]]
    again = client.post(f"{api()}/resolutions", json=DIVIDEND, headers=members["admin"].bearer)
    assert again.status_code == 409 and again.json()["detail"][0]["rule"] == "resolution-number"

    response = client.post(
        f"{api()}/resolutions/2025-03/allocations",
        json={"date": "2025-12-05", "kind": "dividend", "idempotency_key": "div-2025"},
        headers=members["treasurer"].bearer,
    )
    assert response.status_code == 202, response.text
    allocation = response.json()
    entry = allocation["entry"]
    assert entry["status"] == "pending" and entry["resolution"] == "2025-03"
    assert entry["postings"] == [
        {"account": chart.USE_DIVIDEND, "amount": "3511.00"},
        {"account": chart.DIVIDENDS_PAYABLE, "amount": "-3511.00"},
    ]
    assert allocation["total"] == "3511.00"
    assert allocation["schedule"] == [
        {"unit": "1-1-0101", "area": "89.30", "amount": "803.00"},
        {"unit": "1-1-0102", "area": "127.38", "amount": "1146.00"},
        {"unit": "10-2-1601", "area": "68.52", "amount": "616.00"},
        {"unit": "2-1-0101", "area": "105.21", "amount": "946.00"},
    ]
    assert _lines(client) == 4  # stored with the pending entry
    replay = client.post(
        f"{api()}/resolutions/2025-03/allocations",
        json={"date": "2025-12-05", "kind": "dividend", "idempotency_key": "div-2025"},
        headers=members["treasurer"].bearer,
    )
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.json()["entry"]["id"] == entry["id"]
    assert replay.json()["schedule"] == allocation["schedule"]
    assert _lines(client) == 4

    approved = client.post(
        f"{api()}/transactions/{entry['id']}/approve", headers=members["approver"].bearer
    )
    assert approved.status_code == 200 and approved.json()["status"] == "posted"

    public = f"/public/{SLUG}/units/1-1-0102"
    assert client.get(public, params={"format": "json"}).status_code == 200
    assert client.get(public, params={"format": "json"}).json()["receipts"] == []  # still open
    _close_q4(client)
    receipts = client.get(public, params={"format": "json"}).json()["receipts"]
    assert [(r["kind"], r["amount"], r["resolution"]) for r in receipts] == [
        ("dividend", "1146.00", "2025-03")
    ]
    page = client.get(public).text
    assert "1,146.00" in page or "1146.00" in page
    assert "O1" not in page and "O1" not in client.get(public, params={"format": "json"}).text


def _close_q4(client: TestClient) -> None:
    """Close 2025Q4 the way the close command will (rows written directly, for this test)."""
    books: Books = client.app.state.books  # type: ignore[attr-defined]
    with writer(books.engine) as session:
        community = session.exec(select(Community).where(Community.slug == SLUG)).one()
        session.add(
            PeriodClose(
                community_id=community.id,
                period="2025Q4",
                start=date(2025, 10, 1),
                end=date(2025, 12, 31),
                closed_at=datetime(2026, 1, 5, tzinfo=UTC),
                closed_by="chair",
                head_seq=community.head_seq,
                head_hash=community.head_hash,
            )
        )
        community.rev += 1
        session.add(community)


def test_a_subsidy_splits_its_total_and_is_paid_from_the_bank(
    client: TestClient, members: dict[str, Login]
) -> None:
    _setup(client, members)
    client.post(f"{api()}/resolutions", json=SUBSIDY, headers=members["admin"].bearer)
    response = client.post(
        f"{api()}/resolutions/2025-04/allocations",
        json={"date": "2025-12-06", "kind": "subsidy", "total": "1000.00"},
        headers=members["treasurer"].bearer,
    )
    assert response.status_code == 202, response.text
    out = response.json()
    assert out["entry"]["postings"] == [
        {"account": chart.USE_SUBSIDY, "amount": "1000.00"},
        {"account": chart.BANK, "amount": "-1000.00"},
    ]
    amounts = {line["unit"]: line["amount"] for line in out["schedule"]}
    # 89.30, 127.38, 105.21, 68.52 of 390.41 m²: 228.73 + 326.27 + 269.49 + 175.51
    assert amounts == {
        "1-1-0101": "228.73",
        "1-1-0102": "326.27",
        "2-1-0101": "269.49",
        "10-2-1601": "175.51",
    }


def _refused(client: TestClient, members: dict[str, Login], number: str, body: Any) -> Any:
    before = _entries(client)
    response = client.post(
        f"{api()}/resolutions/{number}/allocations", json=body, headers=members["treasurer"].bearer
    )
    assert response.status_code == 422, response.text
    assert _entries(client) == before and _lines(client) == 0
    return response.json()["detail"]


def _entries(client: TestClient) -> int:
    books: Books = client.app.state.books  # type: ignore[attr-defined]
    with Session(books.engine) as session:
        return session.exec(select(func.count()).select_from(Entry)).one()


def test_allocations_are_refused_with_reasons(
    client: TestClient, members: dict[str, Login]
) -> None:
    client.headers["Accept-Language"] = "en"  # the words asserted below
    _setup(client, members)
    approver = members["approver"].bearer
    failed = {**DIVIDEND, "number": "2025-05", "ballots": DIVIDEND["ballots"][:1]}
    assert (
        client.post(f"{api()}/resolutions", json=failed, headers=approver).json()["passed"] is False
    )
    client.post(f"{api()}/resolutions", json=DIVIDEND, headers=approver)
    client.post(f"{api()}/resolutions", json=SUBSIDY, headers=approver)

    detail = _refused(client, members, "2025-05", {"date": "2025-12-05", "kind": "dividend"})
    assert detail[0]["rule"] == "resolution-passed"
    assert detail[0]["message"].startswith(
        "resolution 2025-05 did not pass (民法典 art. 278), so it allows no dividend. Quorum"
    )
    client.headers["Accept-Language"] = "zh"
    detail = _refused(client, members, "2025-05", {"date": "2025-12-05", "kind": "dividend"})
    assert detail[0]["message"].startswith(
        "决议 2025-05 未通过（《民法典》第二百七十八条），因此不允许 dividend。参与表决（"
    )
    assert "Quorum" not in detail[0]["message"] and "met" not in detail[0]["message"]
    client.headers["Accept-Language"] = "en"
    detail = _refused(
        client, members, "2025-03", {"date": "2025-12-05", "kind": "dividend", "total": "100.00"}
    )
    assert detail[0]["message"] == (
        "resolution 2025-03 pays 9.00 yuan per m²: the total is the sum of the parts, "
        "so none may be given"
    )
    detail = _refused(client, members, "2025-04", {"date": "2025-12-05", "kind": "subsidy"})
    assert detail[0]["message"] == "resolution 2025-04 splits a total: give the total to split"
    detail = _refused(client, members, "2025-03", {"date": "2025-12-05", "kind": "subsidy"})
    assert detail[0]["rule"] == "resolution-purpose"
    missing = client.post(
        f"{api()}/resolutions/2099-01/allocations",
        json={"date": "2025-12-05", "kind": "dividend"},
        headers=members["treasurer"].bearer,
    )
    assert missing.status_code == 404


def test_allocation_on_each_backend(any_books: Books) -> None:
    """The schedule is stored with the entry in one transaction, once, on SQLite and PG."""
    create(books=any_books, slug="maple", name="枫林苑", start=BOOKS_START)
    import_units(books=any_books, slug="maple", units=parse_json(UNITS), actor="admin")
    journal.post(
        books=any_books,
        slug="maple",
        draft=TransactionIn.model_validate(txn("9000.00", "in", day="2025-12-01")),
        actor="treasurer",
    )
    resolution_register.create(books=any_books, slug="maple", body=body(), actor="chair")
    request = AllocationIn(date=date(2025, 12, 5), kind="dividend", idempotency_key="d")
    out, created = allocate(
        books=any_books, slug="maple", number="2025-03", body=request, actor="treasurer"
    )
    assert created and out.entry.status == "pending"
    replay, created = allocate(
        books=any_books, slug="maple", number="2025-03", body=request, actor="treasurer"
    )
    assert not created and replay.schedule == out.schedule
    with Session(any_books.engine) as session:
        lines = list(session.exec(select(AllocationLine)))
    assert {line.entry_id for line in lines} == {out.entry.id}
    assert sorted(line.amount_fen for line in lines) == [61600, 80300, 94600, 114600]
    posted = journal.approve(books=any_books, slug="maple", entry_id=out.entry.id, actor="chair")
    assert posted.status == "posted"


def test_the_demo_has_its_register_resolutions_and_allocations(books: Books) -> None:
    from api.demo import DEMO_RESOLUTIONS, build_demo, demo_units

    assert build_demo(books=books, slug="demo")
    decided = {r.number: r.passed for r in resolution_register.list_all(books=books, slug="demo")}
    first_year = {number: passed for number, passed in decided.items() if number < "2026"}
    assert first_year == {"2025-01": True, "2025-02": True, "2025-03": True, "2025-04": False}
    assert len(first_year) == len(DEMO_RESOLUTIONS)
    # The second year's budget and business use of common parts (api/demo_contracts.py).
    assert {n: p for n, p in decided.items() if n >= "2026"} == {"2026-01": True, "2026-02": True}
    with Session(books.engine) as session:
        entries = list(
            session.exec(
                select(Entry).where(col(Entry.kind).in_(["dividend", "subsidy"]))  # type: ignore[arg-type]
            )
        )
        lines = {
            entry.kind: session.exec(
                select(func.count(), func.sum(AllocationLine.amount_fen)).where(
                    AllocationLine.entry_id == entry.id
                )
            ).one()
            for entry in entries
        }
    assert {e.kind: (e.status, e.approved_by) for e in entries} == {
        "subsidy": ("posted", "chair"),
        "dividend": ("posted", "chair"),
    }
    units = demo_units()
    assert lines["subsidy"] == (len(units), 1_500_000)
    dividend = sum(int(u.area * Decimal("0.30")) * 100 for u in units)
    assert lines["dividend"] == (len(units), dividend)


def test_bad_registers_and_resolutions_are_refused_over_http(
    client: TestClient, members: dict[str, Login]
) -> None:
    client.headers["Accept-Language"] = "en"  # the words asserted below
    admin = members["admin"].bearer
    bad_units = [
        {"unit": "1-1-0101", "owner": "O1", "area": "89.30"},
        {"unit": "1-1-0101", "owner": "O2", "area": "-1"},
        {"unit": "1-1-0102", "owner": "O2", "area": "80", "floor": 3},
    ]
    response = client.post(f"{api()}/units", json=bad_units, headers=admin)
    assert response.status_code == 422
    assert client.get(f"{api()}/units", headers=admin).json()["units"] == 0
    response = client.post(f"{api()}/units", json=bad_units[:2], headers=admin)
    assert [p["message"] for p in response.json()["detail"]] == [
        "units[1]: area must be positive (got '-1')",
    ]
    _setup(client, members)
    for change, field in (
        ({"number": "../x"}, "number"),
        ({"matter": 10}, "matter"),
        ({"effective_from": "2025-11-01"}, None),
        ({"budget": "1.001"}, "budget"),
        ({"allocation": {"mode": "rate"}}, "allocation"),
    ):
        response = client.post(f"{api()}/resolutions", json={**DIVIDEND, **change}, headers=admin)
        assert response.status_code == 422, change
        assert response.json()["detail"][0]["field"] == field, response.text
    assert client.get(f"{api()}/resolutions", headers=admin).json() == []
