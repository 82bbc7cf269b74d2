"""A cost that may be at most a share of the year's income: the fold both cost-share rules use.

Per calendar year (of the transaction's date) the fold keeps the cost so far and the income it
is measured against so far, both as posted in sequence (whatever their dates within the year).
A transaction that raises the cost is refused when the year's cost would exceed
``share x income`` (the income including this transaction's own). Reversals are never refused
here: undoing a cost lowers it, and undoing income or a refund must stay possible (a correction
cannot be trapped); the year's figures still take them in.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from ledger.money import quantize
from ledger.txn import Txn
from rules.accounts import ZERO, percent, yuan
from rules.config import Settings, settings_of
from rules.engine import Context, RuleViolation


class ShareCap:
    """Cost (``cost(txn)``) at most ``share(settings)`` of income (``income(txn)``) per year."""

    name = ""
    title = ""  # the rule in words, first in its messages
    cost_name = ""
    income_name = ""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.years: dict[int, tuple[Decimal, Decimal]] = {}  # year -> (cost, income)

    # Subclasses say what counts.
    cost: Callable[[Txn], Decimal]
    income: Callable[[Txn], Decimal]

    def share(self, settings: Settings) -> Decimal:
        raise NotImplementedError

    def source(self, settings: Settings) -> str:
        raise NotImplementedError

    def check(self, txn: Txn) -> list[RuleViolation]:
        cost = self.cost(txn)
        if cost <= 0 or txn.kind == "reversal":
            return []
        settings = settings_of(self.context.config, txn.date)
        share = self.share(settings)
        spent, earned = self.years.get(txn.date.year, (ZERO, ZERO))
        actual = spent + cost
        income = earned + self.income(txn)
        limit = quantize(max(income, ZERO) * share)
        if actual <= limit:
            return []
        source = self.source(settings)
        return [
            RuleViolation(
                self.name,
                f"{self.title}: {self.cost_name} in {txn.date.year} would be {yuan(actual)}, "
                f"more than {percent(share)} of {yuan(income)} {self.income_name} "
                f"(limit {yuan(limit)}, excess {yuan(actual - limit)}) ({source})",
                details={
                    "year": txn.date.year,
                    "share": str(share),
                    "income": f"{income:.2f}",
                    "limit": f"{limit:.2f}",
                    "actual": f"{actual:.2f}",
                    "excess": f"{actual - limit:.2f}",
                },
                source={"rule": source},
            )
        ]

    def apply(self, txn: Txn) -> None:
        cost, income = self.cost(txn), self.income(txn)
        if cost or income:
            spent, earned = self.years.get(txn.date.year, (ZERO, ZERO))
            self.years[txn.date.year] = (spent + cost, earned + income)
