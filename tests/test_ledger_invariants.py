"""A stateful hypothesis test of the journal: random sequences of posts, refusals, approvals,
rejections and reversals. After every step: debits equal credits, the balances equal the sum of
the postings (and the in-memory state agrees), a refused action changed nothing, and the chain
verifies."""

from __future__ import annotations

import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import func, select
from sqlmodel import Session

from api.books import open_books
from api.settings import Settings
from audit.verify import verify
from ledger import chart, journal
from ledger.community import create
from ledger.errors import LedgerError
from ledger.models import Entry, Event, Posting
from ledger.money import from_fen
from tests.conftest import txn

ACCOUNTS = [
    chart.BANK,
    chart.CASH,
    chart.INCOME_PARKING,
    chart.INCOME_ADS,
    chart.USE_AUDIT,
    chart.USE_DIVIDEND,
    chart.USE_UPGRADE,
    chart.DIVIDENDS_PAYABLE,
]
AMOUNTS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("20000"), places=2)
KINDS = st.sampled_from(["income", "cost", "upgrade", "dividend", "transfer"])


class JournalMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="commons-hyp-"))
        self.books = open_books(Settings(data=self.dir))
        create(books=self.books, slug="maple", name="枫林苑")
        self.pending: list[str] = []
        self.posted: list[str] = []
        self.reversed: set[str] = set()

    def teardown(self) -> None:
        self.books.engine.dispose()
        shutil.rmtree(self.dir, ignore_errors=True)

    def snapshot(self) -> tuple[int, int, int, bytes]:
        with Session(self.books.engine) as session:
            entries = session.execute(select(func.count()).select_from(Entry)).scalar_one()
            postings = session.execute(select(func.count()).select_from(Posting)).scalar_one()
            events = session.execute(select(func.count()).select_from(Event)).scalar_one()
        return entries, postings, events, self.books.projection("maple").path.read_bytes()

    def attempt(self, action: str, **kwargs: object) -> object | None:
        before = self.snapshot()
        try:
            return getattr(journal, action)(books=self.books, slug="maple", **kwargs)
        except LedgerError:
            assert self.snapshot() == before, f"a refused {action} changed something"
            return None

    @rule(
        amount=AMOUNTS,
        debit=st.sampled_from(ACCOUNTS),
        credit=st.sampled_from(ACCOUNTS),
        kind=KINDS,
        key=st.none() | st.sampled_from(["k1", "k2", "k3"]),
    )
    def post(self, amount: Decimal, debit: str, credit: str, kind: str, key: str | None) -> None:
        result = self.attempt(
            "post",
            draft=txn(str(amount), debit=debit, credit=credit, kind=kind, key=key),
            actor="treasurer",
        )
        if result is not None and result.created:  # type: ignore[attr-defined]
            entry = result.entry  # type: ignore[attr-defined]
            (self.pending if entry.status == "pending" else self.posted).append(entry.id)

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

    @precondition(lambda self: self.posted)
    @rule(data=st.data())
    def reverse(self, data: st.DataObject) -> None:
        entry_id = data.draw(st.sampled_from(self.posted))
        result = self.attempt("reverse", entry_id=entry_id, actor="treasurer")
        if entry_id in self.reversed:
            assert result is None
        elif result is not None:
            self.reversed.add(entry_id)
            self.posted.append(result.entry.id)  # type: ignore[attr-defined]

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
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestJournal = JournalMachine.TestCase
