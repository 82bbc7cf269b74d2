"""The property manager's cost share: at most ``manager_share_max`` (default 30%) of the gross
common income it relates to.

Why: income from the common parts belongs to the owners after deducting *reasonable* costs
(民法典 art. 282); Xiamen caps the manager's share at 30% of the parking-service income.
Counted per calendar year (see :mod:`rules.shares`): the cost is the net debit to the
manager-share account (5101-01 物业服务企业成本分成); the income is the gross 共有收益 (the 4301
accounts: parking, pilotis and room rent, advertising), net of reversals, before any cost.

Before (10,000.00 of parking income so far this year)::

    2025-03-25 * "物业服务企业" "成本分成"
      Expenses:5101-业务活动成本:01-物业服务企业成本分成   3500.00 CNY
      Assets:1002-银行存款:01-基本户                     -3500.00 CNY

After: ``manager's cost share: the manager's share in 2025 would be 3,500.00, more than 30% of
10,000.00 gross common income (4301) (limit 3,000.00, excess 500.00) (民法典 art. 282; ...)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from ledger import chart
from ledger.txn import Txn
from rules.accounts import income_4301, net
from rules.config import SOURCES, RuleSettings
from rules.engine import Context
from rules.shares import ShareCap, ShareFigures

NAME = "manager-cost-share"


class ManagerShare(ShareCap):
    name = NAME
    title = "manager_share.title"
    cost_name = "manager_share.cost"
    income_name = "manager_share.income"

    @staticmethod
    def cost(txn: Txn) -> Decimal:
        return net(txn, chart.COST_MANAGER_SHARE)

    @staticmethod
    def income(txn: Txn) -> Decimal:
        return income_4301(txn)

    def share(self, settings: RuleSettings) -> Decimal:
        return settings.manager_share_max

    def source(self, settings: RuleSettings) -> str:
        return SOURCES["manager_share_max"]


def figures(context: Context, txns: Iterable[Txn], *, end: date) -> ShareFigures:
    """The year to date at ``end``, folded as the posting check folds it (see
    :meth:`rules.shares.ShareCap.figures`)."""
    return ManagerShare(context).figures(txns, end=end)
