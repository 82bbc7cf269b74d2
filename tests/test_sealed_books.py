"""Sealed books: periods that stay closed, reversals and splits that cannot slip past a second
member, dividends only from an allocation. Each test is an attack found against the product.

The books start on 2025-01-01 (``community`` fixture); the opening balances would be dated
2024-12-31, the day before."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from fastapi.testclient import TestClient
from freezegun import freeze_time
from sqlalchemy import func, select
from sqlmodel import Session, col

from api.books import open_books
from api.settings import Settings
from ledger import chart, journal
from ledger.books import Books
from ledger.errors import PeriodLocked, StateConflict, ValidationFailed
from ledger.models import Entry, Event, PeriodClose
from rules.community import create
from rules.periods import close
from tests.api_helpers import Login, api, login
from tests.conftest import BOOKS_START, txn


def entries(books: Books) -> int:
    with Session(books.engine) as session:
        return session.execute(select(func.count()).select_from(Entry)).scalar_one()


def close_2025(books: Books, slug: str) -> None:
    with freeze_time("2026-01-05 09:00:00+08:00"):
        close(books=books, slug=slug, period="2025", actor="chair")


# --- published statements do not change ---------------------------------------------------


@pytest.mark.parametrize(
    ("day", "rule"),
    [
        (date(2000, 1, 1), "books-start"),
        (date(2024, 12, 31), "books-start"),
        (date(2025, 6, 30), "closed-period"),
    ],
)
def test_nothing_is_posted_before_the_start_or_into_a_closed_year(
    books: Books, community: str, day: date, rule: str
) -> None:
    """Found: with 2025Q1–Q4 closed, posts dated 2000-01-01 and 2024-12-31 were accepted and
    the bank balance at 2025-12-31 no longer matched the published 2025Q4 statement."""
    close_2025(books, community)
    before = entries(books)
    with pytest.raises(PeriodLocked) as refused:
        journal.post(books=books, slug=community, draft=txn("2.00", day=day), actor="t")
    assert refused.value.problems[0].rule == rule
    assert str(day) in refused.value.problems[0].text.render("en")
    assert entries(books) == before


def test_a_period_closes_only_after_every_earlier_one(books: Books, community: str) -> None:
    """Found: 2025Q2 could be closed while 2025Q1 was open; a later post into Q1 then made
    Q1's closing cash differ from Q2's opening, both locked for good."""
    with freeze_time("2025-07-05 09:00:00+08:00"):
        with pytest.raises(StateConflict) as refused:
            close(books=books, slug=community, period="2025Q2", actor="chair")
        problem = refused.value.problems[0]
        assert problem.rule == "close-in-order"
        assert "the earlier period 2025Q1 (2025-01-01 to 2025-03-31) is still open" in (
            problem.text.render("en")
        )
        close(books=books, slug=community, period="2025Q1", actor="chair")
        close(books=books, slug=community, period="2025Q2", actor="chair")
    with pytest.raises(PeriodLocked, match="inside the closed period 2025Q1"):
        journal.post(
            books=books, slug=community, draft=txn("5.00", day=date(2025, 2, 1)), actor="t"
        )


def test_a_period_before_the_books_start_cannot_close(books: Books, community: str) -> None:
    with freeze_time("2025-07-05"), pytest.raises(StateConflict, match="before the books start"):
        close(books=books, slug=community, period="2024Q4", actor="chair")


def test_out_of_order_close_is_refused_on_postgresql(pg_database: str, tmp_path: object) -> None:
    """Found on PostgreSQL: 2026Q3 closed while Q1 and Q2 were open."""
    books = open_books(Settings(data=tmp_path / "data", db=pg_database))  # type: ignore[operator]
    try:
        create(books=books, slug="maple", name="枫林苑", start=date(2026, 1, 1))
        with freeze_time("2026-10-05"), pytest.raises(StateConflict, match="2026Q1"):
            close(books=books, slug="maple", period="2026Q3", actor="chair")
        with Session(books.engine) as session:
            assert session.execute(select(PeriodClose)).first() is None
    finally:
        books.dispose()


def test_no_close_seals_a_period_a_post_landed_in_after_it_began(
    pg_database: str, tmp_path: object
) -> None:
    """Two nodes on one PostgreSQL: one closes 2025Q1 while the other posts into it. Whatever
    the order, every entry dated in Q1 is at or below the close's head: none lands after it."""
    data = tmp_path  # type: ignore[assignment]
    a = open_books(Settings(data=data / "a", db=pg_database))  # type: ignore[operator]
    b = open_books(Settings(data=data / "b", db=pg_database))  # type: ignore[operator]
    try:
        create(books=a, slug="maple", name="枫林苑", start=BOOKS_START)
        opening = txn("1000.00", credit=chart.OPENING, kind="opening", day=date(2024, 12, 31))
        journal.post(books=a, slug="maple", draft=opening, actor="t")
        outcomes: list[str] = []
        started = threading.Event()

        def posts() -> None:  # transfers: no income, so the close needs no reserve
            for n in range(20):
                move = txn(
                    "1.00",
                    debit=chart.CASH,
                    credit=chart.BANK,
                    kind="transfer",
                    day=date(2025, 3, 1 + n),
                )
                try:
                    journal.post(books=b, slug="maple", draft=move, actor="t")
                    outcomes.append("posted")
                except PeriodLocked:
                    outcomes.append("locked")
                started.set()

        with freeze_time("2025-04-02", tick=True):
            poster = threading.Thread(target=posts)
            poster.start()
            started.wait(30)
            close(books=a, slug="maple", period="2025Q1", actor="chair")
            poster.join()
        with Session(a.engine) as session:
            closed = session.execute(select(PeriodClose)).scalar_one()
            late = session.execute(
                select(func.count())
                .select_from(Entry)
                .where(col(Entry.date) <= closed.end, col(Entry.seq) > closed.head_seq)
            ).scalar_one()
        assert late == 0
        assert len(outcomes) == 20 and outcomes[0] == "posted"
    finally:
        a.dispose()
        b.dispose()


# --- reversals are entries like any other --------------------------------------------------


def reverse(client: TestClient, who: Login, entry_id: str, **body: str) -> object:
    return client.post(
        f"{api()}/transactions/{entry_id}/reverse",
        json={"reason": "录错", **body},
        headers=who.bearer,
    )


def income(client: TestClient, who: Login, amount: str, key: str) -> dict[str, object]:
    body = {
        "date": "2025-03-10",
        "payee": "停车场",
        "narration": "停车费",
        "kind": "income",
        "postings": [
            {"account": chart.BANK, "amount": amount},
            {"account": chart.INCOME_PARKING, "amount": f"-{amount}"},
        ],
        "idempotency_key": key,
    }
    answer = client.post(f"{api()}/transactions", json=body, headers=who.bearer)
    assert answer.status_code == 201, answer.text
    data: dict[str, object] = answer.json()
    return data


def test_reversing_50000_of_income_waits_for_a_second_member(
    client: TestClient, members: dict[str, Login]
) -> None:
    """Found: a treasurer reversed a 50,000 income entered by someone else; it posted at
    once with approved_by empty: 50,000 out of the bank with no second member."""
    entry = income(client, members["both"], "50000.00", "big")
    answer = reverse(client, members["treasurer"], str(entry["id"]), date="2025-03-11")
    assert answer.status_code == 202, answer.text  # type: ignore[attr-defined]
    body = answer.json()  # type: ignore[attr-defined]
    assert (body["status"], body["seq"], body["approved_by"]) == ("pending", None, None)
    assert "50000.00 is at or over the approval threshold 5000.00" in body["approval_note"]
    assert "录错" in body["narration"]
    approved = client.post(
        f"{api()}/transactions/{body['id']}/approve", headers=members["approver"].bearer
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["approved_by"] == "approver"


def test_a_small_reversal_posts_at_once_and_needs_a_reason(
    client: TestClient, members: dict[str, Login]
) -> None:
    entry = income(client, members["treasurer"], "80.00", "small")
    no_reason = client.post(
        f"{api()}/transactions/{entry['id']}/reverse", json={}, headers=members["treasurer"].bearer
    )
    assert no_reason.status_code == 422
    assert reverse(client, members["treasurer"], str(entry["id"])).status_code == 201  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("day", "rule"), [("1999-01-01", "reversal-date"), ("2025-03-09", "reversal-date")]
)
def test_a_reversal_is_not_dated_before_its_original_nor_the_books(
    client: TestClient, members: dict[str, Login], day: str, rule: str
) -> None:
    """Found: a reversal dated 1999-01-01, before the accounts open, was accepted and broke
    ``commons verify`` and bean-check for good."""
    entry = income(client, members["treasurer"], "80.00", f"early-{day}")
    answer = reverse(client, members["treasurer"], str(entry["id"]), date=day)
    assert answer.status_code in (409, 422), answer.text  # type: ignore[attr-defined]
    rules = {p["rule"] for p in answer.json()["detail"]}  # type: ignore[attr-defined]
    assert rule in rules or "books-start" in rules


def test_a_rejected_reversal_frees_the_entry_for_another(
    client: TestClient, members: dict[str, Login]
) -> None:
    entry = income(client, members["both"], "9000.00", "r9000")
    pending = reverse(client, members["treasurer"], str(entry["id"])).json()  # type: ignore[attr-defined]
    again = reverse(client, members["treasurer"], str(entry["id"]))
    assert again.status_code == 409  # type: ignore[attr-defined]
    rejected = client.post(
        f"{api()}/transactions/{pending['id']}/reject",
        json={"reason": "不应冲销"},
        headers=members["approver"].bearer,
    )
    assert rejected.status_code == 200, rejected.text
    assert reverse(client, members["treasurer"], str(entry["id"])).status_code == 202  # type: ignore[attr-defined]


# --- splitting is caught ---------------------------------------------------------------------


def cost(amount: str, payee: str, key: str, day: str = "2025-03-12") -> dict[str, object]:
    return {
        "date": day,
        "payee": payee,
        "narration": "维修",
        "kind": "cost",
        "postings": [
            {"account": chart.COST_DIRECT, "amount": amount},
            {"account": chart.BANK, "amount": f"-{amount}"},
        ],
        "idempotency_key": key,
    }


def test_three_costs_under_the_threshold_to_one_payee_in_one_bulk_wait(
    client: TestClient, members: dict[str, Login]
) -> None:
    """Found: three costs of 4,999.99 to one payee in one bulk request, none waiting."""
    income(client, members["treasurer"], "20000.00", "fund")
    body = {
        "transactions": [
            cost("4999.99", "某维修公司", "s1"),
            cost("4999.99", "某维修公司 ", "s2", day="2025-03-20"),
            cost("4999.99", "ＭＯＵ维修公司".replace("ＭＯＵ", "某"), "s3", day="2025-04-05"),
        ]
    }
    answer = client.post(
        f"{api()}/transactions/bulk", json=body, headers=members["treasurer"].bearer
    )
    assert answer.status_code == 202, answer.text
    first, second, third = answer.json()["transactions"]
    assert first["status"] == "posted"
    assert (second["status"], third["status"]) == ("pending", "pending")
    assert "comes to 9999.98 with this entry" in second["approval_note"]
    assert f"#{first['seq']} 2025-03-12 4999.99" in second["approval_note"]


def test_a_split_across_requests_counts_pending_and_folds_the_payee(
    client: TestClient, members: dict[str, Login]
) -> None:
    income(client, members["treasurer"], "20000.00", "fund2")
    post = lambda body: client.post(  # noqa: E731
        f"{api()}/transactions", json=body, headers=members["treasurer"].bearer
    )
    assert post(cost("3000.00", "Acme  Repairs", "a1")).status_code == 201
    waits = post(cost("2500.00", "ACME REPAIRS", "a2"))
    assert waits.status_code == 202, waits.text
    # Another payee, or the same one outside the 30-day window, is counted apart.
    assert post(cost("2500.00", "Other Co", "a3")).status_code == 201
    assert post(cost("2500.00", "acme repairs", "a4", day="2025-05-20")).status_code == 201


def test_the_managers_cost_share_and_own_transfers_are_not_counted_together(
    books: Books, community: str
) -> None:
    journal.post(books=books, slug=community, draft=txn("30000.00"), actor="t")
    share = txn(
        "3000.00", debit=chart.COST_MANAGER_SHARE, credit=chart.BANK, kind="cost", payee="物业公司"
    )
    first = journal.post(books=books, slug=community, draft=share, actor="t")
    second = journal.post(books=books, slug=community, draft=share, actor="t")
    assert not first.pending and not second.pending


# --- dividends and subsidies only from an allocation -------------------------------------------


@pytest.mark.parametrize("kind", ["dividend", "subsidy"])
def test_a_hand_typed_dividend_or_subsidy_is_refused(
    books: Books, community: str, kind: str
) -> None:
    """Found: a dividend typed by hand was approved with no per-unit schedule, so the
    owners' unit page never showed it."""
    draft = txn("300.00", debit=chart.USE_DIVIDEND, credit=chart.DIVIDENDS_PAYABLE, kind=kind)
    with pytest.raises(ValidationFailed) as refused:
        journal.post(books=books, slug=community, draft=draft, actor="t")
    (problem,) = [p for p in refused.value.problems if p.rule == "allocation-only"]
    assert "commons allocate" in problem.text.render("en")
    assert entries(books) == 0


def test_the_entry_page_offers_no_dividend_or_subsidy(
    client: TestClient, members: dict[str, Login]
) -> None:
    login(client, members["treasurer"])
    page = client.get("/entry/maple").text
    assert "停车费收入" in page  # the presets are there,
    assert 'value="dividend"' not in page and 'value="subsidy"' not in page  # but not these


def test_events_of_refused_actions_are_not_written(books: Books, community: str) -> None:
    with Session(books.engine) as session:
        before = session.execute(select(func.count()).select_from(Event)).scalar_one()
    with pytest.raises(PeriodLocked):
        journal.post(
            books=books, slug=community, draft=txn("1.00", day=date(2024, 6, 1)), actor="t"
        )
    with Session(books.engine) as session:
        assert session.execute(select(func.count()).select_from(Event)).scalar_one() == before
