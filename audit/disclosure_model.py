"""The disclosure statement's data: plain frozen dataclasses, money as ``Decimal``; the
computation lives in :mod:`audit.disclosure`, the rendering in :mod:`audit.disclosure_render`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

ZERO = Decimal("0.00")
#: Kinds whose per-unit schedules are published.
SCHEDULE_KINDS = ("dividend", "subsidy")


# --- the statement's parts ---------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One figure of the statement: a key for programs, the account(s) it sums, its names."""

    key: str
    accounts: tuple[str, ...]
    name_zh: str
    name_en: str
    amount: Decimal


@dataclass(frozen=True)
class Funds:
    cash: Decimal
    unrestricted: Decimal
    restricted: Decimal


@dataclass(frozen=True)
class ResolutionLine:
    number: str
    title: str
    budget: Decimal
    spent_in_period: Decimal
    spent_to_date: Decimal
    passed: bool
    #: The vote arithmetic as recorded with the resolution, flattened to scalar figures.
    tally: dict[str, str]


@dataclass(frozen=True)
class Check:
    """A rule checked over the period, with the figures that decide it. ``not_applicable``
    names why the rule has nothing to judge (``no_common_income``, ``no_service_income``):
    a share of nothing is not a share, so the notice says so instead of printing 0.00%."""

    rule: str
    name_zh: str
    name_en: str
    ok: bool
    figures: dict[str, str]
    source: str = ""
    not_applicable: str = ""


@dataclass(frozen=True)
class ContractLine:
    """A contract's arrears at the period's end (``rules.contracts.receivables``) and what it
    brought in during the period; a contract without a valid resolution is flagged."""

    number: str
    counterparty: str
    due: Decimal
    received: Decimal
    received_in_period: Decimal
    overdue: Decimal
    ageing: tuple[tuple[str, Decimal], ...]
    compliant: bool


@dataclass(frozen=True)
class BudgetRow:
    """One line of the 预算执行情况表 (``rules.budget.actuals``): budget, actual, variance."""

    account: str
    name_zh: str
    name_en: str
    period: str
    budget: Decimal
    actual: Decimal
    variance: Decimal


@dataclass(frozen=True)
class BankRow:
    """A bank account's reconciliation at the period's end (``rules.bank.reconcile``)."""

    account: str
    name_zh: str
    name_en: str
    book_balance: Decimal
    bank_balance: Decimal
    difference: Decimal


@dataclass(frozen=True)
class ScheduleLine:
    unit: str
    area: Decimal  # square metres, two places
    amount: Decimal


@dataclass(frozen=True)
class Schedule:
    kind: str  # dividend | subsidy
    date: date
    seq: int
    resolution: str | None
    total: Decimal
    lines: tuple[ScheduleLine, ...]


@dataclass(frozen=True)
class QuarterFigures:
    period: str
    income: Decimal
    costs: Decimal
    uses: Decimal


@dataclass(frozen=True)
class Statement:
    slug: str
    community: str
    period: str
    start: date
    end: date
    posted_on: date
    posted_until: date
    opening: Funds
    income: tuple[Line, ...]
    total_income: Decimal
    costs: tuple[Line, ...]
    total_costs: Decimal
    net_income: Decimal
    uses: tuple[Line, ...]
    total_uses: Decimal
    other_movements: Decimal
    closing: Funds
    resolutions: tuple[ResolutionLine, ...]
    checks: tuple[Check, ...]
    schedules: tuple[Schedule, ...]
    quarters: tuple[QuarterFigures, ...]
    head_seq: int
    head_hash: str
    closed_at: str
    entries: int = 0  # posted entries dated in the period
    notes: tuple[str, ...] = field(default=())
    #: The statutory statements, on the notice of a year (a quarter's notice has none).
    statutory: tuple[StatutoryTable, ...] = field(default=())
    #: The registers beside the journal (:mod:`audit.disclosure_registers`).
    contracts: tuple[ContractLine, ...] = field(default=())
    budget: tuple[BudgetRow, ...] = field(default=())
    bank: tuple[BankRow, ...] = field(default=())

    @property
    def overdue(self) -> Decimal:
        """What the contracts owe at the period's end."""
        return sum((c.overdue for c in self.contracts), ZERO)

    @property
    def units(self) -> int:
        """Units on the period's per-unit schedules."""
        return len({line.unit for s in self.schedules for line in s.lines})

    def as_json(self) -> dict[str, Any]:
        """The statement for programs: money as two-place strings, dates ISO."""
        return jsonable(self)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class StatutoryTable:
    """One statutory statement of an annual notice (会民非01/02/03表, 共有收益分配表): its name,
    title row, column headers and rows as printed (amounts as two-place text)."""

    name: str
    title: tuple[str, ...]
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class ClosedPeriod:
    period: str
    start: date
    end: date
    closed_at: str
    head_seq: int
    head_hash: str


@dataclass(frozen=True)
class UnitReceipt:
    period: str
    kind: str
    date: date
    resolution: str | None
    amount: Decimal


@dataclass(frozen=True)
class UnitDividend:
    """One dividend (a resolution's) to one unit: allocated, paid out (posted payouts in
    closed periods) and still owed (allocated less paid)."""

    resolution: str | None
    allocated: Decimal
    paid: Decimal
    owed: Decimal


@dataclass(frozen=True)
class UnitReceipts:
    slug: str
    community: str
    unit: str
    area: Decimal
    receipts: tuple[UnitReceipt, ...]
    dividends: tuple[UnitDividend, ...] = field(default=())

    @property
    def total(self) -> Decimal:
        return sum((r.amount for r in self.receipts), ZERO)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = jsonable(self)
        out["total"] = f"{self.total:f}"
        return out


def jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if hasattr(value, "__dataclass_fields__"):
        return {name: jsonable(getattr(value, name)) for name in value.__dataclass_fields__}
    return value
