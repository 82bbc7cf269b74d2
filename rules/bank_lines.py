"""The statement line as the bank modules share it.

A line in (:class:`LineIn`, a whole :class:`StatementIn`, a :class:`Read` saying where it stood
in its source), a stored line out (:class:`LineOut`), a proposal (:class:`ProposalOut`) and an
import's answer (:class:`ImportOut`); the form of a refusal (:func:`problem`, :func:`refused`:
one problem per line, at most 50); and which accounts take statements (:func:`bank_account`:
1002 银行存款 or 1009 其他货币资金). The overview is in :mod:`rules.bank`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
)
from sqlalchemy import select
from sqlmodel import Session, col

from ledger.errors import Problem, ValidationFailed
from ledger.messages import Msg, msg
from ledger.models import Account
from ledger.schemas import Money, TransactionIn, clean_text

#: Lines in one statement, at most.
MAX_LINES = 20000
ZERO = Decimal("0.00")
#: ``date`` under a name that fields called ``date`` do not shadow.
Day = date


def _text(max_length: int) -> BeforeValidator:
    return BeforeValidator(partial(clean_text, max_length=max_length, multiline=False))


class LineIn(BaseModel):
    """One statement line. ``amount``: positive is money in (a debit to the bank account)."""

    model_config = ConfigDict(extra="forbid")

    date: date
    amount: Money
    balance: Money
    counterparty: Annotated[str, _text(200)] = ""
    reference: Annotated[str, _text(100)] = ""
    memo: Annotated[str, _text(500)] = ""


class StatementIn(BaseModel):
    """A statement of one account, its lines oldest first."""

    model_config = ConfigDict(extra="forbid")

    account: Annotated[str, Field(min_length=1, max_length=200)]
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=MAX_LINES)]


@dataclass(frozen=True)
class Read:
    """A line as read: where it stands in its source (a file's line, or ``lines[i]``)."""

    line: LineIn
    where: str


class LineOut(BaseModel):
    id: int
    account: str
    date: date
    amount: Money
    balance: Money
    counterparty: str
    reference: str
    memo: str
    status: Literal["open", "matched", "dismissed"]
    entry: str | None = None
    dismissed_reason: str | None = None


class ProposalOut(BaseModel):
    """An unmatched line and the entry suggested for it, for the treasurer to confirm, edit or
    dismiss."""

    line: LineOut
    draft: TransactionIn


class ImportOut(BaseModel):
    imported: int
    duplicates: int
    matched: int
    proposals: list[ProposalOut]


def problem(where: str, message: Msg, rule: str = "bank-statement", **details: Any) -> Problem:
    return Problem(
        msg("common.at", where=where, message=message),
        field=where,
        rule=rule,
        details=dict(details),
    )


def refused(problems: list[Problem]) -> ValidationFailed:
    return ValidationFailed(problems[:50])


def bank_account(session: Session, community_id: str, name: str) -> Account:
    account: Account | None = session.execute(
        select(Account).where(col(Account.community_id) == community_id, col(Account.name) == name)
    ).scalar_one_or_none()
    if account is None or not (account.code.startswith("1002") or account.code.startswith("1009")):
        raise ValidationFailed(
            [
                Problem(
                    msg("bank_lines.bank-account-community", name=name),
                    field="account",
                    rule="bank-account",
                    details={"account": name},
                )
            ]
        )
    return account
