"""The public disclosure statement (公示) of a closed period, computed from the books.

Nothing on a statement is typed: every figure is a sum of posted entries. The statement reads
the journal **up to the chain head recorded when the period closed** (``PeriodClose.head_seq``),
so it is the same statement tomorrow and in ten years, whatever is posted later, and its figures
are the ones an auditor re-computes from the audit package that carries that chain head.

What the statement shows (docs/domain.md, "What a public notice (公示) contains"):

- opening and closing balances of cash (cash, bank, other monetary funds) and of the two funds:
  *unrestricted* net assets (``-(Equity not restricted + Income + Expenses)``) and *restricted*
  money (the accounts the chart flags ``restricted``: restricted net assets and the amount
  payable to the special maintenance fund), beancount-signed balances turned positive;
- income by type, the deductible costs (manager's share, direct costs), net income, uses by
  type, and any other movement of the funds (opening balances booked, transfers between funds),
  so that ``closing = opening + net income - uses + other movements`` holds to the fen;
- the resolutions under which money was spent in the period (charged to expenses, or paid out
  of money set aside), with budget, spent in
  the period and spent so far, and the vote result;
- the rule checks of the period with their figures; the per-unit dividend and subsidy schedules
  (unit code, area, amount; never an owner); the last four quarters for the chart;
- from the registers beside the journal (:mod:`audit.disclosure_registers`): each contract's
  income in the period and arrears at its end, the budget against actual, and the bank
  reconciliation at the period's end.

Open periods have no statement: :class:`~ledger.errors.NotFound`, so the public never tells an
open period from a period that does not exist.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from audit.disclosure_checks import period_checks
from audit.disclosure_model import (
    SCHEDULE_KINDS,
    ZERO,
    BankRow,
    BudgetRow,
    Check,
    ClosedPeriod,
    ContractLine,
    Funds,
    Line,
    QuarterFigures,
    ResolutionLine,
    Schedule,
    ScheduleLine,
    Statement,
    UnitReceipt,
    UnitReceipts,
)
from audit.disclosure_registers import bank_rows, budget_rows, contract_lines
from audit.disclosure_statutory import statutory_tables
from audit.disclosure_units import unit_receipts
from ledger import chart
from ledger.books import Books
from ledger.clock import CST
from ledger.errors import NotFound, Problem, StateConflict
from ledger.messages import msg
from ledger.models import (
    Account,
    AllocationLine,
    Community,
    PeriodClose,
    Resolution,
    Unit,
    keyed,
)
from ledger.money import from_fen
from ledger.txn import Txn
from rules import civil_defence, committee, manager_share, reserve
from rules.ruleset import of

__all__ = [
    "BankRow",
    "BudgetRow",
    "Check",
    "ClosedPeriod",
    "ContractLine",
    "Funds",
    "Line",
    "QuarterFigures",
    "ResolutionLine",
    "Schedule",
    "ScheduleLine",
    "Statement",
    "UnitReceipt",
    "UnitReceipts",
    "closed_periods",
    "community_name",
    "find_close",
    "last_quarters",
    "quarter_of",
    "statement",
    "unit_receipts",
]

# (key, account) in the order the statement lists them; sub-accounts roll up into these.
INCOME_LINES = (
    ("parking", chart.INCOME_PARKING),
    ("pilotis", chart.INCOME_PILOTIS),
    ("rooms", chart.INCOME_ROOMS),
    ("ads", chart.INCOME_ADS),
    ("interest", chart.INCOME_INTEREST),
    ("other_income", chart.INCOME_OTHER),
)
COST_LINES = (
    ("manager_share", chart.COST_MANAGER_SHARE),
    ("direct_costs", chart.COST_DIRECT),
)
USE_LINES = (
    ("maintenance", chart.USE_MAINTENANCE),
    ("subsidy", chart.USE_SUBSIDY),
    ("upgrades", chart.USE_UPGRADE),
    ("committee", chart.USE_COMMITTEE),
    ("audit", chart.USE_AUDIT),
    ("dividends", chart.USE_DIVIDEND),
)


# --- periods -------------------------------------------------------------------------------


def closed_periods(*, books: Books, slug: str) -> list[ClosedPeriod]:
    """The community's closed periods, latest first."""
    with Session(books.engine) as session:
        community = books.community(session, slug)
        rows = session.execute(
            select(PeriodClose)
            .where(PeriodClose.community_id == community.id)  # type: ignore[arg-type]
            .order_by(col(PeriodClose.end).desc(), col(PeriodClose.start))
        ).scalars()
        return [
            ClosedPeriod(r.period, r.start, r.end, _closed_at(r), r.head_seq, r.head_hash)
            for r in rows
        ]


def community_name(*, books: Books, slug: str) -> str:
    with Session(books.engine) as session:
        return books.community(session, slug).name


def _closed_at(close: PeriodClose) -> str:
    moment = close.closed_at
    if moment.tzinfo is None:  # SQLite returns naive datetimes; they were stored as UTC
        from datetime import UTC

        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CST).isoformat(timespec="seconds")


def find_close(session: Session, community: Community, period: str) -> PeriodClose:
    """The close of ``period``; NotFound (the same answer as for no such period) when it is not
    closed."""
    close = (
        session.execute(
            select(PeriodClose)
            .where(PeriodClose.community_id == community.id)  # type: ignore[arg-type]
            .where(PeriodClose.period == period)  # type: ignore[arg-type]
        )
        .scalars()
        .first()
    )
    if close is None and re.fullmatch(r"\d{4}", period):
        close = _year_close(session, community, period)
    if close is None:
        raise NotFound(
            [
                Problem(
                    msg(
                        "disclosure.no-closed-period-statements", period=period, slug=community.slug
                    ),
                    rule="closed-periods-only",
                    details={"period": period},
                )
            ]
        )
    assert isinstance(close, PeriodClose)
    return close


def _year_close(session: Session, community: Community, year: str) -> PeriodClose | None:
    """A year closed quarter by quarter has no row of its own: it is closed when its last
    quarter is, with that close's chain head (a close of the year as a whole, kept as such)."""
    last = (
        session.execute(
            select(PeriodClose)
            .where(PeriodClose.community_id == community.id)  # type: ignore[arg-type]
            .where(PeriodClose.period == f"{year}Q4")  # type: ignore[arg-type]
        )
        .scalars()
        .first()
    )
    if last is None:
        return None
    return PeriodClose(
        community_id=community.id,
        period=year,
        start=date(int(year), 1, 1),
        end=date(int(year), 12, 31),
        closed_at=last.closed_at,
        closed_by=last.closed_by,
        head_seq=last.head_seq,
        head_hash=last.head_hash,
    )


def quarter_of(day: date) -> tuple[str, date, date]:
    """The calendar quarter holding ``day``: its name (``2025Q3``), first and last day."""
    q = (day.month - 1) // 3
    start = date(day.year, q * 3 + 1, 1)
    nxt = date(day.year + 1, 1, 1) if q == 3 else date(day.year, q * 3 + 4, 1)
    return f"{day.year}Q{q + 1}", start, nxt - timedelta(days=1)


def last_quarters(end: date, count: int = 4) -> list[tuple[str, date, date]]:
    """``count`` calendar quarters ending with the one that holds ``end``, oldest first."""
    out = [quarter_of(end)]
    while len(out) < count:
        out.append(quarter_of(out[-1][1] - timedelta(days=1)))
    return out[::-1]


# --- sums ----------------------------------------------------------------------------------


def _under(account: str, prefix: str) -> bool:
    return account == prefix or account.startswith(prefix + ":")


class _Sums:
    """Per-account sums of a list of transactions over a date range."""

    def __init__(self, txns: Iterable[Txn], start: date | None, end: date) -> None:
        self.by_account: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for txn in txns:
            if (start is None or txn.date >= start) and txn.date <= end:
                for leg in txn.legs:
                    self.by_account[leg.account] += leg.amount

    def total(self, predicate: Any) -> Decimal:
        return sum((v for k, v in self.by_account.items() if predicate(k)), ZERO)

    def under(self, prefix: str) -> Decimal:
        return self.total(lambda a: _under(a, prefix))


def _lines(
    sums: _Sums,
    listed: Sequence[tuple[str, str]],
    root: str | None,
    accounts: dict[str, Account],
    sign: int,
    exclude: Sequence[str] = (),
) -> tuple[list[Line], Decimal]:
    """The listed lines (always shown), then any other account under ``root`` with a non-zero
    amount (e.g. bank charges), each as its own line; and their total."""
    lines: list[Line] = []
    for key, account in listed:
        info = accounts.get(account)
        lines.append(
            Line(
                key,
                (account,),
                _short_zh(info.name_zh) if info else account,
                info.name_en if info else account,
                sign * sums.under(account) + ZERO,  # + ZERO: no "-0.00"
            )
        )
    covered = [a for _, a in listed] + list(exclude)
    for name in sorted(sums.by_account):
        if root is None or not _under(name, root) or any(_under(name, c) for c in covered):
            continue
        amount = sign * sums.by_account[name] + ZERO
        if amount == 0:
            continue
        info = accounts.get(name)
        key = info.code if info else name
        lines.append(
            Line(
                key,
                (name,),
                _short_zh(info.name_zh) if info else name,
                info.name_en if info else name,
                amount,
            )
        )
    return lines, sum((line.amount for line in lines), ZERO)


def _short_zh(name: str) -> str:
    """``共有收益-停车费`` → ``停车费``: the statement's rows name the type, not the ledger."""
    return name.rsplit("-", 1)[-1]


def _funds(sums: _Sums, restricted: set[str]) -> Funds:
    cash = sum((sums.under(a) for a in chart.CASH_ACCOUNTS), ZERO)
    restricted_total = -sums.total(lambda a: a in restricted and not a.startswith("Assets:"))
    unrestricted = -sums.total(
        lambda a: (
            a.startswith(("Income:", "Expenses:"))
            or (a.startswith("Equity:") and a not in restricted)
        )
    )
    return Funds(cash, unrestricted, restricted_total)


def _spent(txn: Txn) -> Decimal:
    """What an entry spends under its resolution: what it charges to expenses, or, when it
    charges none (paying over money already set aside), the cash that leaves."""
    expenses = sum((leg.amount for leg in txn.legs if leg.account.startswith("Expenses:")), ZERO)
    if expenses:
        return expenses
    return -sum((leg.amount for leg in txn.legs if leg.account in chart.CASH_ACCOUNTS), ZERO)


# --- the statement -------------------------------------------------------------------------


def statement(*, books: Books, slug: str, period: str) -> Statement:
    """The disclosure statement of the closed ``period`` (NotFound when it is not closed)."""
    with Session(books.engine) as session:
        community = books.community(session, slug)
        close = find_close(session, community, period)
        accounts = {a.name: a for a in books.accounts(session, community.id)}
        chained = list(books.chained(session, community.id, upto_seq=close.head_seq))
        if close.head_seq and (not chained or chained[-1].hash != close.head_hash):
            found = chained[-1].hash if chained else "(none)"
            raise StateConflict(
                [
                    Problem(
                        msg(
                            "disclosure.journal-s-entry-has",
                            head_seq=close.head_seq,
                            found=found,
                            head_hash=close.head_hash,
                            period=period,
                        ),
                        rule="chain-head",
                        details={"seq": close.head_seq, "recorded": close.head_hash},
                    )
                ]
            )
        # A year's closing entry moves its income and expenses into net assets: it is neither
        # income nor use of the period, and the funds (net assets with the year's result) are
        # the same either side of it.
        txns = [c.txn for c in chained if c.txn.kind != "closing"]
        settings = of(books).file(slug).at(close.end)
        context = of(books).context(session, community)
        resolutions = _resolutions(session, community, txns, close)
        schedules = _schedules(session, community, txns, close)

    restricted = {name for name, a in accounts.items() if a.restricted}
    before = _Sums(txns, None, close.start - timedelta(days=1))
    during = _Sums(txns, close.start, close.end)
    after = _Sums(txns, None, close.end)
    income, total_income = _lines(during, INCOME_LINES, "Income", accounts, -1)
    costs, total_costs = _lines(during, COST_LINES, None, accounts, 1)
    uses, total_uses = _lines(
        during, USE_LINES, "Expenses", accounts, 1, exclude=[a for _, a in COST_LINES]
    )
    net_income = total_income - total_costs
    opening, closing = _funds(before, restricted), _funds(after, restricted)
    other = (closing.unrestricted - opening.unrestricted) - (net_income - total_uses)

    days = settings.disclosure_days  # the rules file's; its default is the 30 days of art. 67
    posted_on = _posted_on(close)
    quarters = tuple(
        QuarterFigures(
            name,
            -sums.under("Income"),
            sum((sums.under(a) for _, a in COST_LINES), ZERO),
            sums.under("Expenses") - sum((sums.under(a) for _, a in COST_LINES), ZERO),
        )
        for name, start, end in last_quarters(close.end)
        for sums in [_Sums(txns, start, end)]
    )
    # The rules' own figures, folded as the posting path and the close fold them.
    checks = period_checks(
        settings=settings,
        reserve_figures=reserve.figures(
            context, txns, period=close.period, start=close.start, end=close.end, settings=settings
        ),
        manager_share_figures=manager_share.figures(context, txns, end=close.end),
        committee_figures=committee.figures(context, txns, end=close.end),
        civil_defence_figures=civil_defence.figures(
            context, txns, start=close.start, end=close.end
        ),
        closing=closing,
        resolutions=resolutions,
    )
    return Statement(
        slug=community.slug,
        community=community.name,
        period=close.period,
        start=close.start,
        end=close.end,
        posted_on=posted_on,
        posted_until=posted_on + timedelta(days=days),
        opening=opening,
        income=tuple(income),
        total_income=total_income,
        costs=tuple(costs),
        total_costs=total_costs,
        net_income=net_income,
        uses=tuple(uses),
        total_uses=total_uses,
        other_movements=other,
        closing=closing,
        resolutions=tuple(resolutions),
        checks=tuple(checks),
        schedules=tuple(schedules),
        quarters=quarters,
        head_seq=close.head_seq,
        head_hash=close.head_hash,
        closed_at=_closed_at(close),
        entries=sum(1 for t in txns if close.start <= t.date <= close.end),
        statutory=statutory_tables(community.name, close, accounts, [c.txn for c in chained])
        if re.fullmatch(r"\d{4}", close.period)
        else (),
        contracts=contract_lines(books=books, slug=slug, start=close.start, end=close.end),
        budget=budget_rows(
            books=books, slug=slug, start=close.start, end=close.end, accounts=accounts
        ),
        bank=bank_rows(
            books=books,
            slug=slug,
            community_id=community.id,
            end=close.end,
            accounts=accounts,
        ),
    )


def _posted_on(close: PeriodClose) -> date:
    """A statement is posted the day its period closes (China Standard Time)."""
    return date.fromisoformat(_closed_at(close)[:10])


def _resolutions(
    session: Session, community: Community, txns: list[Txn], close: PeriodClose
) -> list[ResolutionLine]:
    """Resolutions under which money was spent in the period (see :func:`_spent`). A reversal
    counts against the resolution of the entry it reverses."""
    of_entry = {t.id: t.resolution for t in txns}
    in_period: dict[str, Decimal] = defaultdict(lambda: ZERO)
    to_date: dict[str, Decimal] = defaultdict(lambda: ZERO)
    touched: set[str] = set()
    for txn in txns:
        number = txn.resolution or (of_entry.get(txn.reverses) if txn.reverses else None)
        if not number or txn.date > close.end:
            continue
        amount = _spent(txn)
        to_date[number] += amount
        if txn.date >= close.start:
            in_period[number] += amount
            if amount:
                touched.add(number)
    if not touched:
        return []
    rows = {
        r.number: r
        for r in session.execute(
            select(Resolution)
            .where(Resolution.community_id == community.id)  # type: ignore[arg-type]
            .where(Resolution.number.in_(sorted(touched)))  # type: ignore[attr-defined]
        ).scalars()
    }
    out = []
    for number in sorted(touched):
        row = rows.get(number)
        out.append(
            ResolutionLine(
                number=number,
                title=row.title if row else "",
                budget=from_fen(row.budget_fen) if row else ZERO,
                spent_in_period=in_period[number],
                spent_to_date=to_date[number],
                passed=bool(row and row.passed),
                tally=_flat_tally(row.tally) if row else {},
            )
        )
    return out


#: A tally is a few dozen aggregates (``rules.vote``: areas, heads, quorum, approval);
#: a bigger mapping, or a nested one with more than a dozen keys, is per-unit detail and stays
#: private.
TALLY_KEYS = (40, 12)


def _flat_tally(text: str) -> dict[str, str]:
    """The recorded vote arithmetic, one level flattened: numbers and yes/no only. Lists and
    large mappings (ballots, per-unit votes) are left out, as are words (which could name
    someone): the statement prints aggregates, never how a unit voted."""
    try:
        raw = json.loads(text or "{}", parse_float=Decimal)
    except ValueError:
        return {}
    out: dict[str, str] = {}

    def walk(prefix: str, value: Any, depth: int) -> None:
        if isinstance(value, dict):
            if depth < 2 and len(value) <= TALLY_KEYS[min(depth, 1)]:
                for k, v in value.items():
                    walk(f"{prefix}.{k}" if prefix else str(k), v, depth + 1)
        elif isinstance(value, bool):
            out[prefix] = "yes" if value else "no"
        elif isinstance(value, int | Decimal) or (isinstance(value, str) and _numeric(value)):
            out[prefix] = str(value)

    if isinstance(raw, dict):
        walk("", raw, 0)
    return out


def _numeric(text: str) -> bool:
    return re.fullmatch(r"-?\d+(\.\d+)?%?", text.strip()) is not None


def _schedules(
    session: Session, community: Community, txns: list[Txn], close: PeriodClose
) -> list[Schedule]:
    """Per-unit schedules of the dividend and subsidy entries posted in the period and not
    reversed (as of the close)."""
    reversed_ids = {t.reverses for t in txns if t.reverses}
    wanted = {
        t.id: t
        for t in txns
        if t.kind in SCHEDULE_KINDS
        and close.start <= t.date <= close.end
        and t.id not in reversed_ids
    }
    if not wanted:
        return []
    rows = session.execute(
        select(
            col(AllocationLine.entry_id),
            col(Unit.code),
            col(AllocationLine.area_centi),
            col(AllocationLine.amount_fen),
        )
        .join(Unit, keyed(AllocationLine, "unit_id", Unit))
        .where(col(AllocationLine.community_id) == community.id)
        .where(col(AllocationLine.entry_id).in_(list(wanted)))
    ).all()
    lines: dict[str, list[ScheduleLine]] = defaultdict(list)
    for entry_id, code, area_centi, fen in rows:
        lines[entry_id].append(ScheduleLine(code, from_fen(area_centi), from_fen(fen)))
    out = []
    for entry_id, txn in wanted.items():
        own = sorted(lines.get(entry_id, []), key=lambda line: _unit_key(line.unit))
        out.append(
            Schedule(
                kind=txn.kind,
                date=txn.date,
                seq=txn.seq or 0,
                resolution=txn.resolution,
                total=sum((line.amount for line in own), ZERO),
                lines=tuple(own),
            )
        )
    return sorted(out, key=lambda s: s.seq)


def _unit_key(code: str) -> tuple[Any, ...]:
    """Natural order: ``2-1-0101`` before ``10-1-0101``."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", code))
