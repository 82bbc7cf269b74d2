"""The budget the owners adopted, as the rules and Fava see it.

Rows are ``BudgetLine`` (``ledger.models``): each year's lines in versions, the latest in force.
The projection carries the lines in force as Fava's budget directives, dated the start of their
period (Fava's syntax: ``2026-01-01 custom "budget" Expenses:... "quarterly" 3000.00 CNY``), so
Fava's budget columns work, with the line's period and resolution as metadata so the beancount
plugin reads the very same facts back (:func:`budgets_from_entries`). A Fava budget runs until
the next directive for its account, so a line whose next period has none is followed by a
directive of 0.00 there (without ``period`` metadata: not a line). An income budget is written
negated, as Fava compares it with the income account's (credit) balance.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from ledger.messages import Invalid, msg
from ledger.models import BudgetLine
from ledger.money import CURRENCY, fmt, from_fen
from ledger.render import quote

BUDGET = "budget"
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
#: Fava's interval for each kind of period.
INTERVALS = {"month": "monthly", "quarter": "quarterly", "year": "yearly"}


@dataclass(frozen=True)
class BudgetPeriod:
    label: str
    kind: str  # month, quarter or year
    start: date
    end: date

    def next(self) -> BudgetPeriod:
        day = self.end + timedelta(days=1)
        if self.kind == "month":
            return parse_budget_period(f"{day.year}-{day.month:02d}")
        if self.kind == "quarter":
            return parse_budget_period(f"{day.year}Q{(day.month - 1) // 3 + 1}")
        return parse_budget_period(str(day.year))


def parse_budget_period(text: str) -> BudgetPeriod:
    """``2026-03`` (a month), ``2026Q1`` (a quarter) or ``2026`` (the year); ValueError else."""
    if (m := _MONTH.match(text)) is not None:
        year, month = int(m.group(1)), int(m.group(2))
        last = calendar.monthrange(year, month)[1]
        return BudgetPeriod(text, "month", date(year, month, 1), date(year, month, last))
    if (m := _QUARTER.match(text)) is not None:
        year, quarter = int(m.group(1)), int(m.group(2))
        first = 3 * (quarter - 1) + 1
        last = calendar.monthrange(year, first + 2)[1]
        return BudgetPeriod(text, "quarter", date(year, first, 1), date(year, first + 2, last))
    if (m := _YEAR.match(text)) is not None:
        year = int(m.group(1))
        return BudgetPeriod(text, "year", date(year, 1, 1), date(year, 12, 31))
    raise Invalid(msg("budgets.month-quarter-q-year", text=text))


@dataclass(frozen=True)
class BudgetFact:
    """One budget line in force: the account, its period and amount, and the resolution that
    adopted it."""

    year: int
    resolution: str
    account: str
    period: str
    start: date
    end: date
    amount: Decimal

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


def budget_fact(row: BudgetLine) -> BudgetFact:
    return BudgetFact(
        year=row.year,
        resolution=row.resolution,
        account=row.account,
        period=row.period,
        start=row.start,
        end=row.end,
        amount=from_fen(row.amount_fen),
    )


def in_force(session: Session, community_id: str) -> dict[int, list[BudgetFact]]:
    """Each year's lines of its latest version, by year."""
    latest = (
        select(col(BudgetLine.year), func.max(col(BudgetLine.version)).label("version"))
        .where(col(BudgetLine.community_id) == community_id)
        .group_by(col(BudgetLine.year))
        .subquery()
    )
    rows = session.execute(
        select(BudgetLine)
        .join(
            latest,
            (col(BudgetLine.year) == latest.c.year) & (col(BudgetLine.version) == latest.c.version),
        )
        .where(col(BudgetLine.community_id) == community_id)
        .order_by(col(BudgetLine.year), col(BudgetLine.account), col(BudgetLine.start))
    ).scalars()
    out: dict[int, list[BudgetFact]] = {}
    for row in rows:
        out.setdefault(row.year, []).append(budget_fact(row))
    return out


def _directive(
    day: date, account: str, interval: str, amount: Decimal, meta: dict[str, str]
) -> str:
    head = f"{day.isoformat()} custom {quote(BUDGET)} {account} {quote(interval)}"
    lines = [f"{head} {fmt(amount)} {CURRENCY}"]
    lines += [f"  {key}: {quote(value)}" for key, value in meta.items()]
    return "\n".join(lines) + "\n"


def _signed(account: str, amount: Decimal) -> Decimal:
    return -amount if account.startswith("Income:") else amount


def render_budgets(budgets: dict[int, list[BudgetFact]]) -> tuple[str, ...]:
    """The lines in force as Fava budget directives, each followed by a 0.00 directive at the
    next period when that has no line for the account (see the module docstring)."""
    facts = sorted(
        (f for lines in budgets.values() for f in lines), key=lambda f: (f.account, f.start)
    )
    starts = {(f.account, f.start) for f in facts}
    out: list[str] = []
    for fact in facts:
        period = parse_budget_period(fact.period)
        interval = INTERVALS[period.kind]
        meta = {"period": fact.period, "resolution": fact.resolution}
        out.append(
            _directive(fact.start, fact.account, interval, _signed(fact.account, fact.amount), meta)
        )
        following = period.next()
        if (fact.account, following.start) not in starts:
            out.append(_directive(following.start, fact.account, interval, Decimal("0.00"), {}))
    return tuple(out)


def budgets_from_entries(entries: Iterable[Any]) -> dict[int, list[BudgetFact]]:
    """The budget lines among parsed beancount entries (``custom "budget"`` with a ``period``;
    the 0.00 directives closing a line are not lines). ValueError on a malformed one."""
    out: dict[int, list[BudgetFact]] = {}
    for entry in entries:
        if getattr(entry, "type", None) != BUDGET or not hasattr(entry, "values"):
            continue
        meta = entry.meta or {}
        if "period" not in meta:
            continue
        try:
            account = str(entry.values[0].value)
            amount = entry.values[2].value
            number = Decimal(getattr(amount, "number", amount))
            period = parse_budget_period(str(meta["period"]))
            fact = BudgetFact(
                year=period.start.year,
                resolution=str(meta["resolution"]),
                account=account,
                period=period.label,
                start=period.start,
                end=period.end,
                amount=_signed(account, number),
            )
        except (KeyError, IndexError, ValueError, TypeError, ArithmeticError) as exc:
            where = f"{meta.get('filename', '?')}:{meta.get('lineno', '?')}"
            raise Invalid(
                msg("budgets.custom-budget-directive-malformed", where=where, exc=exc)
            ) from None
        out.setdefault(fact.year, []).append(fact)
    return out
