"""No overdraft: cash and bank accounts, and each fund, never go below zero.

Why: the committee spends the owners' money (民法典 art. 281, 283); it cannot spend what it does
not hold, and money earmarked for the maintenance fund (限定性净资产, 民间非营利组织会计制度)
cannot pay for anything else. Balances (see :mod:`rules.accounts`):

- each cash account (1001 现金, 1002 银行存款, 1009 其他货币资金): the sum of its postings;
- the unrestricted fund: minus the postings to Equity (not restricted), Income and Expenses;
- the restricted fund: minus the postings to restricted Equity accounts (3102).

Balances are those after every transaction posted so far, in sequence. A transaction is refused
when it lowers one of them below zero; one that raises a negative balance (a deposit) is not.
A reversal that would overdraw is refused like any other transaction.

Before (the bank holds 5,000.00)::

    2025-04-02 * "电梯公司" "维修"
      Expenses:5101-业务活动成本:02-直接成本   6000.00 CNY
      Assets:1002-银行存款:01-基本户          -6000.00 CNY

After: ``no overdraft: Assets:1002-银行存款:01-基本户 would go below zero: balance 5,000.00,
this transaction -6,000.00, shortfall 1,000.00 (民法典 art. 283; 民间非营利组织会计制度)``.
"""

from __future__ import annotations

from decimal import Decimal

from ledger.messages import cite, msg
from ledger.txn import Txn
from rules.accounts import ZERO, fund_moves, is_cash, yuan
from rules.engine import Context, RuleViolation

NAME = "no-overdraft"
SOURCE = "民法典 art. 283; 民间非营利组织会计制度"
UNRESTRICTED_FUND = "the unrestricted fund (非限定性净资产)"
RESTRICTED_FUND = "the restricted fund (限定性净资产)"
#: The funds in the reader's words (the names above stay in ``details`` for programs).
FUND_WORDS = {
    UNRESTRICTED_FUND: msg("overdraft.unrestricted-fund"),
    RESTRICTED_FUND: msg("overdraft.restricted-fund"),
}


class NoOverdraft:
    name = NAME

    def __init__(self, context: Context) -> None:
        self.context = context
        self.cash: dict[str, Decimal] = {}
        self.funds: dict[str, Decimal] = {UNRESTRICTED_FUND: ZERO, RESTRICTED_FUND: ZERO}

    def _moves(self, txn: Txn) -> dict[str, tuple[Decimal, Decimal]]:
        """What ``txn`` moves: name -> (balance before, change)."""
        moves: dict[str, tuple[Decimal, Decimal]] = {}
        for leg in txn.legs:
            if is_cash(leg.account):
                before, change = moves.get(leg.account, (self.cash.get(leg.account, ZERO), ZERO))
                moves[leg.account] = (before, change + leg.amount)
        free, restricted = fund_moves(self.context, txn)
        moves[UNRESTRICTED_FUND] = (self.funds[UNRESTRICTED_FUND], free)
        moves[RESTRICTED_FUND] = (self.funds[RESTRICTED_FUND], restricted)
        return moves

    def check(self, txn: Txn) -> list[RuleViolation]:
        found = []
        for what, (before, change) in self._moves(txn).items():
            after = before + change
            if change < 0 and after < 0:
                found.append(
                    RuleViolation(
                        NAME,
                        msg(
                            "overdraft.no-overdraft-would-go",
                            what=FUND_WORDS.get(what, what),
                            before=yuan(before),
                            change=yuan(change),
                            shortfall=yuan(-after),
                            source=cite(SOURCE),
                        ),
                        details={
                            "account": what,
                            "balance": f"{before:.2f}",
                            "change": f"{change:.2f}",
                            "limit": "0.00",
                            "actual": f"{after:.2f}",
                            "shortfall": f"{-after:.2f}",
                        },
                        source={"rule": SOURCE},
                    )
                )
        return found

    def apply(self, txn: Txn) -> None:
        for what, (before, change) in self._moves(txn).items():
            if what in self.funds:
                self.funds[what] = before + change
            else:
                self.cash[what] = before + change
