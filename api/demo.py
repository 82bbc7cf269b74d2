"""The demo community: about 600 units and one year (2025) of realistic activity, seeded so
every run gives the same figures (docs/domain.md, "Real figures": a 620-unit community
earning about 200,000 yuan a year from pilotis and room rent and 80-yuan-a-month parking)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from api.demo_bank import Routine, from_the_bank
from api.demo_documents import post
from ledger import chart, clock
from ledger.books import Books
from ledger.models import Community
from ledger.money import quantize
from ledger.schemas import PostingIn, TransactionIn
from rules.community import create
from rules.config import DEFAULT_TEXT
from rules.periods import close
from rules.rules_store import set_rules

YEAR = 2025
TREASURER = "treasurer"
APPROVER = "chair"
SEED = 20250101

#: The demo's rules: the defaults, but a payment at or over the approval threshold is approved
#: only with its invoice or receipt uploaded (api.demo_documents uploads one).
DEMO_RULES = DEFAULT_TEXT.replace(
    "require_document_for_approval = false", "require_document_for_approval = true"
)

#: The demo's logins (username, role, password), printed by ``commons serve``. Demo only.
DEMO_USERS: tuple[tuple[str, str, str], ...] = (
    (TREASURER, "treasurer", "treasurer-demo"),
    (APPROVER, "approver", "chair-demo"),
    ("supervisor", "supervisor", "supervisor-demo"),
    ("auditor", "auditor", "auditor-demo"),
    ("admin", "admin", "admin-demo"),
)


@dataclass(frozen=True)
class DemoUnit:
    code: str
    owner: str
    area: Decimal
    developer_unsold: bool


def demo_units(seed: int = SEED) -> list[DemoUnit]:
    """620 units in 10 buildings: a few owners hold two units, ten are developer-unsold."""
    rng = random.Random(seed)
    plans = [Decimal(a) for a in ("68.52", "89.30", "105.21", "127.38", "143.60")]
    units: list[DemoUnit] = []
    owner_no = 0
    for building in range(1, 11):
        for entrance in (1, 2):
            for floor in range(1, 17):
                for door in (1, 2):
                    if len(units) == 620:
                        return units
                    code = f"{building}-{entrance}-{floor:02d}{door:02d}"
                    area = (
                        plans[(building + door) % len(plans)] + Decimal(rng.randint(-40, 40)) / 100
                    )
                    unsold = building == 10 and entrance == 2 and floor > 11
                    if unsold:
                        owner = "developer"
                    elif units and rng.random() < 0.05 and units[-1].owner != "developer":
                        owner = units[-1].owner  # the same owner holds the neighbouring unit
                    else:
                        owner_no += 1
                        owner = f"O{owner_no:04d}"
                    units.append(DemoUnit(code, owner, area, unsold))
    return units


def _txn(
    day: date,
    payee: str,
    narration: str,
    kind: str,
    debit: str,
    credit: str,
    amount: Decimal,
    key: str,
    resolution: str | None = None,
    documents: list[str] | None = None,
) -> TransactionIn:
    return TransactionIn(
        date=day,
        payee=payee,
        narration=narration,
        kind=kind,
        postings=[
            PostingIn(account=debit, amount=amount),
            PostingIn(account=credit, amount=-amount),
        ],
        resolution=resolution,
        documents=documents or [],
        idempotency_key=f"demo-{key}",
    )


def demo_year(year: int = YEAR, seed: int = SEED) -> list[TransactionIn]:
    """The year's transactions in date order."""
    rng = random.Random(seed + 1)
    bank = chart.BANK
    out: list[TransactionIn] = [
        _txn(
            date(year - 1, 12, 31),  # the day before the books start: the opening balances
            "",
            "上年结转银行存款",
            "opening",
            bank,
            chart.OPENING,
            Decimal("50000.00"),
            f"{year}-opening",
        ),
    ]
    receipt = 100
    for quarter in range(4):
        months = [quarter * 3 + m for m in (1, 2, 3)]
        parking_q = Decimal("0.00")
        income_q = Decimal("0.00")
        for month in months:
            spaces = 110 - rng.randint(0, 6)
            parking = Decimal(spaces * 80)
            parking_q += parking
            receipt += 1
            out.append(
                _txn(
                    date(year, month, 5),
                    "物业服务中心代收",
                    f"{month}月地面车位停车费 {spaces} 个",
                    "income",
                    bank,
                    chart.INCOME_PARKING,
                    parking,
                    f"{year}-{month:02d}-parking",
                    documents=[f"收据 {receipt:04d}"],
                )
            )
        first = date(year, months[0], 10)
        out.append(
            _txn(
                first,
                "好邻居便利店",
                f"第{quarter + 1}季度架空层租金",
                "income",
                bank,
                chart.INCOME_PILOTIS,
                Decimal("15000.00"),
                f"{year}-q{quarter + 1}-pilotis",
                documents=[f"租赁合同 JK-{year}-01"],
            )
        )
        out.append(
            _txn(
                first,
                "社区养老服务站",
                f"第{quarter + 1}季度公共用房租金",
                "income",
                bank,
                chart.INCOME_ROOMS,
                Decimal("5000.00"),
                f"{year}-q{quarter + 1}-rooms",
            )
        )
        income_q += parking_q + Decimal("20000.00")
        if quarter in (0, 2):
            out.append(
                _txn(
                    date(year, months[0], 15),
                    "分众传媒",
                    "电梯广告屏半年费",
                    "income",
                    bank,
                    chart.INCOME_ADS,
                    Decimal("6000.00"),
                    f"{year}-q{quarter + 1}-ads",
                    documents=["广告合同 GG-2024-07"],
                )
            )
            income_q += Decimal("6000.00")
        interest = Decimal(rng.randint(12000, 18000)) / 100
        last = date(year, months[2], 21)
        out.append(
            _txn(
                last,
                "开户银行",
                "活期存款利息",
                "income",
                bank,
                chart.INCOME_INTEREST,
                interest,
                f"{year}-q{quarter + 1}-interest",
            )
        )
        income_q += interest
        share = quantize(parking_q * Decimal("0.30"))
        out.append(
            _txn(
                date(year, months[2], 25),
                "物业服务企业",
                f"第{quarter + 1}季度停车管理成本分成30%",
                "cost",
                chart.COST_MANAGER_SHARE,
                bank,
                share,
                f"{year}-q{quarter + 1}-share",
                documents=[f"发票 {quarter + 1:02d}-8812"],
            )
        )
        out.append(
            _txn(
                date(year, months[2], 26),
                "业委会",
                f"第{quarter + 1}季度委员工作津贴",
                "cost",
                chart.USE_COMMITTEE,
                bank,
                Decimal("1500.00"),
                f"{year}-q{quarter + 1}-committee",
            )
        )
        net = income_q - share
        reserve = quantize(net * Decimal("0.51"))
        out.append(
            _txn(
                date(year, months[2], 28),
                "专项维修资金账户",
                f"第{quarter + 1}季度公共收益的51%补充专项维修资金",
                "reserve",
                chart.USE_MAINTENANCE,
                bank,
                reserve,
                f"{year}-q{quarter + 1}-reserve",
            )
        )
    out.append(
        _txn(
            date(year, 8, 18),
            "安防工程公司",
            "电梯轿厢监控改造",
            "upgrade",
            chart.USE_UPGRADE,
            bank,
            Decimal("18000.00"),
            f"{year}-upgrade",
            resolution=f"{year}-02",
            documents=["合同 AF-2025-03", "发票 0091"],
        )
    )
    out.append(
        _txn(
            date(year, 11, 20),
            "会计师事务所",
            "年度及换届审计费",
            "cost",
            chart.USE_AUDIT,
            bank,
            Decimal("6000.00"),
            f"{year}-audit",
        )
    )
    out.sort(key=lambda t: t.date)
    return out


#: The owners' resolutions of the demo year: (number, title, matter, voted_on, effective_from,
#: budget, purpose, allocation, share of owners voting yes). The last one fails: a matter (八)
#: needs 3/4 of those voting.
DEMO_RESOLUTIONS: tuple[tuple[Any, ...], ...] = (
    (
        "2025-01",
        "2025年公共收益补贴物业费",
        9,
        date(YEAR, 3, 29),
        date(YEAR, 4, 1),
        "15000.00",
        ["subsidy"],
        {"mode": "total", "basis": "area", "rounding": "fen"},
        0.9,
    ),
    (
        "2025-02",
        "电梯轿厢监控改造",
        9,
        date(YEAR, 6, 28),
        date(YEAR, 7, 1),
        "20000.00",
        ["upgrade"],
        None,
        0.85,
    ),
    (
        "2025-03",
        "2025年度公共收益分红(每平方米0.30元, 按元取整)",
        9,
        date(YEAR, 12, 13),
        date(YEAR, 12, 15),
        "25000.00",
        ["dividend"],
        {"mode": "rate", "basis": "area", "rate": "0.30", "rounding": "yuan_floor"},
        0.9,
    ),
    (
        "2025-04",
        "小区入口新增广告牌(改变共有部分用途)",
        8,
        date(YEAR, 12, 13),
        date(YEAR, 12, 15),
        "0.00",
        [],
        None,
        0.6,
    ),
)
#: (resolution, date, kind, total or None) of the demo year's allocations.
DEMO_ALLOCATIONS = (
    ("2025-01", date(YEAR, 4, 20), "subsidy", "15000.00"),
    ("2025-03", date(YEAR, 12, 20), "dividend", None),
)


def demo_ballots(units: list[DemoUnit], yes_share: float, seed: int) -> list[dict[str, str]]:
    """One ballot per voting unit, decided per owner (an owner's units vote alike): about 85%
    of owners vote, ``yes_share`` of them yes. Deterministic for a seed."""
    rng = random.Random(seed)
    decided: dict[str, str | None] = {}
    out: list[dict[str, str]] = []
    for unit in units:
        head = "developer" if unit.developer_unsold else unit.owner
        if head not in decided:
            if rng.random() >= 0.85:
                decided[head] = None
            else:
                roll = rng.random()
                decided[head] = "yes" if roll < yes_share else ("abstain" if roll > 0.97 else "no")
        vote = decided[head]
        if vote is not None:
            out.append({"unit": unit.code, "vote": vote})
    return out


def _resolutions(books: Books, slug: str, units: list[DemoUnit]) -> None:
    from api.demo_documents import attach_to_resolution
    from rules.resolution_register import ResolutionIn, create

    for index, row in enumerate(DEMO_RESOLUTIONS):
        number, title, matter, voted, effective, budget, purpose, allocation, yes = row
        body = ResolutionIn.model_validate(
            {
                "number": number,
                "title": title,
                "matter": matter,
                "voted_on": voted,
                "effective_from": effective,
                "budget": budget,
                "purpose": purpose,
                "allocation": allocation,
                "ballots": demo_ballots(units, yes, SEED + 10 + index),
            }
        )
        create(books=books, slug=slug, body=body, actor=APPROVER)
        attach_to_resolution(books, slug, number, title, str(voted))


def _allocate(
    books: Books, slug: str, number: str, day: date, kind: str, total: str | None
) -> None:
    from api.demo_documents import settle
    from rules.allocate import AllocationIn, allocate

    body = AllocationIn.model_validate(
        {"date": day, "kind": kind, "total": total, "idempotency_key": f"demo-{number}-{kind}"}
    )
    out, _ = allocate(books=books, slug=slug, number=number, body=body, actor=TREASURER)
    settle(books, slug, out.entry, out.entry.status == "pending")


def build_demo(*, books: Books, slug: str = "demo") -> bool:
    """Create the demo community; False if it already exists. The unit register goes in
    through the register's import, the resolutions through their tally, the dividend and the
    subsidy through the allocation, so the demo shows what the service computes."""
    from rules.units import UnitIn, import_units

    with Session(books.engine) as session:
        exists = session.execute(
            select(col(Community.id)).where(col(Community.slug) == slug)
        ).first()
    if exists is not None:
        add_demo_users(books=books, slug=slug)
        return False
    create(
        books=books,
        slug=slug,
        name="枫林苑小区业主委员会 (演示)",
        actor="demo",
        start=date(YEAR, 1, 1),
    )
    set_rules(books=books, slug=slug, text=DEMO_RULES, actor=APPROVER)
    units = demo_units()
    import_units(
        books=books,
        slug=slug,
        units=[UnitIn(u.code, u.owner, u.area, u.developer_unsold) for u in units],
        actor="demo",
        source="demo",
    )
    _resolutions(books, slug, units)
    today = clock.today()
    routine = Routine(books, slug, SEED)
    allocations = sorted(DEMO_ALLOCATIONS, key=lambda a: a[1])
    for draft in demo_year():
        while allocations and allocations[0][1] <= draft.date:
            _allocate(books, slug, *allocations.pop(0))
        routine.settle_through(draft.date - timedelta(days=draft.date.day), today)
        if from_the_bank(draft):
            routine.hold(draft)  # the bank credits it first: it comes in on the statement
        else:
            post(books, slug, draft)
    for allocation in allocations:
        _allocate(books, slug, *allocation)
    routine.settle_through(date(YEAR, 12, 31), today)
    if today > date(YEAR, 12, 31):
        # The year's four quarters closed, so the owners' disclosures are published.
        close(books=books, slug=slug, period=str(YEAR), actor=APPROVER)
    __import__("api.demo_contracts").demo_contracts.build_contracts(books=books, slug=slug)
    books.rebuild_projection(slug)  # the documents uploaded above join the projection's header
    add_demo_users(books=books, slug=slug)
    return True


def add_demo_users(*, books: Books, slug: str) -> None:
    """The demo logins; members already there are left alone."""
    from api.users import Role, add_member, roles_in

    for username, role, password in DEMO_USERS:
        held = roles_in(books, username, slug)
        if held is not None and Role(role) in held[1]:
            continue
        add_member(
            books=books,
            username=username,
            slug=slug,
            role=Role(role),
            password=password,
            token=False,
            actor="demo",
        )
