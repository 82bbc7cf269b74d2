"""The annual budget the owners adopted: lines by account and month, quarter or year; actuals
against it; and the rule that holds spending to it.

Why: how common income is spent is for the owners' assembly (民法典 art. 278 (九)); a budget it
adopts lets the committee spend within it without a resolution each time, and auditors compare
budget with actual (沪房规范〔2025〕9号).

**Setting a budget** (:func:`set_budget`): the year, the passed resolution that adopted it, and
its lines (``{"account", "period", "amount"}``, ``period`` ``2026-03``, ``2026Q1`` or
``2026``). Refused whole, naming the field: an unknown or not passed resolution, an unknown
account or one that is neither income nor expense, a period outside the year, two lines for
one account that overlap, a negative amount (422); a closed year, or a change to a line of a
closed period (409). Setting the year again adds a new version; the latest is in force.

**The rule** (:class:`OverBudget`), only for a year with a budget and for spending dated from
the day its resolution took effect: a transaction that debits an expense account with no
budget line for its date, or takes the line's spending (the line's account and sub-accounts, in
its period, as posted so far) over the line by more than ``budget_tolerance`` (default 10%),
must cite a passed resolution in effect. Top-ups of the maintenance fund (5101-03) are exempt,
as from :mod:`rules.resolution_required`; reversals are never refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlmodel import Session, col

from ledger import chart, clock, events
from ledger.books import Books
from ledger.budgets import BudgetFact, in_force, parse_budget_period
from ledger.db import writer
from ledger.errors import Problem, StateConflict, ValidationFailed
from ledger.messages import Msg, cite, msg, text_of
from ledger.models import Account, BudgetLine, Entry, PeriodClose, Posting, Resolution, keyed
from ledger.money import fmt, from_fen, quantize, to_fen
from ledger.schemas import AccountName, Money
from ledger.txn import Txn
from rules.accounts import ZERO, percent, under, yuan
from rules.config import SOURCES, settings_of
from rules.engine import Context, RuleViolation
from rules.resolution_register import Number

NAME = "over-budget"
EXEMPT = (chart.USE_MAINTENANCE,)


class BudgetLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account: AccountName
    period: Annotated[str, Field(min_length=4, max_length=7, description="2026-03, 2026Q1, 2026")]
    amount: Money


class BudgetIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "year": 2026,
                "resolution": "2026-01",
                "lines": [
                    {
                        "account": "Expenses:5201-管理费用:01-业委会工作经费",
                        "period": "2026Q1",
                        "amount": "3000.00",
                    }
                ],
            }
        },
    )

    year: Annotated[int, Field(strict=True, ge=2000, le=2999)]
    resolution: Number
    lines: Annotated[list[BudgetLineIn], Field(min_length=1, max_length=2000)]


class BudgetOut(BaseModel):
    year: int
    version: int
    resolution: str
    lines: list[dict[str, str]]


class ActualOut(BaseModel):
    year: int
    lines: list[dict[str, str]]


def _problem(field: str, message: Msg, rule: str, **details: Any) -> Problem:
    return Problem(message, field=field, rule=rule, details=details)


def _closes(session: Session, community_id: str) -> list[PeriodClose]:
    return list(
        session.execute(
            select(PeriodClose).where(col(PeriodClose.community_id) == community_id)
        ).scalars()
    )


def _validate(
    body: BudgetIn, accounts: set[str], resolution: Resolution | None
) -> tuple[list[Problem], list[tuple[BudgetLineIn, Any]]]:
    problems: list[Problem] = []
    if resolution is None:
        problems.append(
            _problem(
                "resolution",
                msg("budget.resolution-register-budget-adopted", resolution=body.resolution),
                "budget-resolution",
            )
        )
    elif not resolution.passed:
        problems.append(
            _problem(
                "resolution",
                msg("budget.resolution-did-pass-budget", resolution=body.resolution),
                "budget-resolution",
            )
        )
    parsed: list[tuple[BudgetLineIn, Any]] = []
    for index, line in enumerate(body.lines):
        where = f"lines[{index}]"
        if line.account not in accounts:
            problems.append(
                _problem(
                    f"{where}.account",
                    msg("journal.unknown-account", account=line.account),
                    "known-account",
                    account=line.account,
                )
            )
        elif not line.account.startswith(("Expenses:", "Income:")):
            problems.append(
                _problem(
                    f"{where}.account",
                    msg("budget.budget-line-for-income", account=line.account),
                    "budget-account",
                )
            )
        if line.amount < 0:
            problems.append(
                _problem(
                    f"{where}.amount", msg("budget.budget-line-cannot-negative"), "budget-amount"
                )
            )
        try:
            period = parse_budget_period(line.period)
        except ValueError as exc:
            problems.append(_problem(f"{where}.period", text_of(exc), "budget-period"))
            continue
        if period.start.year != body.year:
            problems.append(
                _problem(
                    f"{where}.period",
                    msg("budget.message", period=line.period, year=body.year),
                    "budget-period",
                )
            )
            continue
        for other_index, (other, other_period) in enumerate(parsed):
            if (
                other.account == line.account
                and other_period.start <= period.end
                and period.start <= other_period.end
            ):
                problems.append(
                    _problem(
                        f"{where}.period",
                        msg(
                            "budget.overlaps-lines",
                            account=line.account,
                            period=line.period,
                            period_2=other.period,
                            other_index=other_index,
                        ),
                        "budget-overlap",
                    )
                )
        parsed.append((line, period))
    return problems, parsed


def set_budget(
    *, books: Books, slug: str, body: BudgetIn, actor: str, address: str | None = None
) -> BudgetOut:
    """Adopt ``body`` as the year's budget in force (see the module docstring)."""
    with writer(books.engine) as session:
        community = books.community(session, slug, for_update=True)
        accounts = {a.name for a in books.accounts(session, community.id)}
        resolution = session.execute(
            select(Resolution)
            .where(col(Resolution.community_id) == community.id)
            .where(col(Resolution.number) == body.resolution)
        ).scalar_one_or_none()
        problems, parsed = _validate(body, accounts, resolution)
        if problems:
            raise ValidationFailed(problems)
        closes = _closes(session, community.id)
        year_end = date(body.year, 12, 31)
        closed_year = next((c for c in closes if c.start <= year_end <= c.end), None)
        if closed_year is not None:
            raise StateConflict(
                [
                    _problem(
                        "year",
                        msg(
                            "budget.closed-budget-cannot-change",
                            year=body.year,
                            period=closed_year.period,
                        ),
                        "closed-period",
                        closed=closed_year.period,
                    )
                ]
            )
        previous = in_force(session, community.id).get(body.year, [])
        for close in closes:
            if close.end.year != body.year and close.start.year != body.year:
                continue
            before = sorted(
                (f.account, f.period, f.amount)
                for f in previous
                if f.start <= close.end and close.start <= f.end
            )
            after = sorted(
                (line.account, line.period, line.amount)
                for line, period in parsed
                if period.start <= close.end and close.start <= period.end
            )
            if before != after:
                raise StateConflict(
                    [
                        _problem(
                            "lines",
                            msg("budget.closed-budget-lines-covering", period=close.period),
                            "closed-period",
                            closed=close.period,
                        )
                    ]
                )
        version = (
            session.execute(
                select(func.max(col(BudgetLine.version)))
                .where(col(BudgetLine.community_id) == community.id)
                .where(col(BudgetLine.year) == body.year)
            ).scalar()
            or 0
        ) + 1
        now = clock.now()
        for line, period in parsed:
            session.add(
                BudgetLine(
                    community_id=community.id,
                    year=body.year,
                    version=version,
                    resolution=body.resolution,
                    account=line.account,
                    period=period.label,
                    start=period.start,
                    end=period.end,
                    amount_fen=to_fen(line.amount),
                    set_by=actor,
                    set_at=now,
                )
            )
        community.rev += 1  # the budget rule reads the lines
        session.add(community)
        out = BudgetOut(
            year=body.year,
            version=version,
            resolution=body.resolution,
            lines=[
                {"account": line.account, "period": period.label, "amount": fmt(line.amount)}
                for line, period in parsed
            ],
        )
        events.record(
            session,
            community_id=community.id,
            actor=actor,
            action="budget",
            object_type="budget",
            object_id=str(body.year),
            address=address,
            details=out.model_dump(mode="json"),
        )
        session.flush()
    books.rebuild_projection(slug)  # the header carries the budget
    return out


# --- budget against actual --------------------------------------------------------------------


def _actual(rows: Sequence[tuple[str, date, int]], account: str, start: date, end: date) -> Decimal:
    total = sum(
        (from_fen(fen) for name, day, fen in rows if under(name, account) and start <= day <= end),
        ZERO,
    )
    return -total if account.startswith("Income:") else total


def actuals(*, books: Books, slug: str, year: int) -> ActualOut:
    """Budget, actual and variance (actual - budget) per line in force, then a line per expense
    account spent on in the year without any budget line (period: the year, budget 0.00).
    Actual: the net posted to the account and its sub-accounts in the period (income as
    credits), without the year's closing entry."""
    with Session(books.engine) as session:
        community = books.community(session, slug)
        found = actual_lines(session, community.id, year)
    return ActualOut(
        year=year, lines=[_line(a.account, a.period, a.budget, a.actual) for a in found]
    )


@dataclass(frozen=True)
class Actual:
    """A line of budget against actual: ``start``..``until`` is what the actual counts."""

    account: str
    period: str
    start: date
    until: date
    budget: Decimal
    actual: Decimal


def actual_lines(
    session: Session, community_id: str, year: int, until: date | None = None
) -> list[Actual]:
    """:func:`actuals`' lines read in ``session``; with ``until``, as at that day (the audit
    package of a period): the lines whose period has begun by then, each actual counted up to
    it."""
    last = min(until or date(year, 12, 31), date(year, 12, 31))
    lines = [f for f in in_force(session, community_id).get(year, []) if f.start <= last]
    rows = [
        (name, day, int(fen))
        for name, day, fen in session.execute(
            select(col(Account.name), col(Entry.date), col(Posting.amount_fen))
            .join(Posting, keyed(Posting, "account_id", Account))
            .join(Entry, keyed(Posting, "entry_id", Entry))
            .where(col(Entry.community_id) == community_id)
            .where(col(Entry.status) == "posted")
            .where(col(Entry.kind) != "closing")
            .where(col(Entry.date) >= date(year, 1, 1))
            .where(col(Entry.date) <= last)
        )
    ]
    out = []
    for fact in lines:
        end = min(fact.end, last)
        actual = _actual(rows, fact.account, fact.start, end)
        out.append(Actual(fact.account, fact.period, fact.start, end, fact.amount, actual))
    covered = {f.account for f in lines}
    spent = sorted(
        {
            name
            for name, _day, _fen in rows
            if name.startswith("Expenses:") and not any(under(name, a) for a in covered)
        }
    )
    for name in spent:
        actual = _actual(rows, name, date(year, 1, 1), last)
        if actual:
            out.append(Actual(name, str(year), date(year, 1, 1), last, ZERO, actual))
    return out


def _line(account: str, period: str, budget: Decimal, actual: Decimal) -> dict[str, str]:
    return {
        "account": account,
        "period": period,
        "budget": fmt(budget),
        "actual": fmt(actual),
        "variance": fmt(actual - budget),
    }


# --- the rule -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Need:
    account: str
    why: Msg
    details: dict[str, str]


class OverBudget:
    name = NAME

    def __init__(self, context: Context) -> None:
        self.context = context
        #: (account, year, month) -> net debit so far.
        self.spent: dict[tuple[str, int, int], Decimal] = {}

    def _line_for(self, lines: list[BudgetFact], account: str, day: date) -> BudgetFact | None:
        found = [f for f in lines if under(account, f.account) and f.covers(day)]
        return max(found, key=lambda f: len(f.account)) if found else None

    def _spent(self, line: BudgetFact) -> Decimal:
        total = ZERO
        for (account, year, month), amount in self.spent.items():
            if under(account, line.account) and line.start <= date(year, month, 1) <= line.end:
                total += amount
        return total

    def check(self, txn: Txn) -> list[RuleViolation]:
        if txn.kind == "reversal":
            return []
        lines = self.context.budgets.get(txn.date.year)
        if not lines:
            return []
        adopted = self.context.resolutions.get(lines[0].resolution)
        if adopted is not None and txn.date < adopted.effective_from:
            return []
        debits: dict[str, Decimal] = {}
        for leg in txn.legs:
            if leg.account.startswith("Expenses:") and not any(
                under(leg.account, e) for e in EXEMPT
            ):
                debits[leg.account] = debits.get(leg.account, ZERO) + leg.amount
        settings = settings_of(self.context.config, txn.date)
        tolerance = settings.budget_tolerance
        needs: list[_Need] = []
        for account, amount in debits.items():
            if amount <= 0:
                continue
            line = self._line_for(lines, account, txn.date)
            if line is None:
                needs.append(
                    _Need(
                        account,
                        msg(
                            "budget.no-line",
                            account=account,
                            year=txn.date.year,
                            date=txn.date,
                        ),
                        {"account": account, "amount": f"{amount:.2f}"},
                    )
                )
                continue
            same = sum(
                (a for acc, a in debits.items() if under(acc, line.account) and acc != account),
                ZERO,
            )
            actual = self._spent(line) + amount + max(same, ZERO)
            limit = quantize(line.amount * (1 + tolerance))
            if actual > limit:
                needs.append(
                    _Need(
                        account,
                        msg(
                            "budget.over-line",
                            account=line.account,
                            period=line.period,
                            actual=yuan(actual),
                            budget=yuan(line.amount),
                            tolerance=percent(tolerance),
                            limit=yuan(limit),
                            excess=yuan(actual - limit),
                        ),
                        {
                            "account": line.account,
                            "period": line.period,
                            "budget": f"{line.amount:.2f}",
                            "limit": f"{limit:.2f}",
                            "actual": f"{actual:.2f}",
                            "excess": f"{actual - limit:.2f}",
                        },
                    )
                )
        if not needs:
            return []
        cited = self.context.resolutions.get(txn.resolution) if txn.resolution else None
        if cited is not None and cited.passed and cited.in_effect(txn.date):
            return []
        why = (
            msg("budget.cites-not-in-effect", resolution=txn.resolution, date=txn.date)
            if txn.resolution
            else msg("budget.cites-none")
        )
        source = SOURCES["budget_tolerance"]
        return [
            RuleViolation(
                NAME,
                msg(
                    "budget.over-budget-spending-beyond",
                    why=need.why,
                    why_2=why,
                    source=cite(source),
                ),
                details={"field": "resolution", **need.details},
                source={"rule": source},
            )
            for need in needs
        ]

    def apply(self, txn: Txn) -> None:
        for leg in txn.legs:
            if leg.account.startswith("Expenses:"):
                key = (leg.account, txn.date.year, txn.date.month)
                self.spent[key] = self.spent.get(key, ZERO) + leg.amount
