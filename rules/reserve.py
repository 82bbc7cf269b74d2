"""Reserve for the maintenance fund: by the close of each period, the configured share of the
period's net common income must have been set aside for the special maintenance fund.

Why: common income "should mainly be used to top up the special maintenance fund" (物业管理条例
art. 54). Shanghai 住宅物业管理规定 art. 51: **more than 50%** each quarter
(``reserve_comparison = "more_than"``, ``reserve_condition = "always"``, the defaults).
Beijing 物业管理条例 art. 74: **at least 50%** while the fund is under 30% of its initial amount
(``"at_least"``, ``"fund_below"`` with ``maintenance_fund_initial``).

The figures of a period (its transactions are those dated in it; see :mod:`rules.accounts`):

- **net common income** = income (minus the postings to Income accounts) less the manager's
  cost share (5101-01) and direct costs (5101-02): what the owners actually earned;
- **set aside** = per transaction, the net debit to the top-up use account (5101-03
  补充专项维修资金), or in a transaction without one the net credit to the restricted fund
  (3102), summed (a reversal takes its part back);
- **required** = ``reserve_share_min x net common income`` (nothing when the net is not
  positive); ``more_than`` needs set aside > required, ``at_least`` set aside >= required;
- **least** = the least amount in fen that satisfies the rule (for ``more_than`` one fen more
  than the required share rounded down, for ``at_least`` the required share rounded up; nothing
  when the rule does not apply); **shortfall** = the least amount in fen that, set aside on top,
  would satisfy the rule;
- the **fund's balance** (for ``fund_below``) is the restricted fund (3102, credit-normal) at
  the period's end: the money the books hold earmarked for the maintenance fund. The rule then
  applies only while that balance is under ``maintenance_fund_floor_share x
  maintenance_fund_initial``.

The rule is judged when a period closes (:mod:`rules.periods`); ``check`` is a pure function
of the period's transactions, so tests and the close share it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from ledger import chart
from ledger.messages import Msg, cite, msg
from ledger.money import FEN, quantize
from ledger.txn import Txn
from rules.accounts import ZERO, common_income, fund_moves, net, percent, set_aside, yuan
from rules.config import SOURCES, RuleSettings
from rules.engine import Context, RuleViolation

NAME = "reserve-share"
SOURCE = {
    "more_than": "Shanghai 住宅物业管理规定 art. 51",
    "at_least": "Beijing 物业管理条例 art. 74",
}


@dataclass(frozen=True)
class Reserve:
    """A period's figures for the reserve rule (yuan)."""

    period: str
    income: Decimal
    manager_share: Decimal
    direct_costs: Decimal
    net_income: Decimal
    set_aside: Decimal
    share: Decimal
    comparison: str
    required: Decimal
    applies: bool
    fund_balance: Decimal
    fund_floor: Decimal
    shortfall: Decimal
    #: The least amount in fen that satisfies the rule (0.00 when nothing is required).
    least: Decimal = ZERO

    @property
    def ok(self) -> bool:
        """Enough was set aside: what the close requires."""
        return self.shortfall <= 0

    def as_dict(self) -> dict[str, str | bool]:
        return {
            "period": self.period,
            "income": f"{self.income:.2f}",
            "manager_share": f"{self.manager_share:.2f}",
            "direct_costs": f"{self.direct_costs:.2f}",
            "net_income": f"{self.net_income:.2f}",
            "set_aside": f"{self.set_aside:.2f}",
            "share": str(self.share),
            "comparison": self.comparison,
            "required": f"{self.required:.2f}",
            "applies": self.applies,
            "fund_balance": f"{self.fund_balance:.2f}",
            "fund_floor": f"{self.fund_floor:.2f}",
            "shortfall": f"{self.shortfall:.2f}",
        }


def figures(
    context: Context,
    txns: Iterable[Txn],
    *,
    period: str,
    start: date,
    end: date,
    settings: RuleSettings,
) -> Reserve:
    """The reserve figures of ``start..end`` from posted transactions (any order, any dates:
    those outside the period only count towards the fund's balance, up to ``end``)."""
    income = manager = direct = aside = fund = ZERO
    for txn in txns:
        if txn.date > end:
            continue
        fund += fund_moves(context, txn)[1]
        if txn.date < start:
            continue
        income += common_income(txn)
        manager += net(txn, chart.COST_MANAGER_SHARE)
        direct += net(txn, chart.COST_DIRECT)
        aside += set_aside(context, txn)
    net_income = income - manager - direct
    share, comparison = settings.reserve_share_min, settings.reserve_comparison
    exact = net_income * share if net_income > 0 else ZERO
    floor = quantize(settings.maintenance_fund_initial * settings.maintenance_fund_floor_share)
    applies = settings.reserve_condition == "always" or fund < floor
    least = shortfall = ZERO
    if applies and exact > 0:
        least = least_amount(exact, comparison)
        shortfall = max(least_amount(exact - aside, comparison), ZERO)
    return Reserve(
        period=period,
        income=income,
        manager_share=manager,
        direct_costs=direct,
        net_income=net_income,
        set_aside=aside,
        share=share,
        comparison=comparison,
        required=quantize(exact),
        applies=applies,
        fund_balance=fund,
        fund_floor=floor,
        shortfall=shortfall,
        least=least,
    )


def least_amount(exact: Decimal, comparison: str) -> Decimal:
    """The least fen amount that is more than (``more_than``) or at least (``at_least``)
    ``exact``: the required amount, and (of the difference) the shortfall."""
    if comparison == "at_least":
        return exact.quantize(FEN, rounding=ROUND_CEILING)
    return exact.quantize(FEN, rounding=ROUND_FLOOR) + FEN


def check(reserve: Reserve, settings: RuleSettings) -> RuleViolation | None:
    """The violation when ``reserve`` falls short, with the shortfall in yuan."""
    if reserve.shortfall <= 0:
        return None
    words = msg(f"reserve.{reserve.comparison}")
    source = SOURCE[reserve.comparison]
    cited = cite(source)
    condition: Msg | str = ""
    if settings.reserve_condition == "fund_below":
        condition = msg(
            "reserve.while-fund-below",
            balance=yuan(reserve.fund_balance),
            floor=yuan(reserve.fund_floor),
        )
        below = SOURCES["reserve_condition"].split("; ")[1]
        source = f"{source}; {below}"
        cited = msg("common.both", first=cited, second=cite(below))
    return RuleViolation(
        NAME,
        msg(
            "reserve.reserve-for-maintenance-fund",
            period=reserve.period,
            words=words,
            share=percent(reserve.share),
            net_income=yuan(reserve.net_income),
            required=yuan(reserve.required),
            condition=condition,
            set_aside=yuan(reserve.set_aside),
            shortfall=yuan(reserve.shortfall),
            source=cited,
        ),
        details={
            **reserve.as_dict(),
            "limit": f"{reserve.required:.2f}",
            "actual": f"{reserve.set_aside:.2f}",
        },
        source={"rule": source},
    )
