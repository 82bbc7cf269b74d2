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
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col

from audit import events
from ledger import clock, nowait
from ledger.books import Books, txn_of
from ledger.chart import CASH_ACCOUNTS
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
from ledger.models import Community, Entry, Posting
from ledger.money import CURRENCY, from_fen, to_fen
from ledger.prepared import Statements, insert_of
from ledger.projection import ChainedTxn
from ledger.render import chain_hash, render_txn
from ledger.schemas import PostingOut, TransactionIn, TransactionOut
from ledger.state import BookState
from ledger.txn import Leg, Txn
from rules import closed as closed_period

#: A dividend's or subsidy's per-unit lines: (unit_id, area_centi, amount_fen).
Schedule = list[tuple[int, int, int]]

#: Kinds that always wait for a second member, whatever the amount (the service issue, §4).
ALWAYS_APPROVED = frozenset({"dividend", "subsidy", "upgrade"})


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


def _problems_of_draft(draft: TransactionIn, state: BookState, today: date) -> list[Problem]:
    problems: list[Problem] = []
    if draft.date > today:
        problems.append(
            Problem(
                f"date {draft.date} is in the future (today is {today})",
                field="date",
                rule="no-future-dates",
                details={"date": str(draft.date), "today": str(today)},
            )
        )
    total = sum((p.amount for p in draft.postings), Decimal("0.00"))
    if total != 0:
        problems.append(
            Problem(
                f"postings do not balance: they sum to {total} {CURRENCY}, not 0.00",
                field="postings",
                rule="balanced",
                details={"sum": str(total)},
            )
        )
    for index, posting in enumerate(draft.postings):
        where = f"postings[{index}]"
        if posting.amount == 0:
            problems.append(
                Problem("a posting of 0.00 moves nothing", field=f"{where}.amount", rule="non-zero")
            )
        account = state.accounts.get(posting.account)
        if account is None:
            problems.append(
                Problem(
                    f"unknown account {posting.account!r}",
                    field=f"{where}.account",
                    rule="known-account",
                    details={"account": posting.account},
                )
            )
        elif not account.is_open_on(draft.date):
            problems.append(
                Problem(
                    f"account {posting.account} is not open on {draft.date} "
                    f"(open {account.open_date} to {account.close_date or 'now'})",
                    field=f"{where}.account",
                    rule="open-account",
                    details={"account": posting.account, "date": str(draft.date)},
                )
            )
    return problems


def _check_period_open(state: BookState, day: date, what: str) -> None:
    """Refuse (409) anything dated inside a closed period, in the words of the plugin's rule
    (:mod:`rules.closed`)."""
    if state.rules is None:
        return
    for close in state.rules.context.closed:
        if close.covers(day):
            raise PeriodLocked(
                [
                    Problem(
                        closed_period.message(what, day, close),
                        rule=closed_period.NAME,
                        details=closed_period.details(day, close),
                    )
                ]
            )


def _check_rules(state: BookState, txn: Txn) -> None:
    if state.rules is None:
        return
    violations = state.rules.check(txn)
    if violations:
        raise RuleViolations(
            [Problem(v.message, rule=v.rule, details=v.details) for v in violations]
        )


def spending(txn: Txn) -> Decimal:
    """Money leaving the community's cash and bank accounts in this transaction."""
    net = txn.amount_on(CASH_ACCOUNTS)
    return -net if net < 0 else Decimal("0.00")


def needs_approval(txn: Txn, threshold: Decimal) -> bool:
    return txn.kind in ALWAYS_APPROVED or spending(txn) >= threshold


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
    )


def legs_of(session: Session, entry_id: str) -> list[Leg]:
    from ledger.models import Account

    rows = session.execute(
        select(col(Account.name), col(Posting.amount_fen))
        .join(Account, col(Account.id) == col(Posting.account_id))
        .where(col(Posting.entry_id) == entry_id)
        .order_by(col(Posting.position))
    )
    return [Leg(name, from_fen(fen)) for name, fen in rows]


def _entry(session: Session, community: Community, entry_id: str) -> Entry:
    entry = session.get(Entry, entry_id)
    if entry is None or entry.community_id != community.id:
        raise NotFound(f"no transaction {entry_id!r} in {community.slug}")
    return entry


def get(*, books: Books, slug: str, entry_id: str) -> TransactionOut:
    with Session(books.engine) as session:
        community = books.community(session, slug)
        entry = _entry(session, community, entry_id)
        return to_out(entry, legs_of(session, entry.id))


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


def _write_posted(session: Session, community: Community, entry: Entry, txn: Txn) -> ChainedTxn:
    """Chain an ORM entry (approval, reversal)."""
    link, fields = _chain(community, txn, clock.now())
    for name, value in fields.items():
        setattr(entry, name, value)
    session.add(community)
    return link


def _add_postings(session: Session, state: BookState, entry: Entry, legs: Sequence[Leg]) -> None:
    for position, leg in enumerate(legs):
        session.add(
            Posting(
                entry_id=entry.id,
                account_id=state.accounts[leg.account].id,
                position=position,
                amount_fen=to_fen(leg.amount),
            )
        )


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


#: Columns of the rows the posting path inserts (``_new_row``, ``_posting_rows``,
#: ``_line_rows``): every column but the autoincrement keys.
ENTRY_COLUMNS = tuple(column.name for column in Entry.__table__.columns)  # type: ignore[attr-defined]
POSTING_COLUMNS = ("entry_id", "account_id", "position", "amount_fen")
LINE_COLUMNS = ("entry_id", "unit_id", "area_centi", "amount_fen")


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


def _community_for_update() -> Any:
    table = _table("community")
    return select(table).where(table.c.slug == bindparam("slug")).with_for_update()


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


#: The posting path's statements, run on the driver's cursor (``ledger.prepared``): the same
#: SQL SQLAlchemy would send, without its per-statement cost. The row dicts built below have
#: exactly these columns.
SQL = Statements(
    community=_community_for_update,
    entry_by_key=_entry_by_key,
    head=_head_update,
    entry=lambda: insert_of(_table("entry"), ENTRY_COLUMNS),
    posting=lambda: insert_of(_table("posting"), POSTING_COLUMNS),
    event=lambda: insert_of(_table("event"), events.ROW_COLUMNS),
    allocationline=lambda: insert_of(_table("allocationline"), LINE_COLUMNS),
)


def _locked_community(connection: Connection, slug: str) -> Community:
    """The community's row, locked for the write (``FOR UPDATE``; SQLite's ``BEGIN
    IMMEDIATE`` already holds the database's write lock), as a detached ``Community``."""
    rows = SQL("community", connection.dialect).rows(connection, {"slug": slug})
    if not rows:
        raise NotFound(f"no community {slug!r}")
    return Community(**rows[0])


def _post_many(
    books: Books,
    slug: str,
    drafts: Sequence[TransactionIn],
    actor: str,
    address: str | None,
    schedules: Sequence[Schedule | None] | None = None,
) -> list[Posted]:
    results: list[Posted] = []
    chained: list[ChainedTxn] = []
    applied = False
    today, now = clock.today(), clock.now()
    rules_file = books.rules_file(slug)
    with write_connection(books.current_engine()) as (connection, session):
        dialect = connection.dialect
        community = _locked_community(connection, slug)
        state = books.state(session, community)
        with nowait.holding(state.lock, "the community's state"):
            try:
                earlier = _entries_by_key(session, connection, community, drafts)
                in_batch: dict[str, tuple[str, int]] = {}  # key -> (fingerprint, result index)
                problems: list[Problem] = []
                violations: list[Problem] = []
                entry_rows: list[dict[str, Any]] = []
                posting_rows: list[dict[str, Any]] = []
                event_rows: list[dict[str, Any]] = []
                line_rows: list[dict[str, Any]] = []
                for index, draft in enumerate(drafts):
                    prefix = f"transactions[{index}]." if len(drafts) > 1 else ""
                    digest = fingerprint(draft)
                    key = draft.idempotency_key
                    if key is not None and key in earlier:
                        results.append(_replayed(session, earlier[key], draft, digest))
                        continue
                    if key is not None and key in in_batch:
                        first_digest, first = in_batch[key]
                        if first_digest != digest:
                            raise _key_conflict(draft, results[first].entry.id)
                        results.append(Posted(results[first].entry, created=False))
                        continue
                    found = _problems_of_draft(draft, state, today)
                    if found:
                        problems += [_prefixed(p, prefix) for p in found]
                        continue
                    _check_period_open(state, draft.date, "the transaction")
                    row, txn = _new_row(draft, community, actor, digest, now)
                    if state.rules is not None:
                        found_rules = state.rules.check(txn)
                        if found_rules:
                            violations += [
                                _prefixed(
                                    Problem(v.message, rule=v.rule, details=v.details), prefix
                                )
                                for v in found_rules
                            ]
                            continue
                    posting_rows += _posting_rows(state, row["id"], txn.legs)
                    if schedules is not None and schedules[index]:
                        line_rows += _line_rows(row["id"], schedules[index] or [])
                    threshold = rules_file.at(draft.date).approval_threshold
                    if needs_approval(txn, threshold):
                        action = "enter"
                    else:
                        link, fields = _chain(community, txn, now)
                        row.update(fields)
                        chained.append(link)
                        state.apply(link.txn, link.hash)  # later drafts see this one
                        applied = True
                        action = "post"
                    if key is not None:
                        in_batch[key] = (digest, len(results))
                    entry_rows.append(row)
                    event_rows.append(
                        events.row(
                            community_id=community.id,
                            actor=actor,
                            action=action,
                            object_type="entry",
                            object_id=row["id"],
                            address=address,
                            details={
                                "seq": row["seq"],
                                "kind": row["kind"],
                                "status": row["status"],
                            },
                        )
                    )
                    results.append(Posted(None, created=True, row=row, legs=txn.legs))
                if problems:
                    raise ValidationFailed(problems)
                if violations:
                    raise RuleViolations(violations)
                if entry_rows:
                    SQL("entry", dialect).execute_many(connection, entry_rows)
                    SQL("posting", dialect).execute_many(connection, posting_rows)
                    SQL("event", dialect).execute_many(connection, event_rows)
                    if line_rows:
                        SQL("allocationline", dialect).execute_many(connection, line_rows)
                if chained:
                    SQL("head", dialect).execute(
                        connection,
                        {
                            "id": community.id,
                            "head_seq": community.head_seq,
                            "head_hash": community.head_hash,
                        },
                    )
                connection.commit()  # under the state's lock: the state never runs ahead
            except BaseException:
                if applied:
                    books.invalidate(community.id)
                raise
    if chained:
        books.sync_projection(slug, chained)
    return results


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
                f"idempotency key {draft.idempotency_key!r} was already used for a different "
                f"transaction ({existing_id}); use a new key for a new transaction",
                field="idempotency_key",
                rule="idempotency",
                details={"existing": existing_id},
            )
        ]
    )


def _replayed(
    session: Session, existing: tuple[str, str], draft: TransactionIn, digest: str
) -> Posted:
    """The same key again: the first result if the body is the same, else a conflict."""
    entry_id, request_hash = existing
    if request_hash != digest:
        raise _key_conflict(draft, entry_id)
    entry = session.get(Entry, entry_id)
    assert entry is not None
    return Posted(to_out(entry, legs_of(session, entry_id)), created=False)


def _prefixed(problem: Problem, prefix: str) -> Problem:
    if not prefix:
        return problem
    field = prefix + problem.field if problem.field else prefix.rstrip(".")
    return Problem(problem.message, field=field, rule=problem.rule, details=problem.details)


def _new_row(
    draft: TransactionIn, community: Community, actor: str, digest: str, now: datetime
) -> tuple[dict[str, Any], Txn]:
    """A new entry as a row (pending until chained), and its transaction."""
    row: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "community_id": community.id,
        "seq": None,
        "status": "pending",
        "date": draft.date,
        "payee": draft.payee,
        "narration": draft.narration,
        "kind": draft.kind,
        "entered_by": actor,
        "approved_by": None,
        "resolution": draft.resolution,
        "documents": json.dumps(draft.documents, ensure_ascii=False),
        "reverses": None,
        "idempotency_key": draft.idempotency_key,
        "request_hash": digest,
        "text": None,
        "prev_hash": None,
        "hash": None,
        "created_at": now,
        "posted_at": None,
        "rejected_by": None,
        "rejected_reason": None,
    }
    legs = tuple(Leg(p.account, p.amount) for p in draft.postings)
    return row, Txn(
        id=row["id"],
        date=draft.date,
        payee=draft.payee,
        narration=draft.narration,
        kind=draft.kind,
        legs=legs,
        entered_by=actor,
        resolution=draft.resolution,
        documents=tuple(draft.documents),
    )


def _posting_rows(state: BookState, entry_id: str, legs: Sequence[Leg]) -> list[dict[str, Any]]:
    return [
        {
            "entry_id": entry_id,
            "account_id": state.accounts[leg.account].id,
            "position": position,
            "amount_fen": to_fen(leg.amount),
        }
        for position, leg in enumerate(legs)
    ]


def _line_rows(entry_id: str, schedule: Schedule) -> list[dict[str, Any]]:
    return [
        {"entry_id": entry_id, "unit_id": unit_id, "area_centi": area, "amount_fen": amount}
        for unit_id, area, amount in schedule
    ]


def _out(row: dict[str, Any], legs: Sequence[Leg]) -> TransactionOut:
    """The response for a row this call built and validated itself: constructed without
    re-validating (a bulk post answers hundreds of these)."""
    fields = {k: v for k, v in row.items() if k not in {"community_id", "request_hash", "text"}}
    fields["documents"] = json.loads(row["documents"])
    fields["postings"] = [
        PostingOut.model_construct(account=leg.account, amount=leg.amount) for leg in legs
    ]
    return TransactionOut.model_construct(**fields)


def approve(
    *, books: Books, slug: str, entry_id: str, actor: str, address: str | None = None
) -> TransactionOut:
    """Post a pending entry on a second member's approval (never the one who entered it)."""
    with writer(books.engine) as session:
        community = books.community(session, slug, for_update=True)
        entry = _entry(session, community, entry_id)
        if entry.status != "pending":
            raise StateConflict(f"transaction {entry_id} is {entry.status}, not pending")
        if entry.entered_by == actor:
            raise Forbidden(
                [
                    Problem(
                        f"{actor} entered this transaction and cannot also approve it; "
                        "a second committee member must approve (four eyes)",
                        rule="four-eyes",
                        details={"entered_by": entry.entered_by},
                    )
                ]
            )
        state = books.state(session, community)
        with state.lock:
            legs = legs_of(session, entry.id)
            entry.approved_by = actor
            txn = txn_of(entry, tuple(legs))
            _check_period_open(state, entry.date, "the transaction")
            _check_rules(state, txn)
            link = _write_posted(session, community, entry, txn)
            session.add(entry)
            events.record(
                session,
                community_id=community.id,
                actor=actor,
                action="approve",
                object_type="entry",
                object_id=entry.id,
                address=address,
                details={"seq": entry.seq},
            )
            out = to_out(entry, legs)
            session.commit()
            state.apply(link.txn, link.hash)
    books.sync_projection(slug, [link])
    return out


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
            raise StateConflict(f"transaction {entry_id} is {entry.status}, not pending")
        entry.status = "rejected"
        entry.rejected_by = actor
        entry.rejected_reason = reason
        session.add(entry)
        events.record(
            session,
            community_id=community.id,
            actor=actor,
            action="reject",
            object_type="entry",
            object_id=entry.id,
            address=address,
            details={"reason": reason},
        )
        session.flush()
        return to_out(entry, legs_of(session, entry.id))


def reverse(
    *,
    books: Books,
    slug: str,
    entry_id: str,
    actor: str,
    on: date | None = None,
    address: str | None = None,
) -> Posted:
    """Post the negation of a posted entry, linked to it. An entry is reversed at most once:
    the database's unique ``reverses`` column settles concurrent attempts."""
    try:
        return _reverse(books, slug, entry_id, actor, on, address)
    except IntegrityError:
        raise AlreadyReversed(f"transaction {entry_id} has already been reversed") from None


def _reverse(
    books: Books, slug: str, entry_id: str, actor: str, on: date | None, address: str | None
) -> Posted:
    day = on or clock.today()
    with writer(books.engine) as session:
        community = books.community(session, slug, for_update=True)
        original = _entry(session, community, entry_id)
        if original.status != "posted":
            raise StateConflict(
                f"transaction {entry_id} is {original.status}; only posted entries can be reversed"
            )
        if original.kind == "reversal":
            raise StateConflict("a reversal cannot itself be reversed; post the original again")
        already = session.execute(
            select(col(Entry.id)).where(col(Entry.reverses) == entry_id)
        ).first()
        if already is not None:
            raise AlreadyReversed(
                [
                    Problem(
                        f"transaction {entry_id} was already reversed by {already[0]}",
                        rule="reverse-once",
                        details={"reversal": already[0]},
                    )
                ]
            )
        if day > clock.today():
            raise ValidationFailed(
                [Problem(f"date {day} is in the future", field="date", rule="no-future-dates")]
            )
        state = books.state(session, community)
        with state.lock:
            _check_period_open(state, original.date, "the transaction to reverse")
            _check_period_open(state, day, "the reversal")
            legs = tuple(Leg(leg.account, -leg.amount) for leg in legs_of(session, original.id))
            narration = f"冲销 #{original.seq}: {original.narration}"[:1000]
            entry = Entry(
                id=str(uuid.uuid4()),
                community_id=community.id,
                status="pending",
                date=day,
                payee=original.payee,
                narration=narration,
                kind="reversal",
                entered_by=actor,
                resolution=original.resolution,
                documents=original.documents,
                reverses=original.id,
                request_hash=hashlib.sha256(f"reverse {original.id}".encode()).hexdigest(),
                created_at=clock.now(),
            )
            txn = txn_of(entry, legs)
            _check_rules(state, txn)
            session.add(entry)
            _add_postings(session, state, entry, legs)
            link = _write_posted(session, community, entry, txn)
            events.record(
                session,
                community_id=community.id,
                actor=actor,
                action="reverse",
                object_type="entry",
                object_id=original.id,
                address=address,
                details={"reversal": entry.id, "seq": entry.seq},
            )
            session.flush()
            out = to_out(entry, legs)
            session.commit()
            state.apply(link.txn, link.hash)
    books.sync_projection(slug, [link])
    return Posted(out, created=True)
