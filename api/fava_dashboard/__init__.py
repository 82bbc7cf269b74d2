"""The supervisory committee's dashboard: a Fava extension (``/fava/<slug>/extension/
CommitteeDashboard/``) showing, on one server-rendered page, what a committee of non-accountants
asks about the common income: where it came from each month, what each resolution has spent of
its budget, what the funds hold, who is behind with rent, and the budget against the actuals.

Why ours and not fava-dashboards: that one evaluates its configuration with ``new Function``,
which the Content-Security-Policy forbids. This page is tables and SVG bars (widths are SVG
attributes, not styles), no script at all. It reads Fava's loaded ledger (the projection: the
entries with their ``kind``, ``resolution`` and ``contract`` metadata, the ``open`` directives
with the chart's Chinese names, the ``custom "resolution"`` and ``custom "budget"``
directives), so what it shows is what Fava shows.

Enabled by the projection's header: ``custom "fava-extension" "api.fava_dashboard"``
(``api.books.FAVA_EXTENSIONS``; Fava imports the module and takes every ``FavaExtensionBase``
subclass in it, so this module defines exactly one).

The figures (all ``Decimal``, yuan; income, liabilities and net assets positive):

- **income by source and month** (of one year): the credits to each income account, less its
  debits, by month; a year's closing entry (``kind: "closing"``) is left out;
- **resolutions**: each one's budget and what the entries citing it spent: what they charged
  to expenses, else the money they paid out (as the audit's statement notes count it);
- **funds**: unrestricted net assets (3101) and restricted ones (3102), each with the year's
  result not yet closed into it (income less expenses of its own accounts, restricted ones
  for 3102), and the maintenance fund's payable (2209-03);
- **arrears**: the receivables (1121, 1122) by the contract the entries cite;
- **budget against actual** (of one year): each line of the budget in force (``custom
  "budget"``) and the postings to its account and sub-accounts in its period; then each
  expense account spent on in the year without a line (budget 0.00), as
  :func:`rules.budget.actuals` lists them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from beancount.core import data
from fava.ext import FavaExtensionBase

from ledger import chart, clock
from ledger.budgets import budgets_from_entries
from ledger.facts import facts_from_entries

ZERO = Decimal("0.00")
#: Accounts whose balance is the money owed to the community, shown by contract.
RECEIVABLES = (chart.RECEIVABLE, chart.OTHER_RECEIVABLE)
#: The funds by the code of their account (its sub-accounts too): ``Equity:3101-...``.
UNRESTRICTED = "3101"
RESTRICTED = "3102"
NO_CONTRACT = "（未注明合同）"


@dataclass(frozen=True)
class Bar:
    """A row of a table with a bar: ``width`` is its share of the table's largest, 0-100."""

    label: str
    amount: Decimal
    width: Decimal


@dataclass(frozen=True)
class IncomeRow:
    account: str
    label: str
    by_month: tuple[Decimal, ...]
    total: Decimal
    width: Decimal


@dataclass(frozen=True)
class Income:
    year: int
    months: tuple[str, ...]
    rows: tuple[IncomeRow, ...]
    month_totals: tuple[Bar, ...]
    total: Decimal


@dataclass(frozen=True)
class ResolutionSpend:
    number: str
    title: str
    passed: bool
    budget: Decimal
    spent: Decimal
    left: Decimal
    #: spent as a share of the budget, 0-100 (the bar; ``over`` says when it went past).
    width: Decimal
    over: bool


@dataclass(frozen=True)
class Fund:
    label: str
    closed: Decimal  # as closed into the fund (opening balances, year-end closings)
    open_result: Decimal  # income less expenses not yet closed into it
    total: Decimal
    width: Decimal


@dataclass(frozen=True)
class Arrear:
    contract: str
    payee: str
    owed: Decimal
    width: Decimal


@dataclass(frozen=True)
class BudgetRow:
    account: str
    label: str
    period: str
    resolution: str
    budget: Decimal
    actual: Decimal
    difference: Decimal  # actual - budget
    width: Decimal  # actual as a share of the budget, 0-100
    over: bool  # spending past its line (income past its line is not a worry)


@dataclass(frozen=True)
class Dashboard:
    year: int
    years: tuple[int, ...]
    income: Income
    resolutions: tuple[ResolutionSpend, ...]
    funds: tuple[Fund, ...]
    arrears: tuple[Arrear, ...]
    budget: tuple[BudgetRow, ...]
    #: Directives that could not be read (a malformed resolution or budget): shown, not hidden.
    problems: tuple[str, ...]


def _share(part: Decimal, whole: Decimal) -> Decimal:
    if whole <= 0 or part <= 0:
        return Decimal(0)
    return min(Decimal(100), (part * 100 / whole).quantize(Decimal("0.1")))


def _under(account: str, parent: str) -> bool:
    return account == parent or account.startswith(parent + ":")


def _in_fund(account: str, code: str) -> bool:
    """Whether ``account`` is the equity account of code ``code`` or one of its subs."""
    return account.startswith(f"Equity:{code}-")


def _txns(entries: Iterable[Any]) -> list[Any]:
    """The transactions, without a year's closing entry (it only moves the year's result
    into net assets)."""
    return [
        e
        for e in entries
        if hasattr(e, "postings") and (e.meta or {}).get("kind") != "closing" and e.postings
    ]


def _amount(posting: Any) -> Decimal:
    units = posting.units
    number = getattr(units, "number", None)
    return number if isinstance(number, Decimal) else ZERO


class Chart:
    """The accounts as the projection opens them: names in Chinese, restricted or not."""

    def __init__(self, entries: Iterable[Any]) -> None:
        self.names: dict[str, str] = {}
        self.restricted: set[str] = set()
        for entry in entries:
            if not isinstance(entry, data.Open):
                continue
            meta = entry.meta or {}
            self.names[entry.account] = str(meta.get("name-zh") or entry.account)
            if meta.get("restricted") == "true":
                self.restricted.add(entry.account)

    def label(self, account: str) -> str:
        return self.names.get(account, account)


def income_by_month(txns: Sequence[Any], names: Chart, year: int) -> Income:
    months = tuple(f"{year}-{month:02d}" for month in range(1, 13))
    cells: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO] * 12)
    for txn in txns:
        if txn.date.year != year:
            continue
        for posting in txn.postings:
            if posting.account.startswith("Income:"):
                cells[posting.account][txn.date.month - 1] -= _amount(posting)
    totals = {account: sum(row, ZERO) for account, row in cells.items()}
    largest = max(totals.values(), default=ZERO)
    rows = tuple(
        IncomeRow(
            account,
            names.label(account),
            tuple(cells[account]),
            totals[account],
            _share(totals[account], largest),
        )
        for account in sorted(cells)
    )
    by_month = [sum((row.by_month[i] for row in rows), ZERO) for i in range(12)]
    top = max(by_month, default=ZERO)
    return Income(
        year,
        months,
        rows,
        tuple(
            Bar(m, amount, _share(amount, top)) for m, amount in zip(months, by_month, strict=True)
        ),
        sum(by_month, ZERO),
    )


def carried_spending(entries: Iterable[Any]) -> dict[str, Decimal]:
    """What each resolution spent in the closed years before this book, from the carry its
    projection starts with (``custom "carry" "rules"``: the resolution rule's running totals,
    ``ledger.projection``); nothing for a book holding the whole history."""
    spent: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for entry in entries:
        values = [getattr(v, "value", v) for v in getattr(entry, "values", None) or ()]
        if getattr(entry, "type", None) != "carry" or values[:1] != ["rules"] or len(values) < 2:
            continue
        state = json.loads(str(values[1])).get("resolution-required", {})
        for number, amount in state.get("spent", {}).get("m", []):
            spent[str(number)] += Decimal(amount["d"])
    return spent


def resolution_spending(txns: Sequence[Any], entries: Sequence[Any]) -> list[ResolutionSpend]:
    resolutions, _closes = facts_from_entries(entries)
    spent: dict[str, Decimal] = carried_spending(entries)
    for txn in txns:
        number = (txn.meta or {}).get("resolution")
        if not number:
            continue
        charged = sum((_amount(p) for p in txn.postings if p.account.startswith("Expenses:")), ZERO)
        paid = -sum((_amount(p) for p in txn.postings if p.account in chart.CASH_ACCOUNTS), ZERO)
        spent[str(number)] += charged or paid
    out = []
    for number in sorted(resolutions):
        fact = resolutions[number]
        used = spent.get(number, ZERO)
        out.append(
            ResolutionSpend(
                number=number,
                title=fact.title,
                passed=fact.passed,
                budget=fact.budget,
                spent=used,
                left=fact.budget - used,
                width=_share(used, fact.budget),
                over=used > fact.budget,
            )
        )
    return out


def funds(txns: Sequence[Any], names: Chart) -> list[Fund]:
    """From every transaction, closing entries included (they move the result into 3101)."""
    closed = {UNRESTRICTED: ZERO, RESTRICTED: ZERO}
    result = {UNRESTRICTED: ZERO, RESTRICTED: ZERO}
    payable = ZERO
    for txn in txns:
        for posting in txn.postings:
            account, amount = posting.account, _amount(posting)
            for fund in closed:
                if _in_fund(account, fund):
                    closed[fund] -= amount
            if account.startswith(("Income:", "Expenses:")):
                fund = RESTRICTED if account in names.restricted else UNRESTRICTED
                result[fund] -= amount
            if _under(account, chart.MAINTENANCE_PAYABLE):
                payable -= amount
    rows = [
        (names.label(chart.UNRESTRICTED), closed[UNRESTRICTED], result[UNRESTRICTED]),
        (names.label(chart.RESTRICTED), closed[RESTRICTED], result[RESTRICTED]),
        (names.label(chart.MAINTENANCE_PAYABLE), payable, ZERO),
    ]
    largest = max((c + r for _, c, r in rows), default=ZERO)
    return [Fund(label, c, r, c + r, _share(c + r, largest)) for label, c, r in rows]


def arrears(txns: Sequence[Any]) -> list[Arrear]:
    owed: dict[str, Decimal] = defaultdict(lambda: ZERO)
    payees: dict[str, str] = {}
    for txn in txns:
        contract = str((txn.meta or {}).get("contract") or NO_CONTRACT)
        for posting in txn.postings:
            if any(_under(posting.account, r) for r in RECEIVABLES):
                owed[contract] += _amount(posting)
                if txn.payee:
                    payees[contract] = txn.payee
    behind = {c: amount for c, amount in owed.items() if amount > 0}
    largest = max(behind.values(), default=ZERO)
    return [
        Arrear(c, payees.get(c, ""), amount, _share(amount, largest))
        for c, amount in sorted(behind.items(), key=lambda item: (-item[1], item[0]))
    ]


def budget_against_actual(
    txns: Sequence[Any], entries: Sequence[Any], names: Chart, year: int
) -> list[BudgetRow]:
    rows = []
    for fact in sorted(
        budgets_from_entries(entries).get(year, []), key=lambda f: (f.account, f.start)
    ):
        posted = sum(
            (
                _amount(p)
                for txn in txns
                if fact.start <= txn.date <= fact.end
                for p in txn.postings
                if _under(p.account, fact.account)
            ),
            ZERO,
        )
        income = fact.account.startswith("Income:")
        actual = -posted if income else posted
        rows.append(
            BudgetRow(
                account=fact.account,
                label=names.label(fact.account),
                period=fact.period,
                resolution=fact.resolution,
                budget=fact.amount,
                actual=actual,
                difference=actual - fact.amount,
                width=_share(actual, fact.amount),
                over=not income and actual > fact.amount,
            )
        )
    covered = [row.account for row in rows]
    unbudgeted: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for txn in txns:
        if txn.date.year != year:
            continue
        for posting in txn.postings:
            name = posting.account
            if name.startswith("Expenses:") and not any(_under(name, a) for a in covered):
                unbudgeted[name] += _amount(posting)
    rows += [
        BudgetRow(name, names.label(name), str(year), "", ZERO, spent, spent, Decimal(100), True)
        for name, spent in sorted(unbudgeted.items())
        if spent
    ]
    return rows


def dashboard(entries: Sequence[Any], year: int | None = None) -> Dashboard:
    """The figures of the page, from the ledger's entries (all of them, as loaded); ``year``
    for the income and the budget (default: the latest year with a transaction)."""
    every = [e for e in entries if hasattr(e, "postings") and e.postings]
    txns = _txns(entries)
    # the opening balances are dated the day before the books start: not a year of their own
    years = tuple(
        sorted({t.date.year for t in txns if (t.meta or {}).get("kind") != "opening"})
    ) or (clock.today().year,)
    chosen = year if year is not None and year in years else years[-1]
    names = Chart(entries)
    problems: list[str] = []
    try:
        spending = resolution_spending(txns, entries)
    except ValueError as exc:
        spending, problems = [], [*problems, str(exc)]
    try:
        budget = budget_against_actual(txns, entries, names, chosen)
    except ValueError as exc:
        budget, problems = [], [*problems, str(exc)]
    return Dashboard(
        year=chosen,
        years=years,
        income=income_by_month(txns, names, chosen),
        resolutions=tuple(spending),
        funds=tuple(funds(every, names)),
        arrears=tuple(arrears(every)),
        budget=tuple(budget),
        problems=tuple(problems),
    )


class CommitteeDashboard(FavaExtensionBase):  # type: ignore[misc]  # Fava is not type-checked
    """The page in Fava's sidebar (its template: ``templates/CommitteeDashboard.html``)."""

    report_title = "监委会看板"

    def figures(self) -> Dashboard:
        from flask import request

        asked = request.args.get("year", "")
        year = int(asked) if asked.isdigit() and len(asked) == 4 else None
        return dashboard(self.ledger.all_entries, year)
