"""Spending the owners did not decide is refused: it must cite a resolution that allows it.

Why: how common income is spent or distributed is for the owners' assembly to decide
(民法典 art. 278 (九), 283), using the maintenance fund too (art. 278 (五), 281).

**Which transactions need a resolution** (cited by ``Txn.resolution``, the number):

- spending at or over ``resolution_threshold`` (default 10,000.00): the money the transaction
  takes out of cash and bank (see :mod:`rules.accounts`), less what it pays into the maintenance
  fund (debits to 5101-03 补充专项维修资金 and 2209-03 应付专项维修资金): topping the fund up
  is what the law asks (物业管理条例 art. 54) and needs no resolution;
- every ``dividend``, ``subsidy`` and ``upgrade``, whatever the amount;
- every spending from the maintenance fund: a transaction that lowers the restricted fund.

**What a cited resolution must be**: one that exists, passed, is in effect on the
transaction's date, whose purpose matches (the kind is among its purposes, or a debited account
is a purpose account or under one), and whose budget this and the earlier transactions citing it
do not exceed. A transaction that cites a resolution without needing one is held to the same.

**What counts against a budget**: what the transaction uses of the community's funds, i.e. the
fall of the unrestricted and restricted funds together (its expenses, net), plus what it buys
that stays an asset (debits to fixed assets 1501 and prepayments 1141). Paying a payable it
accrued earlier counts nothing more (the accrual counted), and moving money between the funds
counts nothing. A reversal is never refused here (a correction must stay possible); it gives
back to the budget exactly what the reversed transaction counted.

Before (no resolution cited)::

    2025-08-18 * "安防工程公司" "电梯轿厢监控改造"
      kind: "upgrade"
      Expenses:5101-业务活动成本:05-设施改造维修   18000.00 CNY
      Assets:1002-银行存款:01-基本户             -18000.00 CNY

After: ``resolution required: an upgrade always needs an owners' resolution; this one cites none
(民法典 art. 278 (九), 283)``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ledger import chart
from ledger.facts import ResolutionFact
from ledger.messages import Msg, cite, msg
from ledger.txn import Txn
from rules.accounts import ZERO, fund_moves, spending, under, under_any, yuan
from rules.config import SOURCES, settings_of
from rules.engine import Context, RuleViolation

NAME = "resolution-required"
ALWAYS = ("dividend", "subsidy", "upgrade")
SOURCE_KINDS = "民法典 art. 278 (九), 283"
SOURCE_FUND = "民法典 art. 278 (五), 281"
SOURCE_CITED = "民法典 art. 278"
TOP_UP = (chart.USE_MAINTENANCE, chart.MAINTENANCE_PAYABLE)
KEPT_ASSETS = ("Assets:1501", "Assets:1141")


def _kept(account: str) -> bool:
    return any(account == p or account.startswith(p) for p in KEPT_ASSETS)


def counted(context: Context, txn: Txn) -> Decimal:
    """What ``txn`` counts against the budget of the resolution it cites (see above)."""
    free, restricted = fund_moves(context, txn)
    used = max(ZERO, -(free + restricted))
    kept = sum((leg.amount for leg in txn.legs if leg.amount > 0 and _kept(leg.account)), ZERO)
    return used + kept


def threshold_amount(txn: Txn) -> Decimal:
    """Spending as the threshold sees it: cash out, less what goes into the maintenance fund."""
    top_up = sum(
        (leg.amount for leg in txn.legs if leg.amount > 0 and under_any(leg.account, TOP_UP)),
        ZERO,
    )
    return max(ZERO, spending(txn) - top_up)


def matches(fact: ResolutionFact, txn: Txn) -> bool:
    if txn.kind in fact.purpose or (txn.kind == "payout" and "dividend" in fact.purpose):
        return True  # paying out a dividend is what a dividend's resolution allows
    debited = [leg.account for leg in txn.legs if leg.amount > 0]
    return any(under(account, purpose) for account in debited for purpose in fact.purpose)


class ResolutionRequired:
    name = NAME

    def __init__(self, context: Context) -> None:
        self.context = context
        self.spent: dict[str, Decimal] = {}  # resolution number -> counted so far
        self.by_txn: dict[str, tuple[str, Decimal]] = {}  # txn id -> (number, counted)

    def _needs(self, txn: Txn) -> tuple[Msg, str, dict[str, Any]] | None:
        """Why ``txn`` needs a resolution (reason, source, numbers), or None."""
        if txn.kind in ALWAYS:
            an = txn.kind == "upgrade"
            text = msg(
                "resolution_required.kind-always-an" if an else "resolution_required.kind-always",
                kind=txn.kind,
            )
            return text, SOURCE_KINDS, {}
        _free, restricted = fund_moves(self.context, txn)
        if restricted < 0:
            return (
                msg("resolution_required.fund-always", amount=yuan(-restricted)),
                SOURCE_FUND,
                {"actual": f"{-restricted:.2f}"},
            )
        threshold = settings_of(self.context.config, txn.date).resolution_threshold
        amount = threshold_amount(txn)
        if amount >= threshold:
            return (
                msg(
                    "resolution_required.over-threshold",
                    amount=yuan(amount),
                    threshold=yuan(threshold),
                ),
                SOURCES["resolution_threshold"],
                {"limit": f"{threshold:.2f}", "actual": f"{amount:.2f}"},
            )
        return None

    def check(self, txn: Txn) -> list[RuleViolation]:
        if txn.kind == "reversal":
            return []
        number = txn.resolution
        if not number:
            need = self._needs(txn)
            if need is None:
                return []
            reason, source, numbers = need
            return [
                _violation(msg("resolution_required.cites-none", reason=reason), source, numbers)
            ]
        fact = self.context.resolutions.get(number)
        if fact is None:
            return [
                _violation(
                    msg("resolution_required.no-such-resolution", number=number),
                    SOURCE_CITED,
                    {"resolution": number},
                )
            ]
        return self._check_fact(fact, txn)

    def _check_fact(self, fact: ResolutionFact, txn: Txn) -> list[RuleViolation]:
        found = []
        about = {"resolution": fact.number}
        if not fact.passed:
            found.append(
                _violation(
                    msg("resolution_required.not-passed", number=fact.number, title=fact.title),
                    SOURCE_CITED,
                    about,
                )
            )
        if not fact.in_effect(txn.date):
            until = fact.expires_on.isoformat() if fact.expires_on else msg("common.no-end")
            found.append(
                _violation(
                    msg(
                        "resolution_required.not-in-effect",
                        number=fact.number,
                        start=fact.effective_from,
                        until=until,
                        date=txn.date,
                    ),
                    SOURCE_CITED,
                    {**about, "date": str(txn.date)},
                )
            )
        if not matches(fact, txn):
            debited = sorted({leg.account for leg in txn.legs if leg.amount > 0})
            found.append(
                _violation(
                    msg(
                        "resolution_required.purpose",
                        number=fact.number,
                        purpose=", ".join(fact.purpose) or "-",
                        kind=txn.kind,
                        debited=", ".join(debited),
                    ),
                    SOURCE_CITED,
                    {**about, "purpose": list(fact.purpose), "kind": txn.kind},
                )
            )
        amount = counted(self.context, txn)
        before = self.spent.get(fact.number, ZERO)
        total = before + amount
        if amount > 0 and total > fact.budget:
            found.append(
                _violation(
                    msg(
                        "resolution_required.over-budget",
                        number=fact.number,
                        budget=yuan(fact.budget),
                        before=yuan(before),
                        amount=yuan(amount),
                        total=yuan(total),
                        excess=yuan(total - fact.budget),
                    ),
                    SOURCE_CITED,
                    {
                        **about,
                        "limit": f"{fact.budget:.2f}",
                        "spent": f"{before:.2f}",
                        "this": f"{amount:.2f}",
                        "actual": f"{total:.2f}",
                        "excess": f"{total - fact.budget:.2f}",
                    },
                )
            )
        return found

    def apply(self, txn: Txn) -> None:
        if txn.kind == "reversal":
            if txn.reverses and txn.reverses in self.by_txn:
                number, amount = self.by_txn.pop(txn.reverses)
                self.spent[number] = self.spent.get(number, ZERO) - amount
            return
        if txn.resolution:
            amount = counted(self.context, txn)
            self.spent[txn.resolution] = self.spent.get(txn.resolution, ZERO) + amount
            self.by_txn[txn.id] = (txn.resolution, amount)


def _violation(text: Msg, source: str, numbers: dict[str, Any]) -> RuleViolation:
    return RuleViolation(
        NAME,
        msg("resolution_required.resolution-required", text=text, source=cite(source)),
        details=numbers,
        source={"rule": source},
    )
