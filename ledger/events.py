"""The audit trail: every action is an event (who, what, which object, when, from where),
written in the same database transaction as the action itself.

A community's events form a hash chain of their own, as its entries do (docs/chain.md): each
event gets the next ``seq`` (1, 2, …), the hash of the event before it (``prev_hash``; the
first links to :func:`genesis_hash`) and ``hash = sha256(prev_hash + text)`` over its
canonical :func:`text`. The community row holds the head (``event_seq``, ``event_head``).
Events of no community (logins, the operator's user commands) are a separate log, unchained.

Chaining happens where the event is written, under the community's row lock: the posting
path's bulk rows (:func:`chain_rows` and :func:`advance`, called by ``journal.Write``, which
already holds the lock) and :func:`record` (which takes the lock itself: ``SELECT … FOR
UPDATE`` on PostgreSQL; on SQLite the writer's ``BEGIN IMMEDIATE`` already serialises).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, SQLModel

from ledger import clock
from ledger.models import Community, Event
from ledger.prepared import Statements
from ledger.render import chain_hash

#: The columns of :func:`row` (every column of ``event`` but its key).
ROW_COLUMNS = (
    "community_id",
    "at",
    "actor",
    "action",
    "object_type",
    "object_id",
    "address",
    "details",
    "seq",
    "prev_hash",
    "hash",
)


def genesis_hash(community_id: str) -> str:
    """Where a community's event chain starts: ``sha256("commons-ledger events " + id)``."""
    return hashlib.sha256(f"commons-ledger events {community_id}".encode()).hexdigest()


def utc_iso(at: datetime) -> str:
    """An event's time as the chain writes it: UTC, microseconds, ``+00:00`` (a naive time
    is taken as UTC, as the database stores it)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def text(
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    address: str | None,
    details: str,
) -> str:
    """The canonical text of an event, what its ``hash`` covers: one line of JSON with sorted
    keys, no spaces, non-ASCII kept as is. ``details`` is the stored details text (itself
    JSON), taken as a string, never re-parsed. The rule is frozen: docs/chain.md specifies it
    for readers outside this code, and every chained event depends on it."""
    return json.dumps(
        {
            "action": action,
            "actor": actor,
            "address": address,
            "at": utc_iso(at),
            "details": details,
            "object_id": object_id,
            "object_type": object_type,
            "seq": seq,
        },
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )


def text_of(event: Mapping[str, Any] | Event) -> str:
    """:func:`text` of an event row (a dict of :data:`ROW_COLUMNS`) or an ``Event``."""
    values = event if isinstance(event, Mapping) else event.model_dump()
    return text(
        seq=values["seq"],
        at=values["at"],
        actor=values["actor"],
        action=values["action"],
        object_type=values["object_type"],
        object_id=values["object_id"],
        address=values["address"],
        details=values["details"],
    )


def row(
    *,
    community_id: str | None,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    address: str | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An event as a row, for bulk inserts beside the entries it describes. Not yet chained:
    :func:`chain_rows` gives a community's rows their links when they are written."""
    return {
        "community_id": community_id,
        "at": clock.now(),
        "actor": actor,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "address": address,
        "details": json.dumps(details or {}, ensure_ascii=False, sort_keys=True, default=str),
        "seq": None,
        "prev_hash": None,
        "hash": None,
    }


def link(rows: Iterable[dict[str, Any]], community_id: str, seq: int, head: str | None) -> int:
    """Chain ``rows`` (in order) after the event ``seq`` whose hash is ``head`` (``None`` or
    seq 0: the start, :func:`genesis_hash`). Sets each row's ``seq``, ``prev_hash`` and
    ``hash``; returns the new head's seq (the hash is the last row's)."""
    prev = head if seq and head else genesis_hash(community_id)
    for item in rows:
        seq += 1
        item["seq"], item["prev_hash"] = seq, prev
        prev = item["hash"] = chain_hash(prev, text_of(item))
    return seq


def chain_rows(connection: Connection, community: Community, rows: list[dict[str, Any]]) -> None:
    """Chain the bulk rows of one write (all of ``community``) and advance the in-memory head
    (``community.event_seq``/``event_head``). The caller holds the community's row lock and
    writes the head with :func:`advance` in the same transaction. The head is read afresh: an
    event recorded earlier in the same transaction (a rules import) may have moved it."""
    if not rows:
        return
    table = _table()
    community.event_seq, community.event_head = connection.execute(
        select(table.c.event_seq, table.c.event_head).where(table.c.id == community.id)
    ).one()
    community.event_seq = link(rows, community.id, community.event_seq, community.event_head)
    community.event_head = rows[-1]["hash"]


def _table() -> Table:
    return SQLModel.metadata.tables["community"]


def _head_update() -> Any:
    table = _table()
    return (
        update(table)
        .where(table.c.id == bindparam("id"))
        .values(event_seq=bindparam("event_seq"), event_head=bindparam("event_head"))
    )


SQL = Statements(head=_head_update)


def advance(connection: Connection, community: Community) -> None:
    """Write ``community``'s event head (after :func:`chain_rows`) on the posting path."""
    SQL("head", connection.dialect).execute(
        connection,
        {"id": community.id, "event_seq": community.event_seq, "event_head": community.event_head},
    )


def _chain_one(session: Session, values: dict[str, Any]) -> None:
    """Chain one event of ``session``'s transaction: lock the community row, read its event
    head, link, and write the new head. Plain Core statements, so a ``Community`` the caller
    holds (perhaps with changes not yet flushed) is left alone but for the two head fields."""
    community_id = values["community_id"]
    table = _table()
    seq, head = session.execute(
        select(table.c.event_seq, table.c.event_head)
        .where(table.c.id == community_id)
        .with_for_update()
    ).one()
    seq = link([values], community_id, seq, head)
    session.execute(
        update(table)
        .where(table.c.id == community_id)
        .values(event_seq=seq, event_head=values["hash"])
    )
    held = session.identity_map.get(session.identity_key(Community, community_id))
    if held is not None:  # keep the caller's object true without marking it changed
        set_committed_value(held, "event_seq", seq)
        set_committed_value(held, "event_head", values["hash"])


def record(
    session: Session,
    *,
    community_id: str | None,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    address: str | None = None,
    details: dict[str, Any] | None = None,
) -> Event:
    """Add an event to ``session``'s transaction; a community's event is chained at once
    (taking the community's row lock if the caller has not)."""
    values = row(
        community_id=community_id,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        address=address,
        details=details,
    )
    if community_id is not None:
        _chain_one(session, values)
    event = Event(**values)
    session.add(event)
    return event
