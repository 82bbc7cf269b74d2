"""Closing periods: refused while entries are pending or the reserve falls short (with the
shortfall in yuan); otherwise locked, with who, when and the chain head; a year closes its
quarters in order. On SQLite and PostgreSQL, by the journal, the CLI and the API.

The books of most tests, 2025Q1::

    2025-01-05 * "停车场" "1月停车费"           Bank 10000.00  / Income:4301-01  -10000.00
    2025-02-20 * "物业" "成本分成"              Expenses:5101-01  2000.00 / Bank  -2000.00
    2025-03-28 * "维修资金" "补充专项维修资金"   Expenses:5101-03  <top-up> / Bank

net common income 8,000.00, so more than 4,000.00 must be set aside (Shanghai art. 51).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from beancount import loader
from click.testing import CliRunner
from fastapi.testclient import TestClient
from freezegun import freeze_time
from sqlalchemy import select
from sqlmodel import Session, col

from api.cli import main
from api.users import Role, add_member
from ledger import chart, journal
from ledger.books import Books
from ledger.errors import PeriodLocked, RuleViolations, StateConflict, ValidationFailed
from ledger.models import Community, Event, PeriodClose
from rules.community import create
from rules.config import DEFAULT_TEXT
from rules.periods import close
from tests.api_helpers import SLUG, Login, api
from tests.conftest import BOOKS_START, txn
from tests.rules_helpers import set_rules_text


def _books_of_q1(books: Books, slug: str, top_up: str) -> None:
    for draft in (
        txn("10000.00", day=date(2025, 1, 5)),
        txn(
            "2000.00",
            debit=chart.COST_MANAGER_SHARE,
            credit=chart.BANK,
            kind="cost",
            day=date(2025, 2, 20),
        ),
        txn(
            top_up,
            debit=chart.USE_MAINTENANCE,
            credit=chart.BANK,
            kind="reserve",
            day=date(2025, 3, 28),
        ),
    ):
        result = journal.post(books=books, slug=slug, draft=draft, actor="t")
        if result.pending:
            journal.approve(books=books, slug=slug, entry_id=result.entry.id, actor="chair")


def test_a_reserve_shortfall_refuses_the_close_with_the_amount(
    books: Books, community: str
) -> None:
    _books_of_q1(books, community, "4000.00")  # exactly half: Shanghai wants more than half
    with pytest.raises(RuleViolations) as refused:
        close(books=books, slug=community, period="2025Q1", actor="chair")
    (problem,) = refused.value.problems
    assert problem.rule == "reserve-share"
    assert problem.text.render("en") == (
        "reserve for the maintenance fund: 2025Q1 must set aside more than 50% of its net "
        "common income 8,000.00 (4,000.00); set aside 4,000.00, shortfall 0.01 "
        "(Shanghai 住宅物业管理规定 art. 51)"
    )
    assert problem.details["shortfall"] == "0.01" and problem.details["net_income"] == "8000.00"
    with Session(books.engine) as session:
        assert session.execute(select(PeriodClose)).first() is None
        assert session.execute(select(Event).where(col(Event.action) == "close")).first() is None


def test_beijing_at_least_half_only_while_the_fund_is_low(books: Books, community: str) -> None:
    _books_of_q1(books, community, "3000.00")
    beijing = (
        '\n[[version]]\neffective_from = 2025-01-01\nreserve_comparison = "at_least"\n'
        'reserve_condition = "fund_below"\nmaintenance_fund_initial = "100000.00"\n'
    )
    set_rules_text(books, community, DEFAULT_TEXT + beijing)
    with pytest.raises(RuleViolations) as refused:
        close(books=books, slug=community, period="2025Q1", actor="chair")
    assert refused.value.problems[0].text.render("en") == (
        "reserve for the maintenance fund: 2025Q1 must set aside at least 50% of its net "
        "common income 8,000.00 (4,000.00) while the fund (0.00) is under 30,000.00; set "
        "aside 3,000.00, shortfall 1,000.00 (Beijing 物业管理条例 art. 74; fund_below: Beijing "
        "物业管理条例 art. 74)"
    )
    # Once the fund (restricted net assets) is at its floor, the rule does not apply.
    fund = txn(
        "30000.00", debit=chart.BANK, credit=chart.RESTRICTED, kind="reserve", day=date(2025, 1, 2)
    )
    journal.post(books=books, slug=community, draft=fund, actor="t")
    (closed,) = close(books=books, slug=community, period="2025Q1", actor="chair")
    assert closed.reserve.applies is False


def test_pending_entries_refuse_the_close(books: Books, community: str) -> None:
    opening = txn("10000.00", credit=chart.OPENING, kind="opening", day=date(2025, 1, 1))
    journal.post(books=books, slug=community, draft=opening, actor="t")
    _books_of_q1(books, community, "5000.00")
    waiting = journal.post(
        books=books,
        slug=community,
        draft=txn(
            "6000.00",
            debit=chart.COST_DIRECT,
            credit=chart.BANK,
            kind="cost",
            day=date(2025, 3, 30),
        ),
        actor="t",
    )
    assert waiting.pending
    with pytest.raises(StateConflict) as refused:
        close(books=books, slug=community, period="2025Q1", actor="chair")
    assert refused.value.status == 409
    assert refused.value.problems[0].text.render("en") == (
        "cannot close 2025Q1: 1 entry is dated in it and pending approval; approve or reject "
        "them first"
    )
    assert refused.value.problems[0].details["pending"] == [waiting.entry.id]
    journal.reject(
        books=books, slug=community, entry_id=waiting.entry.id, actor="chair", reason="重复"
    )
    assert [
        c.close.period for c in close(books=books, slug=community, period="2025Q1", actor="chair")
    ] == ["2025Q1"]


def test_a_close_locks_the_period_and_records_the_head(any_books: Books) -> None:
    books = any_books
    create(books=books, slug="maple", name="枫林苑", start=BOOKS_START)
    _books_of_q1(books, "maple", "5000.00")
    with freeze_time("2025-04-03 02:00:00"):
        (closed,) = close(books=books, slug="maple", period="2025q1", actor="chair")
    with Session(books.engine) as session:
        community = session.execute(select(Community)).scalar_one()
        row = session.execute(select(PeriodClose)).scalar_one()
        assert (row.period, row.start, row.end) == ("2025Q1", date(2025, 1, 1), date(2025, 3, 31))
        assert (row.head_seq, row.head_hash) == (3, community.head_hash)
        assert row.closed_by == "chair"
        assert row.closed_at.replace(tzinfo=UTC) == datetime(2025, 4, 3, 2, 0, tzinfo=UTC)
        event = session.execute(select(Event).where(col(Event.action) == "close")).scalar_one()
        assert event.object_id == "2025Q1" and event.actor == "chair"
    assert closed.close.head_seq == 3 and closed.reserve.set_aside == Decimal("5000.00")

    late = txn("100.00", day=date(2025, 3, 31))
    with pytest.raises(PeriodLocked) as refused:
        journal.post(books=books, slug="maple", draft=late, actor="t")
    assert refused.value.problems[0].text.render("en") == (
        "closed period: the transaction is dated 2025-03-31, inside the closed period 2025Q1 "
        "(2025-01-01 to 2025-03-31, closed at seq 3); post a correction in an open period "
        "(Shanghai 住宅物业管理规定 art. 66 (disclosed periods stay as disclosed))"
    )
    with Session(books.engine) as session:
        first = session.execute(select(PeriodClose)).scalar_one()
        assert first.head_seq == 3
    entry_id = journal.post(
        books=books, slug="maple", draft=txn("50.00", day=date(2025, 4, 2)), actor="t"
    ).entry.id
    with Session(books.engine) as session:
        from ledger.models import Entry

        q1_entry = session.execute(select(col(Entry.id)).where(col(Entry.seq) == 2)).scalar_one()
    # An entry of a closed period (Q1's cost) is corrected by a reversal dated in an open one.
    correction = journal.reverse(
        reason="更正",
        books=books,
        slug="maple",
        entry_id=q1_entry,
        actor="t",
        on=date(2025, 4, 5),
    )
    assert correction.entry.reverses == q1_entry and correction.date == date(2025, 4, 5)
    with pytest.raises(PeriodLocked, match="the reversal is dated 2025-03-30"):
        journal.reverse(
            reason="更正",
            books=books,
            slug="maple",
            entry_id=entry_id,
            actor="t",
            on=date(2025, 3, 30),
        )
    with pytest.raises(StateConflict, match="2025Q1 is already closed"):
        close(books=books, slug="maple", period="2025Q1", actor="chair")

    # The projection carries the close; beancount (with the plugin) loads it cleanly, also
    # after a rebuild from the database.
    path = books.projection("maple").path
    assert 'custom "close" "2025Q1"' in path.read_text(encoding="utf-8")
    _entries, errors, _ = loader.load_file(str(path))
    assert errors == []
    books.rebuild_projection("maple")
    assert path.read_text(encoding="utf-8").count('custom "close" "2025Q1"') == 1
    _entries, errors, _ = loader.load_file(str(path))
    assert errors == []


def test_a_year_closes_its_open_quarters_in_order(books: Books, community: str) -> None:
    _books_of_q1(books, community, "5000.00")
    close(books=books, slug=community, period="2025Q1", actor="chair")
    done = close(books=books, slug=community, period="2025", actor="chair")
    assert [d.close.period for d in done] == ["2025Q2", "2025Q3", "2025Q4"]
    with pytest.raises(StateConflict, match=r"2025 is already closed \(2025Q1, 2025Q2"):
        close(books=books, slug=community, period="2025", actor="chair")


def test_a_year_is_closed_all_or_nothing(books: Books, community: str) -> None:
    _books_of_q1(books, community, "1000.00")
    with pytest.raises(RuleViolations, match="2025Q1 must set aside"):
        close(books=books, slug=community, period="2025", actor="chair")
    with Session(books.engine) as session:
        assert session.execute(select(PeriodClose)).first() is None


def test_only_quarters_and_years_close(books: Books, community: str) -> None:
    with pytest.raises(ValidationFailed, match="not a date range"):
        close(books=books, slug=community, period="2025-01-01..2025-02-01", actor="chair")
    with pytest.raises(ValidationFailed, match="not a period"):
        close(books=books, slug=community, period="2025Q5", actor="chair")


def test_commons_close_on_the_command_line(books: Books, community: str) -> None:
    _books_of_q1(books, community, "4000.00")
    chair = add_member(books=books, username="chair", slug=community, role=Role.APPROVER)
    runner = CliRunner(env={"COMMONS_TOKEN": chair.token})
    args = [
        "--lang",
        "en",
        "--lang",
        "en",
        "--data",
        str(books.data_dir),
        "close",
        community,
        "2025Q1",
        "--as",
        "chair",
    ]
    refused = runner.invoke(main, args)
    assert refused.exit_code == 1
    assert "(reserve-share)" in refused.output and "shortfall 0.01" in refused.output
    top_up = txn(
        "0.01",
        debit=chart.USE_MAINTENANCE,
        credit=chart.BANK,
        kind="reserve",
        day=date(2025, 3, 31),
    )
    journal.post(books=books, slug=community, draft=top_up, actor="t")
    done = runner.invoke(main, args)
    assert done.exit_code == 0, done.output
    assert done.output.startswith("closed maple 2025Q1 (2025-01-01 to 2025-03-31) at seq 4 ")


def test_close_over_http_for_approvers(
    client: TestClient, members: dict[str, Login], api_books: Books
) -> None:
    _books_of_q1(api_books, SLUG, "5000.00")
    url = f"{api()}/periods/2025Q1/close"
    assert client.post(url, headers=members["treasurer"].bearer).status_code == 403
    answer = client.post(url, headers=members["approver"].bearer)
    assert answer.status_code == 200, answer.text
    (closed,) = answer.json()["closed"]
    assert closed["period"] == "2025Q1" and closed["head_seq"] == 3
    assert closed["closed_by"] == "approver" and len(closed["head_hash"]) == 64
    assert closed["reserve"]["set_aside"] == "5000.00"
    again = client.post(url, headers=members["approver"].bearer)
    assert again.status_code == 409 and again.json()["detail"][0]["rule"] == "period-closed"
    late = client.post(
        f"{api()}/transactions",
        json={
            "date": "2025-03-01",
            "narration": "补记",
            "kind": "income",
            "postings": [
                {"account": chart.BANK, "amount": "1.00"},
                {"account": chart.INCOME_PARKING, "amount": "-1.00"},
            ],
        },
        headers=members["treasurer"].bearer,
    )
    assert late.status_code == 409 and late.json()["detail"][0]["rule"] == "closed-period"


def test_a_period_closes_only_after_its_last_day(books: Books, community: str) -> None:
    on_its_last_day = freeze_time("2025-03-31 12:00:00+08:00")
    with on_its_last_day, pytest.raises(ValidationFailed, match="today is 2025-03-31"):
        close(books=books, slug=community, period="2025Q1", actor="chair")
    in_may = freeze_time("2025-05-10 09:00:00+08:00")  # a year: its unfinished quarter refuses
    with in_may, pytest.raises(ValidationFailed, match="cannot close 2025Q2: it runs to 2025-06"):
        close(books=books, slug=community, period="2025", actor="chair")
    with Session(books.engine) as session:
        assert session.execute(select(PeriodClose)).first() is None
    with freeze_time("2025-04-01 09:00:00+08:00"):
        closed = close(books=books, slug=community, period="2025Q1", actor="chair")
    assert [c.close.period for c in closed] == ["2025Q1"]
