"""The reconciliation (银行存款余额调节表) and the period close's check of it.

On a date: the book balance (posted entries to that date), the bank balance (the last line to
that date), the items on each side not yet on the other, and the adjusted balances (book +
bank-only items; bank + book-only items), which agree unless something is unexplained. With
``reconcile_before_close`` (the rules file, default on) a period does not close while an
account with statement lines in it shows a difference or open proposals (:func:`unreconciled`).
"""

from __future__ import annotations

from datetime import date

from pydantic import (
    BaseModel,
    Field,
)
from sqlalchemy import func, select
from sqlmodel import Session, col

from ledger.books import Books
from ledger.db import reader
from ledger.errors import NotFound, Problem
from ledger.messages import msg
from ledger.models import Account, BankLine, Entry, Posting, keyed
from ledger.money import fmt, from_fen
from ledger.schemas import Money
from rules.bank_lines import ZERO, Day, bank_account
from rules.bank_matching import entries_on


class ItemOut(BaseModel):
    """One item on one side only: an entry not yet on the statement, or a line not yet in
    the books (``status`` says why: open, dismissed, or its entry is pending or later)."""

    date: date
    amount: Money
    description: str
    entry: str | None = None
    line: int | None = None
    status: str


class ReconciliationOut(BaseModel):
    account: str
    date: date
    book_balance: Money
    bank_balance: Money
    book_only: list[ItemOut]
    bank_only: list[ItemOut]
    adjusted_book_balance: Money
    adjusted_bank_balance: Money
    difference: Money
    open_lines: int = Field(description="statement lines still to confirm or dismiss")
    statement_from: Day = Field(description="the first statement line of the account")


def _reconcile(session: Session, community_id: str, account: str, day: date) -> ReconciliationOut:
    rows = list(
        session.execute(
            select(BankLine)
            .where(col(BankLine.community_id) == community_id)
            .where(col(BankLine.account) == account)
            .order_by(col(BankLine.date), col(BankLine.position))
        ).scalars()
    )
    upto = [r for r in rows if r.date <= day]
    if not upto:
        raise NotFound(
            [
                Problem(
                    msg("bank_reconcile.no-statement-line-before", account=account, day=day),
                    field="date",
                    rule="bank-reconciliation",
                )
            ]
        )
    start = rows[0].date
    bank_balance = from_fen(upto[-1].balance_fen)
    book_balance = from_fen(
        int(
            session.execute(
                select(func.coalesce(func.sum(col(Posting.amount_fen)), 0))
                .join(Entry, keyed(Posting, "entry_id", Entry))
                .join(Account, keyed(Posting, "account_id", Account))
                .where(col(Entry.community_id) == community_id)
                .where(col(Account.name) == account)
                .where(col(Entry.status) == "posted")
                .where(col(Entry.date) <= day)
            ).scalar_one()
        )
    )
    entries = {
        e.id: e for e in entries_on(session, community_id, account, statuses=("posted", "pending"))
    }
    cleared = {r.entry_id for r in upto if r.entry_id is not None}
    book_only = [
        ItemOut(
            date=e.date,
            amount=from_fen(e.fen),
            description=f"#{e.seq} {e.payee} {e.narration}".strip(),
            entry=e.id,
            status="not on the statement yet",
        )
        for e in entries.values()
        if e.status == "posted" and start <= e.date <= day and e.id not in cleared
    ]
    bank_only = []
    for r in upto:
        entry = entries.get(r.entry_id) if r.entry_id else None
        if entry is not None and entry.status == "posted" and entry.date <= day:
            continue
        if r.status == "dismissed":
            why = f"dismissed: {r.dismissed_reason}"
        elif entry is None:
            why = "open: to confirm or dismiss"
        elif entry.status == "pending":
            why = f"entry {entry.id} waits for approval"
        else:
            why = f"entry #{entry.seq} is dated {entry.date}, after {day}"
        bank_only.append(
            ItemOut(
                date=r.date,
                amount=from_fen(r.amount_fen),
                description=" ".join(x for x in (r.counterparty, r.memo, r.reference) if x),
                line=r.id,
                entry=r.entry_id,
                status=why,
            )
        )
    adjusted_book = book_balance + sum((i.amount for i in bank_only), ZERO)
    adjusted_bank = bank_balance + sum((i.amount for i in book_only), ZERO)
    return ReconciliationOut(
        account=account,
        date=day,
        book_balance=book_balance,
        bank_balance=bank_balance,
        book_only=book_only,
        bank_only=bank_only,
        adjusted_book_balance=adjusted_book,
        adjusted_bank_balance=adjusted_bank,
        difference=adjusted_book - adjusted_bank,
        open_lines=sum(1 for r in upto if r.status == "open"),
        statement_from=start,
    )


def reconcile(*, books: Books, slug: str, account: str, day: date) -> ReconciliationOut:
    """The reconciliation (银行存款余额调节表) of ``account`` on ``day``."""
    with reader(books.engine) as session:
        community = books.community(session, slug)
        bank_account(session, community.id, account)
        return _reconcile(session, community.id, account, day)


def reconciliation(
    session: Session, community_id: str, account: str, day: date
) -> ReconciliationOut:
    """:func:`reconcile` read in ``session`` (the audit package's one transaction); NotFound
    when the account has no statement line on or before ``day``."""
    return _reconcile(session, community_id, account, day)


def unreconciled(
    session: Session, community_id: str, start: date, end: date, period: str = ""
) -> list[Problem]:
    """For the period close: each account with statement lines dated in ``start..end`` whose
    reconciliation on ``end`` shows a difference or open lines (``reconcile-before-close``)."""
    accounts = [
        name
        for (name,) in session.execute(
            select(col(BankLine.account))
            .where(col(BankLine.community_id) == community_id)
            .where(col(BankLine.date) >= start)
            .where(col(BankLine.date) <= end)
            .distinct()
            .order_by(col(BankLine.account))
        )
    ]
    problems = []
    for account in accounts:
        found = _reconcile(session, community_id, account, end)
        if found.difference == 0 and found.open_lines == 0:
            continue
        problems.append(
            Problem(
                msg(
                    "bank_reconcile.cannot-close-bank-reconciliation",
                    period=period or f"{start} to {end}",
                    account=account,
                    end=end,
                    difference=fmt(found.difference),
                    adjusted_book_balance=fmt(found.adjusted_book_balance),
                    adjusted_bank_balance=fmt(found.adjusted_bank_balance),
                    open_lines=found.open_lines,
                ),
                rule="reconcile-before-close",
                details={
                    "period": period,
                    "account": account,
                    "date": str(end),
                    "difference": fmt(found.difference),
                    "open_lines": found.open_lines,
                },
            )
        )
    return problems
