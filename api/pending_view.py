"""What the approver sees of each entry waiting for approval (the entry page's ``#pending``):
enough to decide without opening anything else.

- the **lines** in words: each account by the chart's Chinese name (``银行存款 / 基本户``
  rather than ``Assets:1002-银行存款:01-基本户``), the amount unsigned with 借 (debit) or 贷
  (credit), as a paper voucher shows them;
- the **resolution** it cites: number, title, and the budget as the rule will count it on
  approval (spent before, this entry, left after: :func:`rules.resolution_register.budget_use`);
- its **documents**: the files uploaded for it (links to ``GET .../documents/{sha256}``) and
  the receipt numbers typed with it;
- **who** entered it and **when** (China Standard Time, the books' calendar).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from ledger.books import Books
from ledger.clock import CST
from ledger.schemas import TransactionOut
from rules import documents
from rules.documents import DocumentListed
from rules.resolution_register import BudgetUse, budget_use

#: An account segment's code: ``1002-`` of ``1002-银行存款``, ``01-`` of ``01-基本户``.
_CODE = re.compile(r"^[0-9A-Za-z]+-")


def chinese_name(account: str) -> str:
    """The chart's Chinese part of an account: its segments after the root, codes taken off,
    joined by `` / ``. A segment without a code is kept as it is."""
    segments = account.split(":")[1:] or [account]
    return " / ".join(_CODE.sub("", segment, count=1) or segment for segment in segments)


def entered_at(moment: datetime) -> str:
    """``2026-03-05 14:07`` in China Standard Time (stored moments are UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(CST).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class Line:
    side: str  # 借 or 贷
    account: str  # the full name (for a tooltip)
    name: str  # the chart's Chinese part
    amount: str  # unsigned, 1,234.50


@dataclass(frozen=True)
class Pending:
    entry: TransactionOut
    lines: tuple[Line, ...]
    entered_at: str
    #: The cited resolution's budget, or None (none cited, or the number is unknown:
    #: ``entry.resolution`` still says which).
    resolution: BudgetUse | None
    files: tuple[DocumentListed, ...]


def lines_of(entry: TransactionOut) -> tuple[Line, ...]:
    """Debits first, then credits, each in the order entered."""
    ordered = [p for p in entry.postings if p.amount > 0] + [
        p for p in entry.postings if p.amount <= 0
    ]
    return tuple(
        Line(
            "借" if posting.amount > 0 else "贷",
            posting.account,
            chinese_name(posting.account),
            f"{abs(Decimal(posting.amount)):,.2f}",
        )
        for posting in ordered
    )


def describe(books: Books, slug: str, pending: list[TransactionOut]) -> list[Pending]:
    """The pending entries as the approver sees them (see the module's docstring)."""
    if not pending:
        return []
    budgets = budget_use(books=books, slug=slug, entry_ids=[e.id for e in pending])
    wanted = {e.id for e in pending}
    files: dict[str, list[DocumentListed]] = {}
    for document in documents.listed(books=books, slug=slug):
        for entry_id in wanted.intersection(document.entries):
            files.setdefault(entry_id, []).append(document)
    return [
        Pending(
            entry=entry,
            lines=lines_of(entry),
            entered_at=entered_at(entry.created_at),
            resolution=budgets.get(entry.id),
            files=tuple(files.get(entry.id, ())),
        )
        for entry in pending
    ]
