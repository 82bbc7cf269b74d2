"""Matching statement lines to posted entries.

Each open line is matched to a posted entry on the account with the same amount, dated within
:data:`MATCH_WINDOW_DAYS`, not matched to another line; the bank's reference in the entry's
documents or narration, then the counterparty as its payee, then the nearest date decide among
several. :func:`entries_on` (an entry's net amount on one account) also serves the proposals
and the reconciliation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlmodel import Session, col

from ledger.books import Books
from ledger.db import writer
from ledger.four_eyes import payee_key
from ledger.models import Account, BankLine, Entry, Posting, keyed
from rules.bank_lines import Day, bank_account

#: A statement line and a posted entry match when their dates are at most this many days apart.
MATCH_WINDOW_DAYS = 7


@dataclass(frozen=True)
class OnAccount:
    """An entry's net amount on one account."""

    id: str
    seq: int | None
    status: str
    date: Day
    payee: str
    narration: str
    documents: str
    kind: str
    fen: int


def entries_on(
    session: Session,
    community_id: str,
    account: str,
    *,
    statuses: tuple[str, ...] = ("posted",),
    start: date | None = None,
    end: date | None = None,
) -> list[OnAccount]:
    query = (
        select(
            col(Entry.id),
            col(Entry.seq),
            col(Entry.status),
            col(Entry.date),
            col(Entry.payee),
            col(Entry.narration),
            col(Entry.documents),
            col(Entry.kind),
            func.sum(col(Posting.amount_fen)),
        )
        .join(Posting, keyed(Posting, "entry_id", Entry))
        .join(Account, keyed(Posting, "account_id", Account))
        .where(col(Entry.community_id) == community_id)
        .where(col(Account.name) == account)
        .where(col(Entry.status).in_(statuses))
        .group_by(
            col(Entry.id),
            col(Entry.seq),
            col(Entry.status),
            col(Entry.date),
            col(Entry.payee),
            col(Entry.narration),
            col(Entry.documents),
            col(Entry.kind),
        )
        .order_by(col(Entry.date), col(Entry.seq))
    )
    if start is not None:
        query = query.where(col(Entry.date) >= start)
    if end is not None:
        query = query.where(col(Entry.date) <= end)
    return [
        OnAccount(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], int(r[8]))
        for r in session.execute(query)
        if int(r[8])
    ]


def _taken(session: Session, community_id: str) -> set[str]:
    return {
        entry_id
        for (entry_id,) in session.execute(
            select(col(BankLine.entry_id))
            .where(col(BankLine.community_id) == community_id)
            .where(col(BankLine.entry_id).is_not(None))
        )
    }


def _score(line: BankLine, entry: OnAccount) -> tuple[int, int, int]:
    score = 0
    if line.reference and (line.reference in entry.documents or line.reference in entry.narration):
        score += 2
    if line.counterparty:
        a, b = payee_key(line.counterparty), payee_key(entry.payee)
        if b and (a == b or a in b or b in a):
            score += 1
    return (-score, abs((entry.date - line.date).days), entry.seq or 0)


def match_lines(
    session: Session, community_id: str, account: str, lines: Iterable[BankLine]
) -> int:
    """Match each open line to a posted entry (see the module docstring); the count matched."""
    lines = [line for line in lines if line.status == "open"]
    if not lines:
        return 0
    window = timedelta(days=MATCH_WINDOW_DAYS)
    start = min(line.date for line in lines) - window
    end = max(line.date for line in lines) + window
    candidates = entries_on(session, community_id, account, start=start, end=end)
    taken = _taken(session, community_id)
    matched = 0
    for line in sorted(lines, key=lambda r: (r.date, r.position)):
        fitting = [
            e
            for e in candidates
            if e.fen == line.amount_fen
            and abs((e.date - line.date).days) <= MATCH_WINDOW_DAYS
            and e.id not in taken
        ]
        if not fitting:
            continue
        best = min(fitting, key=lambda e: _score(line, e))
        line.entry_id, line.status = best.id, "matched"
        session.add(line)
        taken.add(best.id)
        matched += 1
    session.flush()
    return matched


def rematch(*, books: Books, slug: str, account: str, actor: str) -> int:
    """Match the account's open lines again (after entries were posted by hand)."""
    with writer(books.engine) as session:
        community = books.community(session, slug, for_update=True)
        bank_account(session, community.id, account)
        rows = list(
            session.execute(
                select(BankLine)
                .where(col(BankLine.community_id) == community.id)
                .where(col(BankLine.account) == account)
                .where(col(BankLine.status) == "open")
            ).scalars()
        )
        return match_lines(session, community.id, account, rows)
