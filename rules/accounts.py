"""What the rules call cash, funds, income and costs, in beancount terms (positive = debit).

- **Cash**: the accounts of :data:`ledger.chart.CASH_ACCOUNTS` (现金, 银行存款, 其他货币资金);
  *spending* is the net amount a transaction takes out of them (as ``ledger.four_eyes.spending``).
- **Restricted fund** (限定性净资产): Equity accounts marked ``restricted`` in the chart (the
  3102 accounts); its balance is minus the sum of their postings (Equity is credit-normal).
- **Unrestricted fund** (非限定性净资产): every other Equity account plus the year's result not
  yet closed into it, so minus the sum of postings to Equity (not restricted), Income and
  Expenses accounts. It is what the community may spend freely.
- **Common income**: minus the postings to Income accounts (credit-normal; a reversal nets out).
  The manager's share relates to the gross 4301 income (共有收益: parking, rent, advertising).
- **Set aside for the maintenance fund**: the net debit to the top-up use account (5101-03), or
  in a transaction without one, the net credit to the restricted fund.

An account matches a name when it is that account or one of its sub-accounts.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from ledger import chart
from ledger.txn import Txn
from rules.engine import Context

ZERO = Decimal("0.00")
COMMON_4301 = "Income:4301-共有收益"


def under(account: str, parent: str) -> bool:
    """``account`` is ``parent`` or one of its sub-accounts."""
    return account == parent or account.startswith(parent + ":")


@lru_cache(maxsize=4096)
def under_any(account: str, parents: tuple[str, ...]) -> bool:
    """``account`` is under one of ``parents``. Remembered: a community has a few dozen
    accounts, and the rules ask this of every leg of every transaction (a fold over 100k
    entries asks it millions of times)."""
    return any(under(account, parent) for parent in parents)


def net(txn: Txn, *parents: str) -> Decimal:
    """The net amount ``txn`` posts to ``parents`` and their sub-accounts (debit positive)."""
    total = ZERO
    for leg in txn.legs:
        if under_any(leg.account, parents):
            total += leg.amount
    return total


def is_cash(account: str) -> bool:
    return account in chart.CASH_ACCOUNTS


def spending(txn: Txn) -> Decimal:
    """Money leaving the community's cash and bank accounts in this transaction."""
    moved = sum((leg.amount for leg in txn.legs if is_cash(leg.account)), ZERO)
    return -moved if moved < 0 else ZERO


def is_restricted(context: Context, account: str) -> bool:
    """A restricted-fund account: Equity, and marked restricted in the chart (3102)."""
    if not account.startswith("Equity:"):
        return False
    spec = context.accounts.get(account)
    if spec is not None:
        return spec.restricted
    return account.startswith("Equity:3102")


def is_unrestricted(context: Context, account: str) -> bool:
    """An account whose postings move the unrestricted fund (see the module docstring)."""
    root = account.split(":", 1)[0]
    if root in ("Income", "Expenses"):
        return True
    return root == "Equity" and not is_restricted(context, account)


def fund_moves(context: Context, txn: Txn) -> tuple[Decimal, Decimal]:
    """How ``txn`` changes (unrestricted, restricted) fund balances (positive = grows)."""
    free = restricted = ZERO
    for leg in txn.legs:
        if is_restricted(context, leg.account):
            restricted -= leg.amount
        elif is_unrestricted(context, leg.account):
            free -= leg.amount
    return free, restricted


def common_income(txn: Txn) -> Decimal:
    """Income this transaction books (minus its Income postings; negative when reversed)."""
    return -sum((leg.amount for leg in txn.legs if leg.account.startswith("Income:")), ZERO)


def income_4301(txn: Txn) -> Decimal:
    return -net(txn, COMMON_4301)


def set_aside(context: Context, txn: Txn) -> Decimal:
    """What ``txn`` sets aside for the maintenance fund (negative when it takes it back)."""
    top_up = net(txn, chart.USE_MAINTENANCE)
    if top_up != 0:
        return top_up
    return -sum((leg.amount for leg in txn.legs if is_restricted(context, leg.account)), ZERO)


def yuan(amount: Decimal) -> str:
    """An amount as messages print it: ``12,000.00``."""
    return f"{amount:,.2f}"


def percent(share: Decimal) -> str:
    return f"{(share * 100).normalize():f}%"
