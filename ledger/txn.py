"""The transaction as both drivers of the rules see it: the posting path builds it from a draft,
the beancount plugin from a parsed entry. Plain, immutable data; no database, no beancount."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

KINDS = (
    "income",
    "cost",
    "subsidy",
    "upgrade",
    "dividend",
    "transfer",
    "reserve",
    "payout",
    "reversal",
    "closing",
    "opening",
    "accrual",
)


@dataclass(frozen=True)
class Leg:
    """One posting: a beancount account and a signed CNY amount (positive debit)."""

    account: str
    amount: Decimal


@dataclass(frozen=True)
class Txn:
    id: str
    date: date
    payee: str
    narration: str
    kind: str
    legs: tuple[Leg, ...]
    entered_by: str
    seq: int | None = None
    approved_by: str | None = None
    resolution: str | None = None
    documents: tuple[str, ...] = ()
    reverses: str | None = None
    #: The income contract a receipt cites (or an accrual is for); ``contract:`` metadata.
    contract: str | None = None
    #: Where the transaction came from (beancount ``meta``: filename, lineno); for errors.
    source: dict[str, Any] = field(default_factory=dict, compare=False)

    def amount_on(self, accounts: frozenset[str] | set[str] | tuple[str, ...]) -> Decimal:
        """The net amount this transaction posts to ``accounts``."""
        return sum((leg.amount for leg in self.legs if leg.account in accounts), Decimal("0.00"))

    def debits(self) -> Decimal:
        return sum((leg.amount for leg in self.legs if leg.amount > 0), Decimal("0.00"))
