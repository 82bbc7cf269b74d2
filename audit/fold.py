"""The figures the statutory statements fold from the journal (see :mod:`audit.statutory`):
balances at the year's start (entries of kind ``opening`` count as before it), at the period's
start and end, the flows of the period and of the year without the opening and closing
entries, the cash each entry moves credited to its other accounts, and the entries dated after
the period (events after the period). Kept apart from the tables so that reading a snapshot
folds them in its one pass over the chain."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from ledger.chart import lines_of
from ledger.money import to_fen
from ledger.period import Period
from ledger.txn import Txn

CASH_CODES = ("1001", "1002", "1009")
RESTRICTED_LINE = 105


@dataclass(frozen=True)
class Acct:
    code: str
    name_zh: str
    restricted: bool = False


def line_number(text: str) -> int:
    head = text.split(" ", 1)[0]
    return int(head) if head.isdigit() else 0


def position(name: str, acct: Acct | None) -> int:
    """The balance sheet's 行次 of an account (an unknown code: by its root)."""
    if acct is not None:
        found = line_number(lines_of(acct.code, acct.restricted).position)
        if found:
            return found
    root = name.split(":", 1)[0]
    if root == "Assets":
        return 18
    if root == "Liabilities":
        return 78
    return RESTRICTED_LINE if acct is not None and acct.restricted else 101


def is_cash(acct: Acct | None) -> bool:
    return acct is not None and acct.code[:4] in CASH_CODES


def _add(target: dict[str, int], name: str, fen: int) -> None:
    target[name] = target.get(name, 0) + fen


@dataclass
class Fold:
    """The figures of ``period`` (see the module's docstring); :meth:`add` every entry."""

    period: Period
    accounts: dict[str, Acct]
    year_open: dict[str, int] = field(default_factory=dict)
    start_open: dict[str, int] = field(default_factory=dict)
    end: dict[str, int] = field(default_factory=dict)
    flows: dict[str, int] = field(default_factory=dict)
    flows_year: dict[str, int] = field(default_factory=dict)
    cash: dict[str, int] = field(default_factory=dict)  # counter-account -> cash in (+)/out (-)
    later: list[Txn] = field(default_factory=list)  # dated after the period
    spent: dict[str, int] = field(default_factory=dict)  # by resolution, up to the period's end

    @property
    def year_start(self) -> date:
        return date(self.period.start.year, 1, 1)

    def add(self, txn: Txn) -> None:
        day, kind, end = txn.date, txn.kind, self.period.end
        if day > end:
            self.later.append(txn)
            return
        legs = [(leg.account, to_fen(leg.amount)) for leg in txn.legs]
        opening = kind == "opening"
        if txn.resolution:  # charged to expenses, or else the cash paid out
            charged = sum(f for n, f in legs if n.startswith("Expenses:"))
            paid = -sum(f for n, f in legs if is_cash(self.accounts.get(n)))
            _add(self.spent, txn.resolution, charged or paid)
        for name, fen in legs:
            _add(self.end, name, fen)
            if day < self.year_start or opening:
                _add(self.year_open, name, fen)
            if day < self.period.start or opening:
                _add(self.start_open, name, fen)
            if opening or kind == "closing":
                continue
            if day >= self.year_start:
                _add(self.flows_year, name, fen)
            if day >= self.period.start:
                _add(self.flows, name, fen)
        if opening or day < self.period.start:
            return
        if any(is_cash(self.accounts.get(n)) for n, _ in legs):
            for name, fen in legs:
                if not is_cash(self.accounts.get(name)):
                    _add(self.cash, name, -fen)

    def fold(self, txns: Iterable[Txn]) -> Fold:
        for txn in txns:
            self.add(txn)
        return self
