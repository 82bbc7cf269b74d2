"""``Books``: the engine, the data directory and the per-community states, in one object that
the CLI and the API build once and pass to the journal. Reading the journal back into
transactions lives here too, so the state, the projection and the verifier share one query."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, bindparam, select
from sqlmodel import Session, col

from ledger import nowait
from ledger.db import is_sqlite, make_loop_engine
from ledger.errors import NotFound
from ledger.models import Account, Community, Entry, PeriodClose, Posting, Resolution
from ledger.money import from_fen
from ledger.prepared import Statements
from ledger.projection import RULES_FILE, ChainedTxn, Header, Projection, header_opens
from ledger.state import AccountInfo, BookState
from ledger.txn import Leg, Txn
from rules import config as rules_config
from rules.engine import AccountSpec, Context, build_state
from rules.facts import (
    CloseFact,
    ResolutionFact,
    close_fact,
    render_close,
    render_resolution,
    resolution_fact,
)
from rules.registry import RULES

BATCH = 2000


class Books:
    def __init__(self, *, engine: Engine, data_dir: Path) -> None:
        self.engine = engine
        self.data_dir = data_dir
        self._states: dict[str, BookState] = {}
        self._rules_cache: dict[str, tuple[float, rules_config.RulesFile]] = {}
        self._lock = threading.Lock()
        self._projections: dict[str, Projection] = {}
        #: Whether the server may run a single post on its event loop (``ledger.nowait``):
        #: on SQLite, where a post is local work; never on PostgreSQL (network round trips).
        self.posts_on_loop = is_sqlite(engine)
        self._loop_engine = make_loop_engine(str(engine.url)) if self.posts_on_loop else None

    def current_engine(self) -> Engine:
        """The engine for the caller: the shared one, or inside ``nowait.no_wait`` (the
        event loop) the loop's own connection, which fails instead of waiting when another
        connection holds SQLite's write lock."""
        if self._loop_engine is None or not nowait.active():
            return self.engine
        return self._loop_engine

    def dispose(self) -> None:
        """Close every pooled connection (the loop's too)."""
        self.engine.dispose()
        if self._loop_engine is not None:
            self._loop_engine.dispose()

    # --- places -------------------------------------------------------------------------

    def community_dir(self, slug: str) -> Path:
        return self.data_dir / slug

    def projection(self, slug: str) -> Projection:
        """The community's projection writer, one per community (it keeps its lock open)."""
        projection = self._projections.get(slug)
        if projection is None:
            projection = self._projections.setdefault(slug, Projection(self.community_dir(slug)))
        return projection

    def rules_path(self, slug: str) -> Path:
        return self.community_dir(slug) / RULES_FILE

    def rules_file(self, slug: str) -> rules_config.RulesFile:
        """The community's rules file, parsed once per change of the file (by mtime)."""
        mtime = self._rules_mtime(slug)
        cached = self._rules_cache.get(slug)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        path = self.rules_path(slug)
        if path.exists():
            parsed = rules_config.load(path)
        else:
            parsed = rules_config.parse(rules_config.DEFAULT_TEXT)
        self._rules_cache[slug] = (mtime, parsed)
        return parsed

    def _rules_mtime(self, slug: str) -> float:
        try:
            return self.rules_path(slug).stat().st_mtime
        except OSError:
            return 0.0

    # --- lookups ------------------------------------------------------------------------

    @staticmethod
    def community(session: Session, slug: str, *, for_update: bool = False) -> Community:
        query = select(Community).where(col(Community.slug) == slug)
        if for_update:
            query = query.with_for_update()
        community: Community | None = session.execute(query).scalars().first()
        if community is None:
            raise NotFound(f"no community {slug!r}")
        return community

    @staticmethod
    def accounts(session: Session, community_id: str) -> list[Account]:
        query = (
            select(Account)
            .where(col(Account.community_id) == community_id)
            .order_by(col(Account.name))
        )
        return list(session.execute(query).scalars())

    # --- reading the journal back -------------------------------------------------------

    @staticmethod
    def chained(
        session: Session, community_id: str, *, after_seq: int = 0, upto_seq: int | None = None
    ) -> Iterator[ChainedTxn]:
        """Posted entries in sequence, as transactions with their chain links. Reads plain
        rows (no ORM objects) in ranges of ``BATCH`` sequence numbers: the posted sequence is
        contiguous, so a range is an indexed slice."""
        names = {
            account_id: name
            for account_id, name in session.execute(
                select(col(Account.id), col(Account.name)).where(
                    col(Account.community_id) == community_id
                )
            )
        }
        head = session.execute(
            select(col(Community.head_seq)).where(col(Community.id) == community_id)
        ).scalar_one()
        stop = head if upto_seq is None else min(head, upto_seq)
        connection = session.connection()
        query = CHAINED("range", connection.dialect)
        low = after_seq
        while low < stop:
            high = min(low + BATCH, stop)
            rows = query.tuples(
                connection, {"community_id": community_id, "low": low, "high": high}
            )
            current: Any = None
            legs: list[Leg] = []
            for row in rows:
                if current is None or row[0] != current[0]:
                    if current is not None:
                        yield _chained_of(current, legs)
                    current, legs = row, []
                legs.append(Leg(names[row[13]], Decimal(row[14]).scaleb(-2)))
            if current is not None:
                yield _chained_of(current, legs)
            low = high

    # --- the in-memory state ------------------------------------------------------------

    def rule_context(self, session: Session, community: Community) -> Context:
        accounts = {
            a.name: AccountSpec(a.name, a.code, a.restricted)
            for a in self.accounts(session, community.id)
        }
        resolutions, closes = self.facts(session, community.id)
        return Context(
            community_id=community.id,
            accounts=accounts,
            config=self.rules_file(community.slug),
            resolutions={fact.number: fact for fact in resolutions},
            closed=closes,
        )

    @staticmethod
    def facts(session: Session, community_id: str) -> tuple[list[ResolutionFact], list[CloseFact]]:
        """The community's resolutions (by number) and closed periods (by start), as the rules
        see them (:mod:`rules.facts`)."""
        resolutions = session.execute(
            select(Resolution)
            .where(col(Resolution.community_id) == community_id)
            .order_by(col(Resolution.number))
        ).scalars()
        closes = session.execute(
            select(PeriodClose)
            .where(col(PeriodClose.community_id) == community_id)
            .order_by(col(PeriodClose.start))
        ).scalars()
        return [resolution_fact(r) for r in resolutions], [close_fact(c) for c in closes]

    def state(self, session: Session, community: Community) -> BookState:
        """The community's state, caught up with the database row ``community`` (which the
        caller has locked when it is about to write)."""
        with nowait.holding(self._lock, "the books' lock"):
            state = self._states.get(community.id)
            mtime = self._rules_mtime(community.slug)
            if state is None or state.seq > community.head_seq or state.rules is None:
                nowait.refuse("the community's state is to be built")
                state = self._build_state(session, community)
                self._states[community.id] = state
            elif state.rev != community.rev or state.rules_mtime != mtime:
                nowait.refuse("the community's rules context is to be refreshed")
                self._refresh_facts(session, community, state, mtime)
        if state.seq < community.head_seq:
            nowait.refuse("the community's state is behind the journal")
            with state.lock:
                for item in self.chained(session, community.id, after_seq=state.seq):
                    state.apply(item.txn, item.hash)
        return state

    def _refresh_facts(
        self, session: Session, community: Community, state: BookState, mtime: float
    ) -> None:
        """A resolution, a close, a unit import or an edited rules file changed what the rules
        *check* against, not what they *fold* (a rule's ``apply`` reads only transactions and
        the chart; see :class:`rules.engine.Rule`). So the context is swapped in place, the
        same object every rule holds, instead of refolding the whole journal."""
        fresh = self.rule_context(session, community)
        with state.lock:
            assert state.rules is not None
            context = state.rules.context
            context.accounts = fresh.accounts
            context.config = fresh.config
            context.resolutions = fresh.resolutions
            context.closed = fresh.closed
            state.accounts = self._account_infos(session, community)
            state.rev = community.rev
            state.rules_mtime = mtime

    def _account_infos(self, session: Session, community: Community) -> dict[str, AccountInfo]:
        return {
            a.name: AccountInfo(
                a.id or 0, a.name, a.code, a.name_zh, a.restricted, a.open_date, a.close_date
            )
            for a in self.accounts(session, community.id)
        }

    def _build_state(self, session: Session, community: Community) -> BookState:
        state = BookState(
            community_id=community.id,
            seq=0,
            head=community.head_hash if community.head_seq == 0 else "",
            rev=community.rev,
            rules_mtime=self._rules_mtime(community.slug),
            accounts=self._account_infos(session, community),
            rules=build_state(self.rule_context(session, community), RULES),
        )
        return state

    def invalidate(self, community_id: str) -> None:
        """Forget a community's state (after a failed write); rebuilt on next use."""
        with self._lock:
            self._states.pop(community_id, None)

    # --- the projection -----------------------------------------------------------------

    def header(self, session: Session, community: Community) -> Header:
        accounts = self.accounts(session, community.id)
        first = min((a.open_date for a in accounts), default=date(2000, 1, 1))
        opens = header_opens(
            (a.name, a.code, a.name_zh, a.name_en, a.restricted, a.open_date, a.close_date)
            for a in sorted(accounts, key=lambda a: a.code)
        )
        resolutions, closes = self.facts(session, community.id)
        directives = tuple(render_resolution(r) for r in resolutions) + tuple(
            render_close(c) for c in closes
        )
        return Header(
            community.id, community.name, community.slug, first.isoformat(), opens, directives
        )

    def rebuild_projection(self, slug: str) -> int:
        with Session(self.engine) as session:
            community = self.community(session, slug)
            return self.projection(slug).rebuild(
                self.header(session, community), self.chained(session, community.id)
            )

    def sync_projection(self, slug: str, items: list[ChainedTxn] | None = None) -> None:
        """Append ``items`` (just committed), catching up or repairing from the database.
        The database is read only when the file is behind or damaged, in one session (one
        snapshot for a rebuild's header and entries), opened on first use."""
        with ExitStack() as stack:
            opened: list[Session] = []

            def session() -> Session:
                if not opened:
                    opened.append(stack.enter_context(Session(self.engine)))
                return opened[0]

            def community_id() -> str:
                return self.community(session(), slug).id

            try:
                self.projection(slug).append(
                    items or [],
                    catch_up=lambda after: list(
                        self.chained(session(), community_id(), after_seq=after)
                    ),
                    header=lambda: self.header(session(), self.community(session(), slug)),
                    all_txns=lambda: self.chained(session(), community_id()),
                )
            except nowait.WouldBlock:  # on the event loop, after a commit: later, in a thread
                nowait.defer(partial(self.sync_projection, slug, items))

    def balances(
        self, session: Session, community_id: str, as_of: date | None
    ) -> dict[str, Decimal]:
        """Balance per account of the posted entries dated on or before ``as_of``."""
        from sqlalchemy import func

        query = (
            select(col(Account.name), func.coalesce(func.sum(col(Posting.amount_fen)), 0))
            .join(Posting, col(Posting.account_id) == col(Account.id))
            .join(Entry, col(Entry.id) == col(Posting.entry_id))
            .where(col(Entry.community_id) == community_id)
            .where(col(Entry.status) == "posted")
            .group_by(col(Account.name))
        )
        if as_of is not None:
            query = query.where(col(Entry.date) <= as_of)
        return {name: from_fen(int(fen)) for name, fen in session.execute(query)}


def _chained_range() -> Any:
    """Posted entries with ``low < seq <= high`` and their legs, in order: plain rows."""
    return (
        select(
            col(Entry.id),
            col(Entry.seq),
            col(Entry.date),
            col(Entry.payee),
            col(Entry.narration),
            col(Entry.kind),
            col(Entry.entered_by),
            col(Entry.approved_by),
            col(Entry.resolution),
            col(Entry.documents),
            col(Entry.reverses),
            col(Entry.prev_hash),
            col(Entry.hash),
            col(Posting.account_id),
            col(Posting.amount_fen),
        )
        .join(Posting, col(Posting.entry_id) == col(Entry.id))
        .where(col(Entry.community_id) == bindparam("community_id"))
        .where(col(Entry.status) == "posted")
        .where(col(Entry.seq) > bindparam("low"))
        .where(col(Entry.seq) <= bindparam("high"))
        .order_by(col(Entry.seq), col(Posting.position))
    )


#: Reading the journal back (a state fold, a rebuild, an export) runs prepared on the
#: driver's cursor (``ledger.prepared``): SQLAlchemy's row machinery was a third of it.
CHAINED = Statements(range=_chained_range)


def _chained_of(row: Any, legs: list[Leg]) -> ChainedTxn:
    txn = Txn(
        id=row[0],
        seq=row[1],
        date=row[2],
        payee=row[3],
        narration=row[4],
        kind=row[5],
        legs=tuple(legs),
        entered_by=row[6],
        approved_by=row[7],
        resolution=row[8],
        documents=() if row[9] == "[]" else tuple(json.loads(row[9])),
        reverses=row[10],
    )
    return ChainedTxn(txn, row[11] or "", row[12] or "")


def txn_of(entry: Entry, legs: tuple[Leg, ...]) -> Txn:
    return Txn(
        id=entry.id,
        seq=entry.seq,
        date=entry.date,
        payee=entry.payee,
        narration=entry.narration,
        kind=entry.kind,
        legs=legs,
        entered_by=entry.entered_by,
        approved_by=entry.approved_by,
        resolution=entry.resolution,
        documents=tuple(json.loads(entry.documents)),
        reverses=entry.reverses,
    )
