"""The per-community state the posting path keeps in memory, so a post costs O(its postings)
and never re-reads the ledger: the chain head, the chart, the closed periods, balances, and the
rules' own folds (:class:`ledger.checks.Checks`).

The state remembers the sequence number it reflects. A writer that locks the community row and
finds the database ahead (another process posted) folds in just the missing entries; a change
to what the rules check against (resolutions, closes, the rules file) bumps ``Community.rev``
or the rule set's ``version``, and the facts are re-read and swapped in place (the folds stay:
they never depend on those facts).
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import date

from ledger.checks import Checks
from ledger.facts import CloseFact
from ledger.txn import Txn


@dataclass(frozen=True)
class AccountInfo:
    id: int
    name: str
    code: str
    name_zh: str
    restricted: bool
    open_date: date
    close_date: date | None

    def is_open_on(self, day: date) -> bool:
        return self.open_date <= day and (self.close_date is None or day < self.close_date)


@dataclass
class BookState:
    community_id: str
    seq: int
    head: str
    #: ``(Community.rev, RuleSet.version(slug))`` when the facts were last read.
    version: tuple[int, Hashable]
    accounts: dict[str, AccountInfo]
    checks: Checks
    closes: list[CloseFact] = field(default_factory=list)  # in order of start
    #: The first day of the books (``Community.start_date``).
    start: date | None = None
    balances: dict[str, int] = field(default_factory=dict)  # fen per account name
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def apply(self, txn: Txn, hash_: str) -> None:
        """Fold one posted transaction in (after its commit). Folding is by sequence number:
        a transaction already reflected (a catch-up got there first) is skipped."""
        if txn.seq is not None and txn.seq <= self.seq:
            return
        for leg in txn.legs:
            self.balances[leg.account] = self.balances.get(leg.account, 0) + int(leg.amount * 100)
        self.checks.apply(txn)
        self.seq = txn.seq if txn.seq is not None else self.seq
        self.head = hash_

    def sealed_by(self, day: date) -> CloseFact | None:
        """The close that seals ``day``: the one it falls in, or the last one when ``day`` is
        before its end (periods close in order, so all before the last close is sealed)."""
        for close in self.closes:
            if close.covers(day):
                return close
        last = max(self.closes, key=lambda c: c.end, default=None)
        return last if last is not None and day <= last.end else None
