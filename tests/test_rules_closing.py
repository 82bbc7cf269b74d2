"""The year's close (结转): its last period's close posts the closing entry, in the chain like any
entry: every expense and every unrestricted income to 3101 非限定性净资产, restricted income to
3102 限定性净资产. Found: 2026Q1's trial balance opened with 2025's income and expenses, and 3101
stayed at the opening 50,000.00 while the balance sheet showed 65,937.39.

    2024-12-31 opening  bank 50,000.00 / 3101-00
    2025-02-10 income   bank 9,600.00 / 4301-01 parking
    2025-03-28 reserve  5101-03 top-up 5,000.00 / bank
    2025-05-20 cost     5201-02 audit 1,200.00 / bank
    → at 2026-01-01 every Income: and Expenses: balance is 0; 3101 holds 50,000 + 9,600
      - 5,000 - 1,200 = 53,400.00 (credit)
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from beancount import loader
from freezegun import freeze_time
from pydantic import ValidationError
from sqlalchemy import select
from sqlmodel import Session, col

from audit.verify import verify
from ledger import chart, journal
from ledger.books import Books
from ledger.errors import StateConflict
from ledger.models import Entry, PeriodClose
from ledger.schemas import TransactionIn
from rules.periods import close
from tests.conftest import txn


def year_of_books(books: Books, slug: str) -> None:
    for draft in (
        txn("50000.00", credit=chart.OPENING, kind="opening", day=date(2024, 12, 31)),
        txn("9600.00", day=date(2025, 2, 10)),
        txn(
            "5000.00",
            debit=chart.USE_MAINTENANCE,
            credit=chart.BANK,
            kind="reserve",
            day=date(2025, 3, 28),
        ),
        txn(
            "1200.00", debit=chart.USE_AUDIT, credit=chart.BANK, kind="cost", day=date(2025, 5, 20)
        ),
    ):
        posted = journal.post(books=books, slug=slug, draft=draft, actor="treasurer")
        if posted.pending:
            journal.approve(books=books, slug=slug, entry_id=posted.id, actor="chair")


def test_closing_the_year_closes_income_and_expenses_into_net_assets(
    books: Books, community: str
) -> None:
    year_of_books(books, community)
    with freeze_time("2025-07-02"):
        close(books=books, slug=community, period="2025Q1", actor="chair")
        close(books=books, slug=community, period="2025Q2", actor="chair")
    with Session(books.engine) as session:  # no closing entry before the year ends
        assert session.execute(select(Entry).where(col(Entry.kind) == "closing")).first() is None
    with freeze_time("2026-01-04"):
        close(books=books, slug=community, period="2025", actor="chair")
    with Session(books.engine) as session:
        cid = books.community(session, community).id
        balances = books.balances(session, cid, date(2026, 1, 1))
        (closing,) = session.execute(select(Entry).where(col(Entry.kind) == "closing")).scalars()
        q4 = session.execute(
            select(PeriodClose).where(col(PeriodClose.period) == "2025Q4")
        ).scalar_one()
    assert {a: b for a, b in balances.items() if a.startswith(("Income:", "Expenses:")) and b} == {}
    assert balances[chart.UNRESTRICTED] == Decimal("-3400.00")  # 9,600 - 5,000 - 1,200 (credit)
    assert balances[chart.OPENING] == Decimal("-50000.00")
    assert (closing.date, closing.status) == (date(2025, 12, 31), "posted")
    assert closing.seq is not None and closing.seq <= q4.head_seq  # sealed by the close itself
    report = verify(books, community)
    assert report.ok, report.problems
    _, errors, _ = loader.load_file(str(books.projection(community).path))
    assert errors == []


def test_a_closing_entry_is_neither_typed_nor_reversed(books: Books, community: str) -> None:
    with pytest.raises(ValidationError):
        TransactionIn.model_validate({**txn("1.00").model_dump(), "kind": "closing"})
    year_of_books(books, community)
    with freeze_time("2026-01-04"):
        close(books=books, slug=community, period="2025", actor="chair")
    with Session(books.engine) as session:
        closing_id = session.execute(
            select(col(Entry.id)).where(col(Entry.kind) == "closing")
        ).scalar_one()
    with pytest.raises(StateConflict, match="closing entry belongs to its close"):
        journal.reverse(
            books=books,
            slug=community,
            entry_id=closing_id,
            actor="t",
            reason="x",
            on=date(2026, 1, 5),
        )


def test_the_rules_ignore_the_closing_entry(books: Books, community: str) -> None:
    """The committee's share of 2026 is judged on 2026's income: 2025's closed income does
    not count, and the closing entry's debits to income are no spending."""
    year_of_books(books, community)
    with freeze_time("2026-01-04"):
        close(books=books, slug=community, period="2025", actor="chair")
    with freeze_time("2026-02-01"):
        journal.post(
            books=books, slug=community, draft=txn("1000.00", day=date(2026, 1, 20)), actor="t"
        )
        allowance = txn(
            "100.00",
            debit=chart.USE_COMMITTEE,
            credit=chart.BANK,
            kind="cost",
            day=date(2026, 1, 25),
        )
        assert not journal.post(books=books, slug=community, draft=allowance, actor="t").pending
        over = txn(
            "0.01", debit=chart.USE_COMMITTEE, credit=chart.BANK, kind="cost", day=date(2026, 1, 26)
        )
        with pytest.raises(Exception, match="committee"):
            journal.post(books=books, slug=community, draft=over, actor="t")


def test_a_year_closed_before_closing_entries_existed_gets_its_own(
    books: Books, community: str
) -> None:
    """A close recorded without its closing entry (books closed by an earlier release) is
    given one at start-up: dated the year's end, after the close's head, recorded as an
    event; the chain and the rules still verify."""
    from api.books import open_books
    from api.settings import Settings
    from ledger.db import writer
    from ledger.models import Community, Event
    from rules.periods import backfill_closings

    year_of_books(books, community)
    with writer(books.engine) as session:  # as the first release closed a year
        row = session.execute(select(Community)).scalar_one()
        session.add(
            PeriodClose(
                community_id=row.id,
                period="2025",
                start=date(2025, 1, 1),
                end=date(2025, 12, 31),
                closed_at=datetime(2026, 1, 4, tzinfo=UTC),
                closed_by="chair",
                head_seq=row.head_seq,
                head_hash=row.head_hash,
            )
        )
        row.rev += 1
        session.add(row)
    books.rebuild_projection(community)
    assert backfill_closings(books) == [(community, "2025")]
    assert backfill_closings(books) == []  # once
    with Session(books.engine) as session:
        (closing,) = session.execute(select(Entry).where(col(Entry.kind) == "closing")).scalars()
        (event,) = session.execute(
            select(Event).where(col(Event.action) == "closing-migration")
        ).scalars()
        cid = books.community(session, community).id
        balances = books.balances(session, cid, date(2026, 1, 1))
    assert closing.date == date(2025, 12, 31) and event.object_id == closing.id
    assert {a: b for a, b in balances.items() if a.startswith(("Income:", "Expenses:")) and b} == {}
    report = verify(open_books(Settings(data=books.data_dir)), community)
    assert report.ok, report.problems


def test_the_last_quarters_statement_is_not_turned_by_the_closing_entry(
    books: Books, community: str
) -> None:
    """The closing entry is dated 31 December, inside 2025Q4: the quarter's notice still shows
    the quarter's own income and costs, not the year's reversed."""
    from audit import disclosure

    year_of_books(books, community)
    journal.post(books=books, slug=community, draft=txn("800.00", day=date(2025, 11, 3)), actor="t")
    top_up = txn(
        "500.00",
        debit=chart.USE_MAINTENANCE,
        credit=chart.BANK,
        kind="reserve",
        day=date(2025, 12, 20),
    )
    journal.post(books=books, slug=community, draft=top_up, actor="t")
    with freeze_time("2026-01-04"):
        close(books=books, slug=community, period="2025", actor="chair")
    st = disclosure.statement(books=books, slug=community, period="2025Q4")
    assert st.total_income == Decimal("800.00")
    assert next(line for line in st.income if line.key == "parking").amount == Decimal("800.00")
