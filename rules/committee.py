"""Committee working expenses (工作经费: allowances, office costs): at most
``committee_share_max`` (default 10%, a community choice) of the year's common income to date.

Why: spending common income is for the owners to decide (民法典 art. 278 (九)); the assembly
allows the committee a share of it for its own work, and the rules file records that share.
Counted per calendar year (see :mod:`rules.shares`): the cost is the net debit to the committee
expenses account (5201-01 业委会工作经费); the income is all income booked in the year so far
(minus the postings to Income accounts, so a reversal nets out).

Before (20,000.00 of income so far this year)::

    2025-03-26 * "业委会" "委员工作津贴"
      Expenses:5201-管理费用:01-业委会工作经费   2500.00 CNY
      Assets:1002-银行存款:01-基本户           -2500.00 CNY

After: ``committee expenses: committee working expenses in 2025 would be 2,500.00, more than 10%
of 20,000.00 common income (limit 2,000.00, excess 500.00) (...)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from ledger import chart
from ledger.txn import Txn
from rules.accounts import common_income, net
from rules.config import SOURCES, RuleSettings
from rules.engine import Context
from rules.shares import ShareCap, ShareFigures

NAME = "committee-expenses"


class CommitteeExpenses(ShareCap):
    name = NAME
    title = "committee.title"
    cost_name = "committee.cost"
    income_name = "committee.income"

    @staticmethod
    def cost(txn: Txn) -> Decimal:
        return net(txn, chart.USE_COMMITTEE)

    @staticmethod
    def income(txn: Txn) -> Decimal:
        return common_income(txn)

    def share(self, settings: RuleSettings) -> Decimal:
        return settings.committee_share_max

    def source(self, settings: RuleSettings) -> str:
        return SOURCES["committee_share_max"]


def figures(context: Context, txns: Iterable[Txn], *, end: date) -> ShareFigures:
    """The year to date at ``end``, folded as the posting check folds it (see
    :meth:`rules.shares.ShareCap.figures`)."""
    return CommitteeExpenses(context).figures(txns, end=end)
