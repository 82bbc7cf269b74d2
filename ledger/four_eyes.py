"""Four eyes: when an entry waits for a second member before it reaches the books.

An entry waits when its kind always does (dividends, subsidies, upgrades), or when it takes
money out of the community's cash and bank accounts at or over the approval threshold, or when
spending of its kind to its payee within the approval window (pending entries and the earlier
entries of the same request included) comes to the threshold with it: splitting a payment into
pieces under the threshold does not escape a second member. Payees compare after Unicode NFKC,
case folding and the removal of whitespace, so "物业 公司" and "物业公司" are one payee.

Transfers between the community's own accounts and the manager's cost-share payments are not
counted together (each still waits on its own amount). The threshold and the window come from
the rules (:class:`ledger.checks.Approval`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlmodel import Session, col

from ledger.chart import CASH_ACCOUNTS, COST_MANAGER_SHARE
from ledger.checks import Approval
from ledger.models import Account, Entry, Posting, keyed
from ledger.money import from_fen
from ledger.txn import Txn

#: Kinds that always wait for a second member, whatever the amount.
ALWAYS_APPROVED = frozenset({"dividend", "subsidy", "upgrade"})


@dataclass(frozen=True)
class Spent:
    """An earlier entry counted with the candidate."""

    id: str
    seq: int | None
    date: date
    payee: str
    amount: Decimal


def payee_key(payee: str) -> str:
    return "".join(unicodedata.normalize("NFKC", payee).casefold().split())


def spending(txn: Txn) -> Decimal:
    """Money leaving the community's cash and bank accounts in this transaction."""
    net = txn.amount_on(CASH_ACCOUNTS)
    return -net if net < 0 else Decimal("0.00")


def counted_together(txn: Txn) -> bool:
    """Whether ``txn``'s spending counts with others to its payee (not a transfer between the
    community's own accounts, not the manager's cost share)."""
    if txn.kind == "transfer":
        return False
    others = {leg.account for leg in txn.legs} - set(CASH_ACCOUNTS)
    return others != {COST_MANAGER_SHARE}


def earlier_spending(
    session: Session, community_id: str, txn: Txn, window_days: int, exclude: Sequence[str] = ()
) -> list[Spent]:
    """Spending of ``txn``'s kind to its payee, posted or pending, dated within the window."""
    if window_days <= 0:
        return []
    reach = timedelta(days=window_days - 1)
    key = payee_key(txn.payee)
    net = func.sum(col(Posting.amount_fen))
    # The cash accounts as a subquery, not a join: joined, SQLite's planner (no statistics)
    # started from every posting on them, a scan of the community's history per post; so it
    # starts from the entries to this payee in the window (``ix_entry_community_kind_payee_date``).
    cash = select(col(Account.id)).where(
        col(Account.community_id) == community_id, col(Account.name).in_(list(CASH_ACCOUNTS))
    )
    rows = session.execute(
        select(col(Entry.id), col(Entry.seq), col(Entry.date), col(Entry.payee), net)
        .join(Posting, keyed(Posting, "entry_id", Entry))
        .where(col(Entry.community_id) == community_id)
        .where(col(Posting.community_id) == community_id)
        .where(col(Entry.kind) == txn.kind)
        .where(col(Entry.payee_key) == key)
        .where(col(Entry.status).in_(("posted", "pending")))
        .where(col(Entry.date) >= txn.date - reach)
        .where(col(Entry.date) <= txn.date + reach)
        .where(col(Posting.account_id).in_(cash))
        .group_by(col(Entry.id), col(Entry.seq), col(Entry.date), col(Entry.payee))
        .order_by(col(Entry.date), col(Entry.seq))
    )
    return [
        Spent(entry_id, seq, day, payee, -from_fen(fen))
        for entry_id, seq, day, payee, fen in rows
        if fen < 0 and entry_id not in exclude
    ]


def in_window(txn: Txn, others: Sequence[Txn], window_days: int) -> list[Spent]:
    """The same, among transactions not yet stored (earlier drafts of one request)."""
    key = payee_key(txn.payee)
    return [
        Spent(other.id, other.seq, other.date, other.payee, spending(other))
        for other in others
        if other.kind == txn.kind
        and payee_key(other.payee) == key
        and abs((other.date - txn.date).days) < window_days
        and spending(other) > 0
        and counted_together(other)
    ]


def decide(txn: Txn, approval: Approval, earlier: Sequence[Spent]) -> tuple[bool, str | None]:
    """Whether ``txn`` waits for a second member, and why (naming the entries counted)."""
    if txn.kind in ALWAYS_APPROVED:
        return True, f"a {txn.kind} always waits for a second member"
    amount = spending(txn)
    if amount >= approval.threshold:
        return True, f"{amount:.2f} is at or over the approval threshold {approval.threshold:.2f}"
    if amount <= 0 or not counted_together(txn) or not earlier:
        return False, None
    total = amount + sum((s.amount for s in earlier), Decimal("0.00"))
    if total < approval.threshold:
        return False, None
    listed = ", ".join(
        (f"#{s.seq}" if s.seq is not None else f"pending {s.id[:8]}") + f" {s.date} {s.amount:.2f}"
        for s in earlier
    )
    return True, (
        f"spending of kind {txn.kind} to {txn.payee!r} within {approval.window_days} days comes "
        f"to {total:.2f} with this entry, at or over the approval threshold "
        f"{approval.threshold:.2f} (counted with: {listed})"
    )
