"""The posting pipeline: post, approve, reject, reverse; idempotency, locking, the hash chain.

One write is one database transaction holding the entry, its postings and its event. Writers of
one community are serialised twice: a thread lock in this process, and the community row in the
database (``FOR UPDATE`` on PostgreSQL; ``BEGIN IMMEDIATE`` on SQLite), so threads and processes
get a contiguous sequence and an unbroken chain. The candidate is checked against the
community's in-memory state (balances and the rules' folds), never by re-reading the ledger; the
state is folded forward only after the commit succeeds.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, SQLModel, col

from ledger import clock, events, four_eyes
from ledger.books import Books, txn_of
from ledger.db import write_connection, writer
from ledger.errors import (
    AlreadyReversed,
    Forbidden,
    IdempotencyConflict,
    NotFound,
    PeriodLocked,
    Problem,
    RuleViolations,
    StateConflict,
    ValidationFailed,
)
from ledger.messages import Msg, msg
from ledger.models import AllocationLine, Community, DocumentLink, Entry, Posting, keyed
from ledger.money import CURRENCY, from_fen, to_fen
from ledger.period import before_start_message, locked_message
from ledger.prepared import Statements, batched, insert_of
from ledger.projection import ChainedTxn
from ledger.render import chain_hash, render_txn
from ledger.schemas import PostingOut, TransactionIn, TransactionOut
from ledger.state import BookState
from ledger.txn import Leg, Txn

_T = TypeVar("_T")
log = logging.getLogger(__name__)
ONE_DAY = timedelta(days=1)

#: A dividend's or subsidy's per-unit lines: (unit_id, area_centi, amount_fen).
Schedule = list[tuple[int, int, int]]

#: Kinds that come only from a resolution's per-unit schedule, never by hand: where from.
ALLOCATED = {
    "dividend": "commons allocate SLUG RESOLUTION --date D, or "
    "POST /api/v1/communities/{slug}/resolutions/{number}/allocations",
    "subsidy": "commons allocate SLUG RESOLUTION --kind subsidy --date D, or "
    "POST /api/v1/communities/{slug}/resolutions/{number}/allocations",
    "payout": "commons payout SLUG RESOLUTION --date D, or "
    "POST /api/v1/communities/{slug}/resolutions/{number}/payouts",
}


class Posted:
    """The outcome of a post: the entry, and whether this call created it (``False`` when an
    idempotency key replayed an earlier result).

    A post this call made keeps its row and legs and builds the response model on first use
    of ``entry``: the command line prints only ``id``, ``date``, ``seq`` and ``status``, and
    building 50,000 models it never serialises was a tenth of a bulk post (measured)."""

    __slots__ = ("_entry", "_legs", "_row", "created")

    def __init__(
        self,
        entry: TransactionOut | None,
        created: bool,
        *,
        row: dict[str, Any] | None = None,
        legs: Sequence[Leg] = (),
    ) -> None:
        if entry is None and row is None:
            raise ValueError("a Posted needs its entry or its row")
        self._entry, self._row, self._legs, self.created = entry, row, legs, created

    @property
    def entry(self) -> TransactionOut:
        if self._entry is None:
            assert self._row is not None
            self._entry = _out(self._row, self._legs)
        return self._entry

    def _field(self, name: str) -> Any:
        return getattr(self._entry, name) if self._row is None else self._row[name]

    @property
    def id(self) -> str:
        return str(self._field("id"))

    @property
    def date(self) -> date:
        value: date = self._field("date")
        return value

    @property
    def seq(self) -> int | None:
        value: int | None = self._field("seq")
        return value

    @property
    def status(self) -> str:
        return str(self._field("status"))

    @property
    def pending(self) -> bool:
        return self.status == "pending"


# --- checks --------------------------------------------------------------------------------


def _problems_of_date(day: date, today: date, field: str) -> list[Problem]:
    if day > today:
        return [
            Problem(
                msg("journal.date-future-today", day=day, today=today),
                field=field,
                rule="no-future-dates",
                details={"date": str(day), "today": str(today)},
            )
        ]
    return []


def _problems_of_accounts(
    legs: Sequence[Leg], state: BookState, day: date, prefix: str = "postings"
) -> list[Problem]:
    problems: list[Problem] = []
    for index, leg in enumerate(legs):
        where = f"{prefix}[{index}]"
        account = state.accounts.get(leg.account)
        if account is None:
            problems.append(
                Problem(
                    msg("journal.unknown-account", account=leg.account),
                    field=f"{where}.account",
                    rule="known-account",
                    details={"account": leg.account},
                )
            )
        elif not account.is_open_on(day):
            problems.append(
                Problem(
                    msg(
                        "journal.account-open-open",
                        account=leg.account,
                        day=day,
                        open_date=account.open_date,
                        close_date=account.close_date or "now",
                    ),
                    field=f"{where}.account",
                    rule="open-account",
                    details={"account": leg.account, "date": str(day)},
                )
            )
    return problems


def _problems_of_draft(
    draft: TransactionIn, state: BookState, today: date, allocated: bool
) -> list[Problem]:
    problems = _problems_of_date(draft.date, today, "date")
    if draft.kind in ALLOCATED and not allocated:
        problems.append(
            Problem(
                msg(
                    "journal.typed-by-hand-comes", kind=draft.kind, allocated=ALLOCATED[draft.kind]
                ),
                field="kind",
                rule="allocation-only",
                details={"kind": draft.kind},
            )
        )
    total = sum((p.amount for p in draft.postings), Decimal("0.00"))
    if total != 0:
        problems.append(
            Problem(
                msg("journal.postings-do-balance-they", total=total, currency=CURRENCY),
                field="postings",
                rule="balanced",
                details={"sum": str(total)},
            )
        )
    for index, posting in enumerate(draft.postings):
        if posting.amount == 0:
            problems.append(
                Problem(
                    msg("journal.posting-moves-nothing"),
                    field=f"postings[{index}].amount",
                    rule="non-zero",
                )
            )
    legs = [Leg(p.account, p.amount) for p in draft.postings]
    return problems + _problems_of_accounts(legs, state, draft.date)


def _check_period_open(state: BookState, day: date, what: Msg, kind: str = "") -> None:
    """Refuse (409) anything dated before the books start (but the opening balances, dated
    the day before), or in or before a closed period, in the words of the plugin's rule
    (:func:`ledger.period.locked_message`)."""
    opening_eve = kind == "opening" and state.start is not None and day == state.start - ONE_DAY
    if state.start is not None and day < state.start and not opening_eve:
        message, details = before_start_message(what, day, state.start)
        raise PeriodLocked([Problem(message, rule="books-start", details=details)])
    close = state.sealed_by(day)
    if close is not None:
        message, details = locked_message(what, day, close)
        raise PeriodLocked([Problem(message, rule="closed-period", details=details)])


def _violations(state: BookState, txn: Txn, prefix: str = "") -> list[Problem]:
    """What the rules handed to the books say about ``txn``, as problems."""
    return [
        _prefixed(
            Problem(v.text, field=v.details.get("field"), rule=v.rule, details=dict(v.details)),
            prefix,
        )
        for v in state.checks.check(txn)
    ]


def fingerprint(draft: TransactionIn) -> str:
    body = json.dumps(draft.fingerprint_body(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


# --- reading -------------------------------------------------------------------------------


def to_out(entry: Entry, legs: Sequence[Leg]) -> TransactionOut:
    return TransactionOut(
        id=entry.id,
        seq=entry.seq,
        status=entry.status,
        date=entry.date,
        payee=entry.payee,
        narration=entry.narration,
        kind=entry.kind,
        postings=[PostingOut(account=leg.account, amount=leg.amount) for leg in legs],
        entered_by=entry.entered_by,
        approved_by=entry.approved_by,
        resolution=entry.resolution,
        documents=json.loads(entry.documents),
        reverses=entry.reverses,
        idempotency_key=entry.idempotency_key,
        prev_hash=entry.prev_hash,
        hash=entry.hash,
        created_at=entry.created_at,
        posted_at=entry.posted_at,
        rejected_by=entry.rejected_by,
        rejected_reason=entry.rejected_reason,
        contract=entry.contract,
    )


def legs_of(session: Session, community_id: str, entry_id: str) -> list[Leg]:
    """An entry's legs in order (found by its community and its id, as every query of a
    community's rows is: docs/deploy.md)."""
    from ledger.models import Account

    rows = session.execute(
        select(col(Account.name), col(Posting.amount_fen))
        .join(Account, keyed(Posting, "account_id", Account))
        .where(col(Posting.community_id) == community_id)
        .where(col(Posting.entry_id) == entry_id)
        .order_by(col(Posting.position))
    )
    return [Leg(name, from_fen(fen)) for name, fen in rows]


def _entry(session: Session, community: Community, entry_id: str) -> Entry:
    entry: Entry | None = session.execute(
        select(Entry)
        .where(col(Entry.community_id) == community.id)
        .where(col(Entry.id) == entry_id)
    ).scalar_one_or_none()
    if entry is None:
        raise NotFound(msg("journal.no-transaction", entry_id=entry_id, slug=community.slug))
    return entry


def get(*, books: Books, slug: str, entry_id: str) -> TransactionOut:
    with Session(books.engine) as session:
        community = books.community(session, slug)
        entry = _entry(session, community, entry_id)
        return to_out(entry, legs_of(session, community.id, entry.id))


# --- writing -------------------------------------------------------------------------------


def _chain(community: Community, txn: Txn, now: datetime) -> tuple[ChainedTxn, dict[str, Any]]:
    """The next sequence number and chain link for ``txn``; advances the community's head.
    Returns the link and the entry fields that record it."""
    seq = community.head_seq + 1
    txn = replace(txn, seq=seq)
    text = render_txn(txn)
    prev = community.head_hash
    digest = chain_hash(prev, text)
    community.head_seq, community.head_hash = seq, digest
    fields = {
        "seq": seq,
        "text": text,
        "prev_hash": prev,
        "hash": digest,
        "status": "posted",
        "posted_at": now,
    }
    return ChainedTxn(txn, prev, digest, text), fields


def post(
    *,
    books: Books,
    slug: str,
    draft: TransactionIn,
    actor: str,
    address: str | None = None,
    schedule: Schedule | None = None,
) -> Posted:
    """Validate, check the rules and post one transaction (or store it pending approval).
    ``schedule``: a dividend's or subsidy's per-unit lines, stored with the entry."""
    return post_many(
        books=books,
        slug=slug,
        drafts=[draft],
        actor=actor,
        address=address,
        schedules=None if schedule is None else [schedule],
    )[0]


def post_many(
    *,
    books: Books,
    slug: str,
    drafts: Sequence[TransactionIn],
    actor: str,
    address: str | None = None,
    schedules: Sequence[Schedule | None] | None = None,
) -> list[Posted]:
    """Post several transactions all or nothing: one database transaction, every rule checked
    in order (each sees the ones before it), every problem of every draft reported.

    ``schedules``, when given, has one item per draft: ``None``, or the per-unit lines
    ``(unit_id, area_centi, amount_fen)`` of a dividend or subsidy, stored as
    ``AllocationLine`` rows in the same database transaction as the entry (not again when an
    idempotency key replays an earlier entry)."""
    if schedules is not None and len(schedules) != len(drafts):
        raise ValueError("schedules must have one item (or None) per draft")
    try:
        return _post_many(books, slug, drafts, actor, address, schedules)
    except IntegrityError:
        # Two processes raced on one idempotency key; the loser replays the winner's result.
        return _post_many(books, slug, drafts, actor, address, schedules)


#: Columns of the rows the posting path inserts (:class:`Write`): every column but the
#: autoincrement keys.
ENTRY_COLUMNS = tuple(column.name for column in Entry.__table__.columns)  # type: ignore[attr-defined]
POSTING_COLUMNS = ("community_id", "entry_id", "account_id", "position", "amount_fen")
LINE_COLUMNS = ("community_id", "entry_id", "unit_id", "area_centi", "amount_fen")


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


def _community_for_update() -> Any:
    table = _table("community")
    return select(table).where(table.c.id == bindparam("id")).with_for_update()


def _entry_by_key() -> Any:
    table = _table("entry")
    return select(table.c.idempotency_key.label("key"), table.c.id, table.c.request_hash).where(
        table.c.community_id == bindparam("community_id"),
        table.c.idempotency_key == bindparam("key"),
    )


def _head_update() -> Any:
    table = _table("community")
    return (
        update(table)
        .where(table.c.id == bindparam("id"))
        .values(head_seq=bindparam("head_seq"), head_hash=bindparam("head_hash"))
    )


def _entry_posted() -> Any:
    """A pending entry approved: its chain link and who approved it."""
    table = _table("entry")
    return (
        update(table)
        .where(table.c.community_id == bindparam("community_id"))
        .where(table.c.id == bindparam("entry_id"))
        .where(table.c.status == "pending")
        .values(
            seq=bindparam("seq"),
            text=bindparam("text"),
            prev_hash=bindparam("prev_hash"),
            hash=bindparam("hash"),
            status="posted",
            posted_at=bindparam("posted_at"),
            approved_by=bindparam("approved_by"),
        )
    )


#: The posting path's statements, run on the driver's cursor (``ledger.prepared``): the same
#: SQL SQLAlchemy would send, without its per-statement cost. The row dicts built below have
#: exactly these columns.
SQL = Statements(
    community=_community_for_update,
    entry_by_key=_entry_by_key,
    head=_head_update,
    approval=_entry_posted,
    entry=lambda: insert_of(_table("entry"), ENTRY_COLUMNS),
    posting=lambda: insert_of(_table("posting"), POSTING_COLUMNS),
    event=lambda: insert_of(_table("event"), events.ROW_COLUMNS),
    allocationline=lambda: insert_of(_table("allocationline"), LINE_COLUMNS),
)


def _locked_community(books: Books, connection: Connection, slug: str) -> Community:
    """The community's row, locked for the write (``FOR UPDATE``; SQLite's ``BEGIN
    IMMEDIATE`` already holds the database's write lock), as a detached ``Community``. Found
    by its id (:meth:`Books.community_id`: the slug is looked up once per process), the
    column a distributed database routes on."""
    statement = SQL("community", connection.dialect)
    rows = statement.rows(connection, {"id": books.community_id(connection, slug)})
    if not rows:  # not under the id this process knew (never so: nothing deletes one)
        rows = statement.rows(connection, {"id": books.community_id(connection, slug, again=True)})
    if not rows:
        raise NotFound(msg("backup.no-community", slug=slug))
    return Community(**rows[0])


class Write:
    """The rows of one write, built by post, approve and reverse alike and committed once by
    :meth:`commit`: new entries with their postings and per-unit lines, approvals of pending
    entries, their audit events, and the chain links to project afterwards."""

    def __init__(
        self, community: Community, state: BookState, actor: str, address: str | None
    ) -> None:
        self.community, self.state = community, state
        self.actor, self.address = actor, address
        self.now = clock.now()
        self.entries: list[dict[str, Any]] = []
        self.postings: list[dict[str, Any]] = []
        self.lines: list[dict[str, Any]] = []
        self.approvals: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.chained: list[ChainedTxn] = []
        #: The transactions added so far (four eyes counts them with later ones).
        self.txns: list[Txn] = []

    def add(
        self,
        row: dict[str, Any],
        txn: Txn,
        *,
        post: bool,
        action: str,
        schedule: Sequence[tuple[int, int, int]] = (),
        details: dict[str, Any] | None = None,
    ) -> None:
        """A new entry: posted (chained now) or pending approval."""
        if post:
            row.update(self._chain(txn))
            txn = self.chained[-1].txn  # with its sequence number
        self.txns.append(txn)
        self.entries.append(row)
        self.postings += [
            {
                "community_id": row["community_id"],
                "entry_id": row["id"],
                "account_id": self.state.accounts[leg.account].id,
                "position": position,
                "amount_fen": to_fen(leg.amount),
            }
            for position, leg in enumerate(txn.legs)
        ]
        self.lines += [
            {
                "community_id": row["community_id"],
                "entry_id": row["id"],
                "unit_id": unit,
                "area_centi": area,
                "amount_fen": fen,
            }
            for unit, area, fen in schedule
        ]
        recorded = {"seq": row["seq"], "kind": row["kind"], "status": row["status"]}
        if row["reverses"] is not None:
            recorded["reverses"] = row["reverses"]
        self.event(action, row["id"], {**recorded, **(details or {})})

    def generated(self, txn: Txn, action: str) -> ChainedTxn:
        """An entry the service itself writes as part of a workflow (a year's closing entry):
        posted at once, under the workflow's own checks."""
        digest = hashlib.sha256(f"{txn.kind} {txn.id}".encode()).hexdigest()
        self.add(
            _new_row(txn, self.community.id, None, digest, self.now), txn, post=True, action=action
        )
        return self.chained[-1]

    def waits(self, session: Session, books: Books, txn: Txn) -> tuple[bool, str | None]:
        """Whether ``txn`` waits for a second member (:mod:`ledger.four_eyes`): its own
        spending, or with the spending to its payee in the window, stored or in this write."""
        approval = books.rules.approval(self.community.slug, txn.date)
        earlier: list[four_eyes.Spent] = []
        if four_eyes.spending(txn) > 0 and four_eyes.counted_together(txn):  # else none counts
            earlier = four_eyes.earlier_spending(
                session, self.community.id, txn, approval.window_days, exclude=[txn.id]
            ) + four_eyes.in_window(txn, self.txns, approval.window_days)
        return four_eyes.decide(txn, approval, earlier)

    def approve(self, entry_id: str, txn: Txn) -> dict[str, Any]:
        """A pending entry posted on a second member's approval."""
        fields = self._chain(txn)
        self.approvals.append(
            {
                "community_id": self.community.id,
                "entry_id": entry_id,
                "approved_by": self.actor,
                **{k: fields[k] for k in ("seq", "text", "prev_hash", "hash", "posted_at")},
            }
        )
        self.event("approve", entry_id, {"seq": fields["seq"]})
        return fields

    def event(self, action: str, entry_id: str, details: dict[str, Any]) -> None:
        self.events.append(
            events.row(
                community_id=self.community.id,
                actor=self.actor,
                action=action,
                object_type="entry",
                object_id=entry_id,
                address=self.address,
                details=details,
            )
        )

    def _chain(self, txn: Txn) -> dict[str, Any]:
        """The next sequence number and chain link for ``txn``; advances the community's
        head and folds ``txn`` into the state, so later candidates of this write see it."""
        link, fields = _chain(self.community, txn, self.now)
        self.chained.append(link)
        self.state.apply(link.txn, link.hash)
        return fields

    def commit(self, connection: Connection) -> None:
        """Write the rows and commit: on PostgreSQL the writes go in one round trip
        (:func:`ledger.prepared.batched`), the row lock held for less time."""
        dialect = connection.dialect
        # chained here, in insert order, under the community's row lock (reads the head)
        events.chain_rows(connection, self.community, self.events)
        with batched(connection):
            self._write(connection, dialect)
        connection.commit()

    def _write(self, connection: Connection, dialect: Dialect) -> None:
        if self.entries:
            SQL("entry", dialect).execute_many(connection, self.entries)
            SQL("posting", dialect).execute_many(connection, self.postings)
        if self.lines:
            SQL("allocationline", dialect).execute_many(connection, self.lines)
        for approval in self.approvals:
            SQL("approval", dialect).execute(connection, approval)
        if self.events:
            SQL("event", dialect).execute_many(connection, self.events)
            events.advance(connection, self.community)
        if self.chained:
            SQL("head", dialect).execute(
                connection,
                {
                    "id": self.community.id,
                    "head_seq": self.community.head_seq,
                    "head_hash": self.community.head_hash,
                },
            )


def write(
    *,
    books: Books,
    slug: str,
    actor: str,
    build: Callable[[Session, Write], _T],
    address: str | None = None,
) -> _T:
    """One write of the books for a workflow that adds rows of its own beside entries (a
    period's close and its closing entry): ``build(session, write)`` runs with the community
    locked; its ORM rows must be flushed by the time it returns."""
    return _write(books, slug, actor, address, build)


def _write(
    books: Books,
    slug: str,
    actor: str,
    address: str | None,
    build: Callable[[Session, Write], _T],
) -> _T:
    """One write of the books: lock the community (the database row, then the state), let
    ``build`` add rows, commit, then project. The state is folded forward while building
    (later candidates see earlier ones); if anything fails before the commit it is dropped
    and rebuilt on next use, so it never runs ahead of the database."""
    with books.writing(slug), write_connection(books.engine) as (connection, session):
        community = _locked_community(books, connection, slug)
        state = books.state(session, community)
        with state.lock:
            write = Write(community, state, actor, address)
            try:
                result = build(session, write)
                write.commit(connection)  # under the state's lock: the state never runs ahead
            except BaseException:
                if write.chained:
                    books.invalidate(community.id)
                raise
    if write.chained:
        books.sync_projection(slug, write.chained)
    return result


def _post_many(
    books: Books,
    slug: str,
    drafts: Sequence[TransactionIn],
    actor: str,
    address: str | None,
    schedules: Sequence[Schedule | None] | None = None,
) -> list[Posted]:
    today = clock.today()

    def build(session: Session, write: Write) -> list[Posted]:
        connection = session.connection()
        state, community = write.state, write.community
        results: list[Posted] = []
        earlier = _entries_by_key(session, connection, community, drafts)
        in_batch: dict[str, tuple[str, int]] = {}  # key -> (fingerprint, result index)
        problems: list[Problem] = []
        violations: list[Problem] = []
        for index, draft in enumerate(drafts):
            prefix = f"transactions[{index}]." if len(drafts) > 1 else ""
            digest = fingerprint(draft)
            key = draft.idempotency_key
            if key is not None and key in earlier:
                results.append(_replayed(session, community, earlier[key], draft, digest))
                continue
            if key is not None and key in in_batch:
                first_digest, first = in_batch[key]
                if first_digest != digest:
                    raise _key_conflict(draft, results[first].entry.id)
                results.append(Posted(results[first].entry, created=False))
                continue
            schedule = (schedules[index] if schedules is not None else None) or []
            _check_period_open(state, draft.date, msg("period.the-transaction"), kind=draft.kind)
            found = _problems_of_draft(draft, state, today, allocated=bool(schedule))
            if found:
                problems += [_prefixed(p, prefix) for p in found]
                continue
            txn = _txn_of_draft(draft, actor)
            found_rules = _violations(state, txn, prefix)
            if found_rules:
                violations += found_rules
                continue
            row = _new_row(txn, community.id, key, digest, write.now)
            waits, why = write.waits(session, books, txn)
            action = "enter" if waits else "post"
            write.add(
                row,
                txn,
                post=not waits,
                action=action,
                schedule=schedule,
                details={"waits": why} if waits else None,
            )
            if waits:
                row["approval_note"] = why
            if key is not None:
                in_batch[key] = (digest, len(results))
            results.append(Posted(None, created=True, row=row, legs=txn.legs))
        if problems:
            raise ValidationFailed(problems)
        if violations:
            raise RuleViolations(violations)
        return results

    return _write(books, slug, actor, address, build)


def _entries_by_key(
    session: Session, connection: Connection, community: Community, drafts: Sequence[TransactionIn]
) -> dict[str, tuple[str, str]]:
    """(entry id, request hash) of entries already stored under the drafts' idempotency
    keys, in one indexed query of plain rows."""
    keys = [d.idempotency_key for d in drafts if d.idempotency_key is not None]
    if not keys:
        return {}
    if len(keys) == 1:  # one post: the prepared statement
        rows = SQL("entry_by_key", connection.dialect).rows(
            connection, {"community_id": community.id, "key": keys[0]}
        )
        return {row["key"]: (row["id"], row["request_hash"]) for row in rows}
    found = session.execute(
        select(col(Entry.idempotency_key), col(Entry.id), col(Entry.request_hash))
        .where(col(Entry.community_id) == community.id)
        .where(col(Entry.idempotency_key).in_(keys))
    )
    return {key: (entry_id, request_hash) for key, entry_id, request_hash in found}


def _key_conflict(draft: TransactionIn, existing_id: str) -> IdempotencyConflict:
    return IdempotencyConflict(
        [
            Problem(
                msg(
                    "journal.idempotency-key-was-already",
                    idempotency_key=draft.idempotency_key,
                    existing_id=existing_id,
                ),
                field="idempotency_key",
                rule="idempotency",
                details={"existing": existing_id},
            )
        ]
    )


def _replayed(
    session: Session,
    community: Community,
    existing: tuple[str, str],
    draft: TransactionIn,
    digest: str,
) -> Posted:
    """The same key again: the first result if the body is the same, else a conflict."""
    entry_id, request_hash = existing
    if request_hash != digest:
        raise _key_conflict(draft, entry_id)
    entry = _entry(session, community, entry_id)
    return Posted(to_out(entry, legs_of(session, community.id, entry_id)), created=False)


def _prefixed(problem: Problem, prefix: str) -> Problem:
    if not prefix:
        return problem
    field = prefix + problem.field if problem.field else prefix.rstrip(".")
    return Problem(problem.text, field=field, rule=problem.rule, details=problem.details)


def _txn_of_draft(draft: TransactionIn, actor: str) -> Txn:
    return Txn(
        id=str(uuid.uuid4()),
        date=draft.date,
        payee=draft.payee,
        narration=draft.narration,
        kind=draft.kind,
        legs=tuple(Leg(p.account, p.amount) for p in draft.postings),
        entered_by=actor,
        resolution=draft.resolution,
        documents=tuple(draft.documents),
        contract=draft.contract,
    )


def _new_row(
    txn: Txn, community_id: str, key: str | None, digest: str, now: datetime
) -> dict[str, Any]:
    """A new entry as a row, pending until :meth:`Write.add` chains it."""
    return {
        "id": txn.id,
        "community_id": community_id,
        "seq": None,
        "status": "pending",
        "date": txn.date,
        "payee": txn.payee,
        "payee_key": four_eyes.payee_key(txn.payee),
        "narration": txn.narration,
        "kind": txn.kind,
        "entered_by": txn.entered_by,
        "approved_by": None,
        "resolution": txn.resolution,
        "documents": json.dumps(list(txn.documents), ensure_ascii=False),
        "reverses": txn.reverses,
        "idempotency_key": key,
        "request_hash": digest,
        "text": None,
        "prev_hash": None,
        "hash": None,
        "created_at": now,
        "posted_at": None,
        "rejected_by": None,
        "rejected_reason": None,
        "contract": txn.contract,
    }


def _out(row: dict[str, Any], legs: Sequence[Leg]) -> TransactionOut:
    """The response for a row this call built and validated itself: constructed without
    re-validating (a bulk post answers hundreds of these)."""
    fields = {k: v for k, v in row.items() if k not in {"community_id", "request_hash", "text"}}
    fields.setdefault("approval_note", None)
    fields["documents"] = json.loads(row["documents"])
    fields["postings"] = [
        PostingOut.model_construct(account=leg.account, amount=leg.amount) for leg in legs
    ]
    return TransactionOut.model_construct(**fields)


def approve(
    *, books: Books, slug: str, entry_id: str, actor: str, address: str | None = None
) -> TransactionOut:
    """Post a pending entry on a second member's approval (never the one who entered it)."""

    def build(session: Session, write: Write) -> TransactionOut:
        entry = _entry(session, write.community, entry_id)
        if entry.status != "pending":
            raise StateConflict(
                msg("journal.transaction-pending", entry_id=entry_id, status=entry.status)
            )
        if entry.entered_by == actor:
            raise Forbidden(
                [
                    Problem(
                        msg("journal.entered-transaction-cannot-also", actor=actor),
                        rule="four-eyes",
                        details={"entered_by": entry.entered_by},
                    )
                ]
            )
        legs = legs_of(session, write.community.id, entry.id)
        entry.approved_by = actor
        txn = txn_of(entry, tuple(legs))
        _check_period_open(write.state, entry.date, msg("period.the-transaction"))
        violations = _violations(write.state, txn) + _missing_document(session, books, write, txn)
        if violations:
            raise RuleViolations(violations)
        for name, value in write.approve(entry.id, txn).items():
            setattr(entry, name, value)
        return to_out(entry, legs)

    approved = _write(books, slug, actor, address, build)
    with Session(books.engine) as session:
        documented = session.execute(
            select(col(DocumentLink.id))
            .where(col(DocumentLink.community_id) == books.community_id(session.connection(), slug))
            .where(col(DocumentLink.entry_id) == entry_id)
            .limit(1)
        ).first()
    if documented is not None:  # its documents join the projection's header
        try:
            books.rebuild_projection(slug)
        except Exception:  # committed: the next rebuild or start brings the file level
            log.exception("projection of %s: rewriting for documents failed", slug)
    return approved


def _missing_document(session: Session, books: Books, write: Write, txn: Txn) -> list[Problem]:
    """With ``require_document_for_approval``, an entry of the approval threshold or more
    is approved only once a document (invoice, receipt, contract) is linked to it."""
    approval = books.rules.approval(write.community.slug, txn.date)
    amount = txn.debits()
    if not approval.require_document or amount < approval.threshold:
        return []
    linked = session.execute(
        select(col(DocumentLink.id))
        .where(col(DocumentLink.community_id) == write.community.id)
        .where(col(DocumentLink.entry_id) == txn.id)
        .limit(1)
    ).first()
    if linked is not None:
        return []
    return [
        Problem(
            msg(
                "journal.at-over-approval-threshold",
                amount=amount,
                threshold=approval.threshold,
                id=txn.id,
            ),
            rule="document-required",
            details={"amount": f"{amount:.2f}", "threshold": f"{approval.threshold:.2f}"},
        )
    ]


def reject(
    *,
    books: Books,
    slug: str,
    entry_id: str,
    actor: str,
    reason: str,
    address: str | None = None,
) -> TransactionOut:
    """Refuse a pending entry for good, with a reason; it never reaches the books."""
    with writer(books.engine) as session:
        community = books.community(session, slug, for_update=True)
        entry = _entry(session, community, entry_id)
        if entry.status != "pending":
            raise StateConflict(
                msg("journal.transaction-pending", entry_id=entry_id, status=entry.status)
            )
        changes: dict[str, Any] = {
            "status": "rejected",
            "rejected_by": actor,
            "rejected_reason": reason,
        }
        details = {"reason": reason}
        if entry.reverses is not None:  # a rejected reversal frees the original for another
            details["reversed"] = entry.reverses
            changes["reverses"] = None
        # by community and id (not the ORM's update by primary key alone: docs/deploy.md)
        session.execute(
            update(Entry)
            .where(col(Entry.community_id) == community.id)
            .where(col(Entry.id) == entry.id)
            .values(**changes)
        )
        for name, value in changes.items():
            set_committed_value(entry, name, value)
        events.record(
            session,
            community_id=community.id,
            actor=actor,
            action="reject",
            object_type="entry",
            object_id=entry.id,
            address=address,
            details=details,
        )
        session.flush()
        return to_out(entry, legs_of(session, community.id, entry.id))


def reverse(
    *,
    books: Books,
    slug: str,
    entry_id: str,
    actor: str,
    reason: str,
    on: date | None = None,
    address: str | None = None,
) -> Posted:
    """Enter the negation of a posted entry, linked to it, dated ``on`` (default today). A
    reversal is an entry like any other: every rule checks it, and it waits for a second
    member when a fresh post of the same legs would (money out of the bank at or over the
    threshold; a dividend's or subsidy's reversal always). An entry is reversed at most once:
    the database's unique ``reverses`` column settles concurrent attempts."""
    try:
        return _reverse(books, slug, entry_id, actor, on, reason, address)
    except IntegrityError:
        raise AlreadyReversed(
            msg("journal.transaction-has-already-been", entry_id=entry_id)
        ) from None


def _reverse(
    books: Books,
    slug: str,
    entry_id: str,
    actor: str,
    on: date | None,
    reason: str,
    address: str | None,
) -> Posted:
    day = on or clock.today()

    def build(session: Session, write: Write) -> Posted:
        original = _entry(session, write.community, entry_id)
        if original.status != "posted":
            raise StateConflict(
                msg(
                    "journal.transaction-only-posted-entries",
                    entry_id=entry_id,
                    status=original.status,
                )
            )
        if original.kind == "reversal":
            raise StateConflict(msg("journal.reversal-cannot-itself-reversed"))
        if original.kind == "closing":
            raise StateConflict(msg("journal.year-s-closing-entry"))
        already = session.execute(
            select(col(Entry.id), col(Entry.status))
            .where(col(Entry.community_id) == write.community.id)
            .where(col(Entry.reverses) == entry_id)
        ).first()
        if already is not None:
            raise AlreadyReversed(
                [
                    Problem(
                        msg(
                            "journal.transaction-was-already-reversed",
                            entry_id=entry_id,
                            already=already[0],
                            already_2=already[1],
                        ),
                        rule="reverse-once",
                        details={"reversal": already[0], "status": already[1]},
                    )
                ]
            )
        _check_period_open(write.state, day, msg("period.the-reversal"))
        problems = _problems_of_date(day, clock.today(), "date")
        if day < original.date:
            problems.append(
                Problem(
                    msg(
                        "journal.reversal-dated-before-entry",
                        day=day,
                        seq=original.seq,
                        date=original.date,
                    ),
                    field="date",
                    rule="reversal-date",
                    details={"date": str(day), "original": str(original.date)},
                )
            )
        legs = tuple(
            Leg(leg.account, -leg.amount)
            for leg in legs_of(session, write.community.id, original.id)
        )
        problems += _problems_of_accounts(legs, write.state, day)
        if problems:
            raise ValidationFailed(problems)
        txn = Txn(
            id=str(uuid.uuid4()),
            date=day,
            payee=original.payee,
            narration=f"冲销 #{original.seq}（{reason}）: {original.narration}"[:1000],
            kind="reversal",
            legs=legs,
            entered_by=actor,
            resolution=original.resolution,
            documents=tuple(json.loads(original.documents)),
            reverses=original.id,
            contract=original.contract,
        )
        violations = _violations(write.state, txn)
        if violations:
            raise RuleViolations(violations)
        digest = hashlib.sha256(f"reverse {original.id}".encode()).hexdigest()
        row = _new_row(txn, write.community.id, None, digest, write.now)
        schedule = [
            (unit, area, -fen)
            for unit, area, fen in session.execute(
                select(
                    col(AllocationLine.unit_id),
                    col(AllocationLine.area_centi),
                    col(AllocationLine.amount_fen),
                )
                .where(col(AllocationLine.community_id) == write.community.id)
                .where(col(AllocationLine.entry_id) == original.id)
            )
        ]
        waits, why = write.waits(session, books, txn)
        if original.kind in four_eyes.ALWAYS_APPROVED:
            waits, why = True, f"the reversal of a {original.kind} waits like the {original.kind}"
        write.add(
            row,
            txn,
            post=not waits,
            action="reverse",
            schedule=schedule,
            details={"reason": reason, "original_seq": original.seq, "waits": why},
        )
        if waits:
            row["approval_note"] = why
        return Posted(None, created=True, row=row, legs=txn.legs)

    return _write(books, slug, actor, address, build)
