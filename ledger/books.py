"""``Books``: the engine, the data directory, the rule set handed in by the caller and the
per-community states, in one object that the CLI and the API build once and pass to the journal.
Reading the journal back into transactions lives here too, so the state, the projection and the
verifier share one query."""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict, deque
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, bindparam, func, select
from sqlalchemy.engine import Connection
from sqlmodel import Session, col

from ledger import documents as ledger_documents
from ledger import events
from ledger.budgets import in_force as budgets_in_force
from ledger.budgets import render_budgets
from ledger.checks import RuleSet
from ledger.db import writer
from ledger.errors import NotFound
from ledger.facts import (
    CloseFact,
    ResolutionFact,
    close_fact,
    render_close,
    render_resolution,
    resolution_fact,
)
from ledger.messages import msg
from ledger.models import Account, Community, Entry, PeriodClose, Posting, Resolution, keyed
from ledger.money import from_fen
from ledger.prepared import Statements
from ledger.projection import (
    RULES_FILE,
    ChainedTxn,
    Finding,
    Header,
    Layout,
    Projection,
    header_opens,
)
from ledger.state import AccountInfo, BookState
from ledger.txn import Leg, Txn

log = logging.getLogger(__name__)

BATCH = 2000
#: How many communities' in-memory states (their rules folded over the journal) are kept by
#: default; the least recently used beyond it is dropped, and refolded on its next post.
STATES_MAX = 256


class TurnLock:
    """A lock handed to its waiters in the order they came (``threading.Lock`` is not: a
    thread that releases it and asks again at once, or any thread that happens to be running,
    usually wins over one that has waited longest). The posting path's writers queue on it;
    with the plain lock, eight concurrent posters' slowest post waited seconds behind others
    that kept barging in (measured on PostgreSQL: p99 of the wait 3.5 s, median 0)."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._waiters: deque[threading.Lock] = deque()

    def acquire(self) -> None:
        with self._mutex:
            if not self._held:
                self._held = True
                return
            turn = threading.Lock()
            turn.acquire()
            self._waiters.append(turn)
        turn.acquire()  # released by ``release``, which hands the lock over held

    def release(self) -> None:
        with self._mutex:
            if self._waiters:
                self._waiters.popleft().release()
            else:
                self._held = False

    def waiting(self) -> int:
        """How many threads are queued for it."""
        with self._mutex:
            return len(self._waiters)

    def __enter__(self) -> TurnLock:
        self.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()


class Books:
    def __init__(
        self,
        *,
        engine: Engine,
        data_dir: Path,
        rules: RuleSet,
        fava_extensions: tuple[str, ...] = (),
        states_max: int = STATES_MAX,
    ) -> None:
        self.engine = engine
        self.data_dir = data_dir
        #: The checks every post passes, handed in by the caller (``ledger.checks``).
        self.rules = rules
        #: Modules of Fava extensions the projection names (the caller's: the committee's
        #: dashboard), so the Fava reading it offers them.
        self.fava_extensions = fava_extensions
        self._states: OrderedDict[str, BookState] = OrderedDict()
        self.states_max = max(1, states_max)
        self._lock = threading.Lock()
        self._writers: dict[str, TurnLock] = {}
        self._projections: dict[str, Projection] = {}
        #: Each community's id by its slug, as this process has found them (:meth:`community_id`).
        self._ids: dict[str, str] = {}

    def writing(self, slug: str) -> TurnLock:
        """The lock this process's writers of one community take before the database's: they
        queue here and wake at once, in turn, instead of polling SQLite's busy lock (which
        sleeps in steps of up to 100 ms, the tail of concurrent posts). Other processes still
        meet at the database (``BEGIN IMMEDIATE``, ``FOR UPDATE``)."""
        with self._lock:
            return self._writers.setdefault(slug, TurnLock())

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

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

    # --- lookups ------------------------------------------------------------------------

    def community(self, session: Session, slug: str, *, for_update: bool = False) -> Community:
        """The community ``slug`` (locked with ``for_update``), found by its id
        (:meth:`community_id`), the column a database distributed by community routes on."""
        for again in (False, True):
            query = select(Community).where(
                col(Community.id) == self.community_id(session.connection(), slug, again=again)
            )
            if for_update:
                query = query.with_for_update()
            community: Community | None = session.execute(query).scalars().first()
            if community is not None:
                return community
        raise NotFound(msg("backup.no-community", slug=slug))

    @staticmethod
    def community_of_slug(session: Session, slug: str, *, for_update: bool = False) -> Community:
        """The community ``slug`` found by its slug, for callers without the books (and so
        without :meth:`community_id`'s memory)."""
        query = select(Community).where(col(Community.slug) == slug)
        if for_update:
            query = query.with_for_update()
        community: Community | None = session.execute(query).scalars().first()
        if community is None:
            raise NotFound(msg("backup.no-community", slug=slug))
        return community

    def community_id(self, connection: Connection, slug: str, *, again: bool = False) -> str:
        """The id of the community ``slug``: looked up once per process, then from memory, so
        that the posting path finds (and locks) the community's row by its id, the
        distribution column (docs/deploy.md). A slug never changes and a community is never
        deleted: nothing updates either. ``again``: forget what this process knew and look
        the slug up afresh (the caller found no row under the remembered id)."""
        if again:
            self._ids.pop(slug, None)
        found = self._ids.get(slug)
        if found is None:
            rows = COMMUNITY("id_of_slug", connection.dialect).tuples(connection, {"slug": slug})
            if not rows:
                raise NotFound(msg("backup.no-community", slug=slug))
            found = self._ids[slug] = str(rows[0][0])
        return found

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

    @staticmethod
    def facts(session: Session, community_id: str) -> tuple[list[ResolutionFact], list[CloseFact]]:
        """The community's resolutions (by number) and closed periods (by start), as the rules
        see them (:mod:`ledger.facts`)."""
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
        version = (community.rev, self.rules.version(community.slug))
        with self._lock:
            state = self._states.get(community.id)
            if state is None or state.seq > community.head_seq:
                state = self._build_state(session, community, version)
                self._states[community.id] = state
                while len(self._states) > self.states_max:
                    self._states.popitem(last=False)
            elif state.version != version:
                self._refresh_facts(session, community, state, version)
            self._states.move_to_end(community.id)
        if state.seq < community.head_seq:
            with state.lock:
                for item in self.chained(session, community.id, after_seq=state.seq):
                    state.apply(item.txn, item.hash)
        return state

    def _refresh_facts(
        self, session: Session, community: Community, state: BookState, version: Any
    ) -> None:
        """A resolution, a close, a unit import or an edited rules file changed what the rules
        *check* against, not what they *fold*; so the facts are swapped in place instead of
        refolding the whole journal."""
        with state.lock:
            self.rules.refresh(session, community, state.checks)
            state.accounts = self._account_infos(session, community)
            state.closes = self.facts(session, community.id)[1]
            state.start = community.start_date
            state.version = version

    def _account_infos(self, session: Session, community: Community) -> dict[str, AccountInfo]:
        return {
            a.name: AccountInfo(
                a.id or 0, a.name, a.code, a.name_zh, a.restricted, a.open_date, a.close_date
            )
            for a in self.accounts(session, community.id)
        }

    def _build_state(self, session: Session, community: Community, version: Any) -> BookState:
        return BookState(
            community_id=community.id,
            seq=0,
            head=community.head_hash if community.head_seq == 0 else "",
            version=version,
            accounts=self._account_infos(session, community),
            checks=self.rules.start(session, community),
            closes=self.facts(session, community.id)[1],
            start=community.start_date,
        )

    def invalidate(self, community_id: str) -> None:
        """Forget a community's state (after a failed write); rebuilt on next use."""
        with self._lock:
            self._states.pop(community_id, None)

    # --- the projection -----------------------------------------------------------------

    def header(self, session: Session, community: Community, *, documents: bool = False) -> Header:
        """Options, the opens, and the facts: resolutions, closes and the budget in force; with
        ``documents``, the ``document`` directives of the documents behind posted entries too,
        their files written beside the ledger first (:mod:`ledger.documents`). The Fava
        extensions are named in every header, as the plugin is: the file loads the same in any
        Fava beside this package."""
        accounts = self.accounts(session, community.id)
        first = min((a.open_date for a in accounts), default=date(2000, 1, 1))
        opens = header_opens(
            (a.name, a.code, a.name_zh, a.name_en, a.restricted, a.open_date, a.close_date)
            for a in sorted(accounts, key=lambda a: a.code)
        )
        resolutions, closes = self.facts(session, community.id)
        directives = (
            tuple(render_resolution(r) for r in resolutions)
            + tuple(render_close(c) for c in closes)
            + render_budgets(budgets_in_force(session, community.id))
        )
        if documents:
            directives += ledger_documents.directives(
                session, community.id, self.community_dir(community.slug)
            )
        return Header(
            community.id,
            community.name,
            community.slug,
            first.isoformat(),
            opens,
            directives,
            fava_extensions=self.fava_extensions,
        )

    @staticmethod
    def closed_years(session: Session, community_id: str) -> tuple[int, ...]:
        """The fiscal years whose last period is closed (periods close in order, so every
        period of such a year is closed): nothing dated in them can be posted again."""
        ends = session.execute(
            select(col(PeriodClose.end)).where(col(PeriodClose.community_id) == community_id)
        ).scalars()
        return tuple(sorted({end.year for end in ends if (end.month, end.day) == (12, 31)}))

    def layout(self, session: Session, community: Community) -> Layout:
        """What the projection's files are made of (``ledger.projection.Layout``)."""
        return Layout(
            self.header(session, community, documents=True),
            self.closed_years(session, community.id),
            lambda: self.rules.start(session, community),
        )

    def rebuild_projection(self, slug: str) -> Finding:
        """Write the projection again from the journal (a new resolution or close changed its
        header; ``commons rebuild``). An altered file is kept aside and reported first."""
        with Session(self.engine) as session:
            community = self.community(session, slug)
            finding = self.projection(slug).repair(
                self.layout(session, community), self.chained(session, community.id)
            )
        if finding.state != "current":
            self._report(slug, finding)
        return finding

    def sync_projection(self, slug: str, items: list[ChainedTxn] | None = None) -> None:
        """Append ``items`` (just committed) to the projection, catching it up from the
        database when it is *behind*, and rebuilding it when it was *altered* (the altered file
        is kept aside, and the finding logged and recorded as an event).

        Never raises: the entries are committed, and the book of record is the database. A
        failure is logged, and the next append, the next start or ``commons rebuild`` repairs
        the file."""
        try:
            finding = self._sync(slug, items or [])
        except Exception:
            log.exception("projection of %s: append failed after the commit; repaired later", slug)
            return
        if finding is not None:
            self._report(slug, finding)
        if not items:
            self._level_header(slug)

    def _level_header(self, slug: str) -> None:
        """On a catch-up (a start, a read through Fava), bring the header level too: another
        process on the database (another node) may have added a resolution, a close, a budget
        or a document, which rebuilds the header of *its* projection only; the entries'
        catch-up does not see it. The file starts with the header exactly, so its first bytes
        tell; a stale one is rebuilt. Never raises, like the append."""
        try:
            with Session(self.engine) as session:
                community = self.community(session, slug)
                wanted = self.header(session, community, documents=True).render().encode()
            with open(self.projection(slug).path, "rb") as projected:
                if projected.read(len(wanted)) == wanted:
                    return
            log.info("projection of %s: the header changed in the database; rebuilding", slug)
            self.rebuild_projection(slug)
        except Exception:
            log.exception("projection of %s: could not bring its header level", slug)

    def catch_up(self, slug: str) -> bool:
        """Before the projection is read (Fava): bring it up to the database, which another
        process or node may have written. Costs one query and a ``stat`` when it is current:
        entries are appended when the database's head is past the file's, and the files are
        rebuilt when a year was closed that they do not split off yet. A file edited by hand
        is left as it is (Fava's errors page shows it) until the next writer examines it.
        False: no community."""
        with Session(self.engine) as session:
            try:
                community_id = self.community_id(session.connection(), slug)
            except NotFound:
                return False
            row = session.execute(
                select(col(Community.id), col(Community.head_seq)).where(
                    col(Community.id) == community_id
                )
            ).first()
            if row is None:
                return False
            closed = self.closed_years(session, row[0])
        projection = self.projection(slug)
        written = projection.closed_years()
        if closed and max(closed) not in written and not self._empty_years(slug, closed):
            self.rebuild_projection(slug)
        elif (projection.recorded_seq() or 0) < row[1] or not projection.path.exists():
            self.sync_projection(slug)  # which brings the header level too
        else:
            self._level_header(slug)
        return True

    def _empty_years(self, slug: str, years: tuple[int, ...]) -> bool:
        """Whether the last closed year has no entries (so no files of its own)."""
        with Session(self.engine) as session:
            community = self.community(session, slug)
            last = max(years)
            found = session.execute(
                select(func.count())
                .select_from(Entry)
                .where(col(Entry.community_id) == community.id)
                .where(col(Entry.status) == "posted")
                .where(col(Entry.date) >= date(last, 1, 1))
                .where(col(Entry.date) <= date(last, 12, 31))
            ).scalar_one()
        return int(found) == 0

    def _sync(self, slug: str, items: list[ChainedTxn]) -> Finding | None:
        with Session(self.engine) as session:

            def community_id() -> str:
                return self.community(session, slug).id

            return self.projection(slug).append(
                items,
                journal=lambda after: self.chained(session, community_id(), after_seq=after),
                layout=lambda: self.layout(session, self.community(session, slug)),
            )

    def _report(self, slug: str, finding: Finding) -> None:
        if not finding.altered:
            log.info("projection of %s: %s", slug, finding.describe())
            return
        log.warning("projection of %s: %s", slug, finding.describe())
        try:
            with writer(self.engine) as session:
                events.record(
                    session,
                    community_id=self.community(session, slug).id,
                    actor="system",
                    action="projection-altered",
                    object_type="projection",
                    object_id=slug,
                    details=finding.as_dict(),
                )
        except Exception:
            log.exception("projection of %s: could not record the finding", slug)

    def balances(
        self, session: Session, community_id: str, as_of: date | None
    ) -> dict[str, Decimal]:
        """Balance per account of the posted entries dated on or before ``as_of``."""
        query = (
            select(col(Account.name), func.coalesce(func.sum(col(Posting.amount_fen)), 0))
            .join(Posting, keyed(Posting, "account_id", Account))
            .join(Entry, keyed(Posting, "entry_id", Entry))
            .where(col(Account.community_id) == community_id)
            .where(col(Posting.community_id) == community_id)
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
            col(Entry.contract),
        )
        .join(Posting, keyed(Posting, "entry_id", Entry))
        .where(col(Entry.community_id) == bindparam("community_id"))
        .where(col(Entry.status) == "posted")
        .where(col(Entry.seq) > bindparam("low"))
        .where(col(Entry.seq) <= bindparam("high"))
        .order_by(col(Entry.seq), col(Posting.position))
    )


#: Reading the journal back (a state fold, a rebuild, an export) runs prepared on the
#: driver's cursor (``ledger.prepared``): SQLAlchemy's row machinery was a third of it.
CHAINED = Statements(range=_chained_range)


def _id_of_slug() -> Any:
    return select(col(Community.id)).where(col(Community.slug) == bindparam("slug"))


COMMUNITY = Statements(id_of_slug=_id_of_slug)


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
        contract=row[15],
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
        contract=entry.contract,
    )
