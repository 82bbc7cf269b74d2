"""A cost that may be at most a share of the year's income: the fold both cost-share rules use.

Per calendar year (of the transaction's date) the fold keeps the cost so far and the income it
is measured against so far, both as posted in sequence (whatever their dates within the year).
A transaction that raises the cost is refused when the year's cost would exceed
``share x income`` (the income including this transaction's own). Reversals are never refused
here: undoing a cost lowers it, and undoing income or a refund must stay possible (a correction
cannot be trapped); the year's figures still take them in.

:meth:`ShareCap.figures` is the same fold over a closed stretch of the books: the year to date at
a day's end (transactions dated 1 January to that day), measured with the settings in force that
day. :func:`limit` is the one place the cap is computed, for the posting check and the figures
alike, so a disclosure statement prints the verdict the posting path would give.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ledger.messages import cite, msg
from ledger.money import quantize
from ledger.txn import Txn
from rules.accounts import ZERO, percent, yuan
from rules.config import RuleSettings, settings_of
from rules.engine import Context, RuleViolation


def limit(income: Decimal, share: Decimal) -> Decimal:
    """The most the cost may be: ``share`` of the income (none of a negative income), in fen."""
    return quantize(max(income, ZERO) * share)


@dataclass(frozen=True)
class ShareFigures:
    """A share cap's year-to-date figures at ``end`` (yuan), as the rule folds them."""

    rule: str  # the rule's name, as in its violations
    year: int
    end: date
    cost: Decimal
    income: Decimal
    share: Decimal  # the cap, a fraction (0.10 is 10%)
    limit: Decimal
    source: str

    @property
    def ok(self) -> bool:
        """Within the cap: what the posting check requires of a cost."""
        return self.cost <= self.limit


class ShareCap:
    """Cost (``cost(txn)``) at most ``share(settings)`` of income (``income(txn)``) per year."""

    name = ""
    # Catalogue keys: the rule in words, first in its messages; what it caps, of what.
    title = ""
    cost_name = ""
    income_name = ""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.years: dict[int, tuple[Decimal, Decimal]] = {}  # year -> (cost, income)

    # Subclasses say what counts.
    cost: Callable[[Txn], Decimal]
    income: Callable[[Txn], Decimal]

    def share(self, settings: RuleSettings) -> Decimal:
        raise NotImplementedError

    def source(self, settings: RuleSettings) -> str:
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
        cap = limit(income, share)
        if actual <= cap:
            return []
        source = self.source(settings)
        return [
            RuleViolation(
                self.name,
                msg(
                    "shares.would-more-than-limit",
                    title=msg(self.title),
                    cost_name=msg(self.cost_name),
                    year=txn.date.year,
                    actual=yuan(actual),
                    share=percent(share),
                    income=yuan(income),
                    income_name=msg(self.income_name),
                    cap=yuan(cap),
                    excess=yuan(actual - cap),
                    source=cite(source),
                ),
                details={
                    "year": txn.date.year,
                    "share": str(share),
                    "income": f"{income:.2f}",
                    "limit": f"{cap:.2f}",
                    "actual": f"{actual:.2f}",
                    "excess": f"{actual - cap:.2f}",
                },
                source={"rule": source},
            )
        ]

    def apply(self, txn: Txn) -> None:
        cost, income = self.cost(txn), self.income(txn)
        if cost or income:
            spent, earned = self.years.get(txn.date.year, (ZERO, ZERO))
            self.years[txn.date.year] = (spent + cost, earned + income)

    def figures(self, txns: Iterable[Txn], *, end: date) -> ShareFigures:
        """The year to date at ``end``: the transactions dated 1 January to ``end`` (in any
        order) folded by :meth:`apply`, against the cap in force on ``end``."""
        fold = type(self)(self.context)
        for txn in txns:
            if txn.date.year == end.year and txn.date <= end:
                fold.apply(txn)
        cost, income = fold.years.get(end.year, (ZERO, ZERO))
        settings = settings_of(self.context.config, end)
        share = self.share(settings)
        return ShareFigures(
            rule=self.name,
            year=end.year,
            end=end,
            cost=cost,
            income=income,
            share=share,
            limit=limit(income, share),
            source=self.source(settings),
        )
