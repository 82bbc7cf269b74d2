"""The audit trail: every action is an event (who, what, which object, when, from where),
written in the same database transaction as the action itself."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from ledger import clock
from ledger.models import Event

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
    """An event as a row, for bulk inserts beside the entries it describes."""
    return {
        "community_id": community_id,
        "at": clock.now(),
        "actor": actor,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "address": address,
        "details": json.dumps(details or {}, ensure_ascii=False, sort_keys=True, default=str),
    }


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
    event = Event(
        **row(
            community_id=community_id,
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            address=address,
            details=details,
        )
    )
    session.add(event)
    return event
