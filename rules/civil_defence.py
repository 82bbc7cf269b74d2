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
"""

from __future__ import annotations

from ledger import chart
from ledger.txn import Txn
from rules.accounts import ZERO, under, yuan
from rules.config import SOURCES, settings_of
from rules.engine import Context, RuleViolation

NAME = "civil-defence"


class CivilDefence:
    name = NAME

    def __init__(self, context: Context) -> None:
        self.context = context

    def check(self, txn: Txn) -> list[RuleViolation]:
        credited = -sum(
            (
                leg.amount
                for leg in txn.legs
                if under(leg.account, chart.INCOME_CIVIL_DEFENCE) and leg.amount < 0
            ),
            ZERO,
        )
        if credited <= 0 or settings_of(self.context.config, txn.date).civil_defence_owned:
            return []
        source = SOURCES["civil_defence_owned"]
        return [
            RuleViolation(
                NAME,
                f"civil defence: {yuan(credited)} of 人防 parking income is not common income; "
                "it belongs to the investor unless the rules file sets "
                f"civil_defence_owned = true ({source})",
                details={
                    "account": chart.INCOME_CIVIL_DEFENCE,
                    "actual": f"{credited:.2f}",
                    "limit": "0.00",
                    "civil_defence_owned": False,
                },
                source={"rule": source},
            )
        ]

    def apply(self, txn: Txn) -> None:
        return None
