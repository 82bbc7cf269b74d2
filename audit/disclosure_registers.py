"""What a notice shows from the registers beside the journal: the contracts' arrears and the
income each brought in, the budget against actual, and the bank reconciliation at the period's
end. Each is read through the rule module that owns it (:func:`rules.contracts.receivables`,
:func:`rules.budget.actuals`, :func:`rules.bank.reconcile`), so the notice prints the figures the
committee's pages and the close see; here only the period is chosen and the rows are typed.

Why these are stable once the period is closed: no entry can be posted into a closed period, so
receipts, spending and book balances dated in it do not change. The registers themselves (a
contract added later with an earlier start, a bank statement imported late) are read when the
notice is first drawn, which is then stored (:mod:`audit.notices`).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlmodel import Session, col

from audit.disclosure_model import BankRow, BudgetRow, ContractLine
from ledger.books import Books
from ledger.budgets import parse_budget_period
from ledger.models import Account, BankLine
from rules import bank, budget, contracts


def contract_lines(*, books: Books, slug: str, start: date, end: date) -> tuple[ContractLine, ...]:
    """Each registered contract whose term overlaps ``start..end`` or that still owes at
    ``end``: its arrears then (due, received, overdue, ageing), what it brought in during the
    period (received by the end less received the day before) and whether a valid resolution
    covers it (``rules.contracts.listing``)."""
    terms = {c.number: (c.start, c.end) for c in contracts.listing(books=books, slug=slug)}
    before = {
        c["number"]: Decimal(c["received"])
        for c in contracts.receivables(books=books, slug=slug, on=start - timedelta(days=1))[
            "contracts"
        ]
    }
    out = []
    for c in contracts.receivables(books=books, slug=slug, on=end)["contracts"]:
        first, last = terms[c["number"]]
        received = Decimal(c["received"])
        if (first > end or last < start) and not Decimal(c["overdue"]) and not received:
            continue
        out.append(
            ContractLine(
                number=c["number"],
                counterparty=c["counterparty"],
                due=Decimal(c["due"]),
                received=received,
                received_in_period=received - before.get(c["number"], Decimal("0.00")),
                overdue=Decimal(c["overdue"]),
                ageing=tuple((k, Decimal(v)) for k, v in c["ageing"].items()),
                compliant=bool(c["compliant"]),
            )
        )
    return tuple(out)


def budget_rows(
    *, books: Books, slug: str, start: date, end: date, accounts: dict[str, Account]
) -> tuple[BudgetRow, ...]:
    """The budget lines (and unbudgeted spending) of ``start.year`` whose own period lies
    within ``start..end``: a quarter's notice shows its months and quarter, a year's all."""
    out = []
    for line in budget.actuals(books=books, slug=slug, year=start.year).lines:
        span = parse_budget_period(line["period"])
        if span.start < start or span.end > end:
            continue
        info = accounts.get(line["account"])
        out.append(
            BudgetRow(
                account=line["account"],
                name_zh=info.name_zh if info else line["account"],
                name_en=info.name_en if info else line["account"],
                period=line["period"],
                budget=Decimal(line["budget"]),
                actual=Decimal(line["actual"]),
                variance=Decimal(line["variance"]),
            )
        )
    return tuple(out)


def bank_rows(
    *, books: Books, slug: str, community_id: str, end: date, accounts: dict[str, Account]
) -> tuple[BankRow, ...]:
    """The reconciliation on ``end`` of each account with statement lines up to that day."""
    with Session(books.engine) as session:
        names = [
            name
            for (name,) in session.execute(
                select(col(BankLine.account))
                .where(col(BankLine.community_id) == community_id)
                .where(col(BankLine.date) <= end)
                .distinct()
                .order_by(col(BankLine.account))
            )
        ]
    out = []
    for name in names:
        found = bank.reconcile(books=books, slug=slug, account=name, day=end)
        info = accounts.get(name)
        out.append(
            BankRow(
                account=name,
                name_zh=info.name_zh if info else name,
                name_en=info.name_en if info else name,
                book_balance=found.book_balance,
                bank_balance=found.bank_balance,
                difference=found.difference,
            )
        )
    return tuple(out)
