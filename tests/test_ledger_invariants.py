"""A stateful hypothesis test of the journal: random sequences of posts, refusals, approvals,
rejections, reversals and period closes, with the allocation rules in force. After every step:
debits equal credits, the balances equal the sum of the postings (and the in-memory state
agrees), no cash account and no fund is overdrawn, nothing was posted into a period after it
closed, a refused action changed nothing, and the chain (and every rule) verifies."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import func, select
from sqlmodel import Session

from api.books import open_books
from api.settings import Settings
from audit.verify import verify
from ledger import chart, journal
from ledger.errors import LedgerError
from ledger.models import Entry, Event, PeriodClose, Posting
from ledger.money import from_fen
from rules import periods
from rules.community import create
from tests.conftest import BOOKS_START, txn
from tests.rules_helpers import add_resolution

ACCOUNTS = [
    chart.BANK,
    chart.CASH,
    chart.INCOME_PARKING,
    chart.INCOME_ADS,
    chart.USE_AUDIT,
    chart.USE_DIVIDEND,
    chart.USE_UPGRADE,
    chart.DIVIDENDS_PAYABLE,
    chart.USE_MAINTENANCE,
    chart.OPENING,
]
AMOUNTS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("20000"), places=2)
KINDS = st.sampled_from(["income", "cost", "upgrade", "dividend", "transfer", "reserve"])
DAYS = st.dates(min_value=date(2025, 1, 1), max_value=date(2025, 12, 31))
RESOLUTION = "2025-01"
#: The funds and cash as the no-overdraft rule defines them (rules/accounts.py): cash accounts
#: are debit balances; the restricted fund is the restricted equity; the unrestricted fund is
#: every other equity, income and expense account (the year's result not yet closed).
CASH = set(chart.CASH_ACCOUNTS)


class JournalMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="commons-hyp-"))
        self.books = open_books(Settings(data=self.dir))
        create(books=self.books, slug="maple", name="枫林苑", start=BOOKS_START)
        add_resolution(
            self.books,
            "maple",
            RESOLUTION,
            purpose=("upgrade", "dividend"),
            budget="30000.00",
            voted_on=date(2024, 12, 20),
            effective_from=date(2025, 1, 1),
        )
        self.pending: list[str] = []
        self.posted: list[str] = []
        self.reversed: dict[str, str] = {}  # original -> its reversal (posted or pending)
        self.refusal: LedgerError | None = None  # the last refused action's error

    def teardown(self) -> None:
        self.books.engine.dispose()
        shutil.rmtree(self.dir, ignore_errors=True)

    def snapshot(self) -> tuple[int, int, int, bytes]:
        with Session(self.books.engine) as session:
            entries = session.execute(select(func.count()).select_from(Entry)).scalar_one()
            postings = session.execute(select(func.count()).select_from(Posting)).scalar_one()
            events = session.execute(select(func.count()).select_from(Event)).scalar_one()
        return entries, postings, events, self.books.projection("maple").path.read_bytes()

    def attempt(self, action: str | Callable[..., object], **kwargs: object) -> object | None:
        call = getattr(journal, action) if isinstance(action, str) else action
        before = self.snapshot()
        try:
            return call(books=self.books, slug="maple", **kwargs)
        except LedgerError as refused:
            self.refusal = refused
            assert self.snapshot() == before, f"a refused {action} changed something"
            return None

    @rule(
        amount=AMOUNTS,
        debit=st.sampled_from(ACCOUNTS),
        credit=st.sampled_from(ACCOUNTS),
        kind=KINDS,
        key=st.none() | st.sampled_from(["k1", "k2", "k3"]),
        day=DAYS,
        cite=st.booleans(),
    )
    def post(
        self,
        amount: Decimal,
        debit: str,
        credit: str,
        kind: str,
        key: str | None,
        day: date,
        cite: bool,
    ) -> None:
        draft = txn(
            str(amount),
            debit=debit,
            credit=credit,
            kind=kind,
            key=key,
            day=day,
            resolution=RESOLUTION if cite else None,
        )
        result = self.attempt("post", draft=draft, actor="treasurer")
        event("post refused" if result is None else "post accepted")
        if result is not None and result.created:  # type: ignore[attr-defined]
            entry = result.entry  # type: ignore[attr-defined]
            (self.pending if entry.status == "pending" else self.posted).append(entry.id)

    @rule(amount=AMOUNTS, day=DAYS)
    def receive_income(self, amount: Decimal, day: date) -> None:
        """Parking income into the bank: valid unless its period is closed."""
        result = self.attempt("post", draft=txn(str(amount), day=day), actor="treasurer")
        event("income refused" if result is None else "income accepted")
        if result is not None:
            self.posted.append(result.entry.id)  # type: ignore[attr-defined]

    @rule(amount=AMOUNTS)
    def post_unbalanced(self, amount: Decimal) -> None:
        draft = txn(str(amount))
        draft.postings[1].amount = -amount + Decimal("0.01")
        assert self.attempt("post", draft=draft, actor="treasurer") is None

    @precondition(lambda self: self.pending)
    @rule(data=st.data(), same_person=st.booleans())
    def approve(self, data: st.DataObject, same_person: bool) -> None:
        entry_id = data.draw(st.sampled_from(self.pending))
        actor = "treasurer" if same_person else "chair"
        result = self.attempt("approve", entry_id=entry_id, actor=actor)
        if same_person:
            assert result is None
        elif result is not None:
            self.pending.remove(entry_id)
            self.posted.append(entry_id)

    @precondition(lambda self: self.pending)
    @rule(data=st.data())
    def reject(self, data: st.DataObject) -> None:
        entry_id = data.draw(st.sampled_from(self.pending))
        assert self.attempt("reject", entry_id=entry_id, actor="chair", reason="不同意") is not None
        self.pending.remove(entry_id)
        for original, reversal in list(self.reversed.items()):
            if reversal == entry_id:  # a rejected reversal frees its original
                del self.reversed[original]

    @precondition(lambda self: self.posted)
    @rule(data=st.data())
    def reverse(self, data: st.DataObject) -> None:
        entry_id = data.draw(st.sampled_from(self.posted))
        result = self.attempt("reverse", entry_id=entry_id, actor="treasurer", reason="撤销")
        if entry_id in self.reversed:
            assert result is None
        elif result is not None:
            entry = result.entry  # type: ignore[attr-defined]
            self.reversed[entry_id] = entry.id
            (self.pending if entry.status == "pending" else self.posted).append(entry.id)

    @rule(quarter=st.integers(min_value=1, max_value=4), top_up=st.booleans())
    def close(self, quarter: int, top_up: bool) -> None:
        """Close a quarter; when the reserve rule refuses, maybe set the shortfall aside for
        the maintenance fund (as a treasurer would) and try again."""
        period = f"2025Q{quarter}"
        if self.attempt(periods.close, period=period, actor="chair") is not None:
            event("closed at once")
            return
        problems = self.refusal.problems if self.refusal is not None else []
        shortfall = next((p.details.get("shortfall") for p in problems if p.details), None)
        if not (top_up and shortfall):
            return
        day = date(2025, 3 * quarter, 28)
        reserve = txn(
            shortfall, debit=chart.USE_MAINTENANCE, credit=chart.BANK, kind="reserve", day=day
        )
        if self.attempt("post", draft=reserve, actor="treasurer") is not None:
            closed = self.attempt(periods.close, period=period, actor="chair") is not None
            event("closed after a top-up" if closed else "refused after a top-up")

    @invariant()
    def nothing_overdrawn_nothing_posted_into_a_closed_period(self) -> None:
        with Session(self.books.engine) as session:
            community = self.books.community(session, "maple")
            balances = self.books.balances(session, community.id, None)
            closes = session.execute(select(PeriodClose)).scalars().all()
            late = [
                (entry.seq, entry.date, close.period)
                for close in closes
                for entry in session.execute(
                    select(Entry)
                    .where(Entry.status == "posted")
                    .where(Entry.seq > close.head_seq)  # type: ignore[operator]
                    .where(Entry.date <= close.end)  # in or before: periods close in order
                ).scalars()
            ]
        assert late == [], f"posted into a closed period: {late}"
        for account in CASH:
            assert balances.get(account, Decimal(0)) >= 0, f"{account} overdrawn"
        restricted = -balances.get(chart.RESTRICTED, Decimal(0))
        unrestricted = -sum(
            (
                amount
                for account, amount in balances.items()
                if account.startswith(("Equity:", "Income:", "Expenses:"))
                and account != chart.RESTRICTED
            ),
            Decimal(0),
        )
        assert restricted >= 0, f"restricted fund overdrawn: {restricted}"
        assert unrestricted >= 0, f"unrestricted fund overdrawn: {unrestricted}"

    @invariant()
    def books_balance_and_verify(self) -> None:
        with Session(self.books.engine) as session:
            community = self.books.community(session, "maple")
            posted = (
                select(Posting.amount_fen)
                .join(Entry, Entry.id == Posting.entry_id)
                .where(Entry.status == "posted")
            ).subquery()
            total = session.execute(
                select(func.coalesce(func.sum(posted.c.amount_fen), 0))
            ).scalar_one()
            assert total == 0
            balances = self.books.balances(session, community.id, None)
            state = self.books.state(session, community)
        assert sum(balances.values(), Decimal(0)) == 0
        assert {a: from_fen(f) for a, f in state.balances.items() if f} == {
            a: b for a, b in balances.items() if b
        }
        report = verify(self.books, "maple")
        assert report.ok, report.problems


JournalMachine.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestJournal = JournalMachine.TestCase
