"""Civil-air-defence (人防) parking income is not common income: booking income to the 人防
account is refused unless the rules file says the community owns those spaces.

Why: the income of civil-defence works belongs to their investor (人民防空法 art. 5), so it is
not the owners' common income unless the community proves otherwise
(``civil_defence_owned = true`` from the date it does).

A transaction is refused when it credits the 人防 account (4901-02) or a sub-account on a date
when ``civil_defence_owned`` is false. Debits (a reversal, a refund) are never refused.

Before::

    2025-04-05 * "人防车位" "4月停车费"
      Assets:1002-银行存款:01-基本户             800.00 CNY
      Income:4901-其他收入:02-人防车位收入      -800.00 CNY

After: ``civil defence: 800.00 of 人防 parking income is not common income; it belongs to the
investor unless the rules file sets civil_defence_owned = true (人民防空法 art. 5)``.

:func:`figures` restates the rule over a period for its disclosure statement: the 人防 income
credited on days the rules file did not give the community those spaces (what this check
refuses, transaction by transaction, with the same :func:`credited` and :func:`owned`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ledger import chart
from ledger.messages import cite, msg
from ledger.txn import Txn
from rules.accounts import ZERO, net, under, yuan
from rules.config import SOURCES, settings_of
from rules.engine import Context, RuleViolation

NAME = "civil-defence"
SOURCE = SOURCES["civil_defence_owned"]


def credited(txn: Txn) -> Decimal:
    """The 人防 income ``txn`` credits (its credits to 4901-02 and sub-accounts; debits, such
    as a reversal or a refund, are not counted)."""
    return -sum(
        (
            leg.amount
            for leg in txn.legs
            if under(leg.account, chart.INCOME_CIVIL_DEFENCE) and leg.amount < 0
        ),
        ZERO,
    )


def owned(config: object, day: date) -> bool:
    """The rules file in force on ``day`` says the community owns the 人防 spaces."""
    return settings_of(config, day).civil_defence_owned


@dataclass(frozen=True)
class CivilDefenceFigures:
    """A period's 人防 figures (yuan)."""

    rule: str
    income: Decimal  # net 人防 income of the period (credits less debits), owned or not
    not_owned: Decimal  # credited on days the community did not own the spaces: refused
    owned_at_end: bool
    source: str

    @property
    def ok(self) -> bool:
        """Nothing credited that the posting check refuses."""
        return self.not_owned == 0


class CivilDefence:
    name = NAME

    def __init__(self, context: Context) -> None:
        self.context = context

    def check(self, txn: Txn) -> list[RuleViolation]:
        amount = credited(txn)
        if amount <= 0 or owned(self.context.config, txn.date):
            return []
        return [
            RuleViolation(
                NAME,
                msg(
                    "civil_defence.civil-defence-parking-income",
                    amount=yuan(amount),
                    source=cite(SOURCE),
                ),
                details={
                    "account": chart.INCOME_CIVIL_DEFENCE,
                    "actual": f"{amount:.2f}",
                    "limit": "0.00",
                    "civil_defence_owned": False,
                },
                source={"rule": SOURCE},
            )
        ]

    def apply(self, txn: Txn) -> None:
        return None


def figures(
    context: Context, txns: Iterable[Txn], *, start: date, end: date
) -> CivilDefenceFigures:
    """The 人防 figures of the transactions dated ``start..end`` (any order)."""
    income = not_owned = ZERO
    for txn in txns:
        if not start <= txn.date <= end:
            continue
        income -= net(txn, chart.INCOME_CIVIL_DEFENCE)
        if not owned(context.config, txn.date):
            not_owned += credited(txn)
    return CivilDefenceFigures(
        rule=NAME,
        income=income,
        not_owned=not_owned,
        owned_at_end=owned(context.config, end),
        source=SOURCE,
    )
