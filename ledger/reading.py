"""Reading entries back for people: pages of the journal with filters, the pending list, the
latest posts. Each answer takes a fixed number of queries (the entries, then all their legs at
once), however many entries it holds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, or_, select
from sqlmodel import Session, col

from ledger.errors import Problem, ValidationFailed
from ledger.journal import to_out
from ledger.messages import msg
from ledger.models import Account, Entry, Posting, keyed
from ledger.money import from_fen
from ledger.schemas import TransactionOut
from ledger.txn import Leg


@dataclass(frozen=True)
class Filters:
    date_from: date | None = None
    date_to: date | None = None
    #: An account name, or a parent to include its sub-accounts.
    account: str | None = None
    kind: str | None = None
    status: str | None = None


#: Where a page continues: after the entry with this (date, created_at, id).
After = tuple[date, datetime, str]


def legs_by_entry(
    session: Session, community_id: str, entry_ids: Sequence[str]
) -> dict[str, list[Leg]]:
    """Every listed entry's legs (entries of one community), in position order, in one
    query."""
    out: dict[str, list[Leg]] = {i: [] for i in entry_ids}
    if not entry_ids:
        return out
    rows = session.execute(
        select(col(Posting.entry_id), col(Account.name), col(Posting.amount_fen))
        .join(Account, keyed(Posting, "account_id", Account))
        .where(col(Posting.community_id) == community_id)
        .where(col(Posting.entry_id).in_(list(entry_ids)))
        .order_by(col(Posting.entry_id), col(Posting.position))
    )
    for entry_id, name, fen in rows:
        out[entry_id].append(Leg(name, from_fen(fen)))
    return out


def with_legs(
    session: Session, community_id: str, entries: Sequence[Entry]
) -> list[tuple[Entry, list[Leg]]]:
    legs = legs_by_entry(session, community_id, [e.id for e in entries])
    return [(entry, legs[entry.id]) for entry in entries]


def account_ids(session: Session, community_id: str, account: str) -> list[int]:
    """The account and its sub-accounts; 422 when the name matches nothing."""
    rows = session.execute(
        select(col(Account.id), col(Account.name)).where(col(Account.community_id) == community_id)
    ).all()
    ids = [i for i, name in rows if name == account or name.startswith(account + ":")]
    if not ids:
        raise ValidationFailed(
            [
                Problem(
                    msg("journal.unknown-account", account=account),
                    field="account",
                    rule="known-account",
                    details={"account": account},
                )
            ]
        )
    return ids


def entries_page(
    session: Session,
    community_id: str,
    filters: Filters,
    *,
    after: After | None = None,
    limit: int = 100,
) -> tuple[list[tuple[Entry, list[Leg]]], bool]:
    """Entries in (date, created_at, id) order after ``after``, at most ``limit``, with their
    legs; and whether more follow."""
    query = select(Entry).where(col(Entry.community_id) == community_id)
    if filters.date_from is not None:
        query = query.where(col(Entry.date) >= filters.date_from)
    if filters.date_to is not None:
        query = query.where(col(Entry.date) <= filters.date_to)
    if filters.kind is not None:
        query = query.where(col(Entry.kind) == filters.kind)
    if filters.status is not None:
        query = query.where(col(Entry.status) == filters.status)
    if filters.account is not None:
        ids = account_ids(session, community_id, filters.account)
        having = (
            select(col(Posting.entry_id))
            .where(col(Posting.community_id) == community_id)
            .where(col(Posting.account_id).in_(ids))
        )
        query = query.where(col(Entry.id).in_(having))
    if after is not None:
        day, created, last_id = after
        query = query.where(
            or_(
                col(Entry.date) > day,
                and_(col(Entry.date) == day, col(Entry.created_at) > created),
                and_(
                    col(Entry.date) == day,
                    col(Entry.created_at) == created,
                    col(Entry.id) > last_id,
                ),
            )
        )
    query = query.order_by(col(Entry.date), col(Entry.created_at), col(Entry.id))
    entries = list(session.execute(query.limit(limit + 1)).scalars())
    return with_legs(session, community_id, entries[:limit]), len(entries) > limit


def pending(session: Session, community_id: str, *, limit: int = 200) -> list[TransactionOut]:
    """Entries waiting for a second member, oldest first, with their legs."""
    entries = session.execute(
        select(Entry)
        .where(col(Entry.community_id) == community_id)
        .where(col(Entry.status) == "pending")
        .order_by(col(Entry.date), col(Entry.created_at))
        .limit(limit)
    ).scalars()
    return [to_out(entry, legs) for entry, legs in with_legs(session, community_id, list(entries))]


def latest_posted(
    session: Session, community_id: str, *, limit: int = 10
) -> list[tuple[Entry, list[Leg]]]:
    """The last ``limit`` posted entries, newest first, with their legs."""
    entries = session.execute(
        select(Entry)
        .where(col(Entry.community_id) == community_id)
        .where(col(Entry.status) == "posted")
        .order_by(col(Entry.seq).desc())
        .limit(limit)
    ).scalars()
    return with_legs(session, community_id, list(entries))
