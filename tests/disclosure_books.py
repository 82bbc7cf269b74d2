"""A small community for the disclosure tests, posted through the journal.

Q1 2025 (closed at the head of its last entry), in beancount terms::

    2025-01-01 opening    Bank 50,000.00           / Opening balances
    2025-01-05 income     Bank  9,600.00           / Parking
    2025-01-10 income     Bank 15,000.00           / Pilotis rent
    2025-01-15 income     Bank  6,000.00           / Advertising
    2025-02-10 cost       Manager's share 2,880.00 / Bank
    2025-02-11 cost       Direct costs      420.50 / Bank
    2025-02-20 upgrade    Upgrades 18,000.00       / Bank                  (resolution 2025-02)
    2025-02-21 cost       Bank charges      12.30  / Bank
    2025-03-01 dividend   Dividends 4,000.00       / Dividends payable     (resolution 2025-01,
                                                                             per-unit schedule)
    2025-03-02 transfer   Dividends payable 4,000.00 / Bank
    2025-03-21 income     Bank    123.45           / Interest
    2025-03-26 cost       Committee 1,500.00       / Bank
    2025-03-28 reserve    Maintenance top-up 14,000.00 / Payable to maintenance fund (restricted)
    2025-03-30 transfer   Payable to maintenance fund 10,000.00 / Bank (resolution 2025-04)

Q2 (open): parking income and a subsidy with its schedule.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from sqlmodel import Session, select

from api.books import open_books
from api.settings import Settings
from ledger import chart, journal
from ledger.books import Books
from ledger.db import writer
from ledger.models import Community, PeriodClose, Resolution, Unit
from ledger.schemas import PostingIn, TransactionIn
from rules.community import create
from tests.conftest import BOOKS_START

SLUG = "maple"
NAME = "枫林苑小区业主委员会"
#: Owner ids that must never appear on anything public.
OWNERS = ("OWNER-ZHANG-3", "OWNER-LI-4", "OWNER-WANG-5", "OWNER-ZHAO-6")
UNITS = (
    ("1-1-0101", "89.30"),
    ("1-1-0102", "127.38"),
    ("2-1-0101", "105.21"),
    ("10-2-1601", "68.52"),
)
DIVIDEND_SPLIT = ("1000.00", "1300.00", "1100.00", "600.00")
#: A vote as ``rules.vote`` records it (the 民法典 art. 278 arithmetic).
TALLY = {
    "source": "民法典 art. 278",
    "total_area": "390.41",
    "total_heads": 4,
    "participating_area": "390.41",
    "participating_heads": 4,
    "yes_area": "321.89",
    "yes_heads": 3,
    "no_area": "68.52",
    "no_heads": 1,
    "quorum": {"rule": "at least", "share": "2/3", "met": True},
    "approval": {"rule": "more than", "share": "1/2", "met": True},
    "passed": True,
}
SUBSIDY_SPLIT = ("250.00", "350.00", "300.00", "100.00")


@dataclass
class Community_:
    books: Books
    slug: str
    community_id: str
    dividend_id: str
    subsidy_id: str


def _txn(
    day: str, kind: str, narration: str, legs: list[tuple[str, str]], **kw: object
) -> TransactionIn:
    return TransactionIn(
        date=date.fromisoformat(day),
        payee="",
        narration=narration,
        kind=kind,
        postings=[PostingIn(account=a, amount=Decimal(x)) for a, x in legs],
        **kw,  # type: ignore[arg-type]
    )


def _post(books: Books, draft: TransactionIn, split: tuple[str, ...] | None = None) -> str:
    """Post ``draft`` (approved by the chair when it waits); ``split``: a dividend's or
    subsidy's per-unit amounts, in the order of ``UNITS``, as an allocation stores them."""
    schedule = None if split is None else _schedule(books, split)
    result = journal.post(books=books, slug=SLUG, draft=draft, actor="treasurer", schedule=schedule)
    if result.pending:
        journal.approve(books=books, slug=SLUG, entry_id=result.entry.id, actor="chair")
    return result.entry.id


def _schedule(books: Books, amounts: tuple[str, ...]) -> list[tuple[int, int, int]]:
    with Session(books.engine) as session:
        units = {u.code: u for u in session.exec(select(Unit))}
    out = []
    for (code, _), amount in zip(UNITS, amounts, strict=True):
        unit = units[code]
        assert unit.id is not None
        out.append((unit.id, unit.area_centi, int(Decimal(amount) * 100)))
    return out


def close(books: Books, period: str, start: date, end: date) -> None:
    """Record a close the way the rules branch does: the chain head at this moment."""
    with writer(books.engine) as session:
        community = session.exec(select(Community).where(Community.slug == SLUG)).one()
        session.add(
            PeriodClose(
                community_id=community.id,
                period=period,
                start=start,
                end=end,
                closed_at=datetime(2025, 4, 3, 2, 0, tzinfo=UTC),
                closed_by="chair",
                head_seq=community.head_seq,
                head_hash=community.head_hash,
            )
        )


def open_at(data: Path, db: str | None = None) -> Books:
    return open_books(Settings(data=data, db=db))


def build(books: Books) -> Community_:
    community = create(books=books, slug=SLUG, name=NAME, start=BOOKS_START)
    with writer(books.engine) as session:
        for (code, area), owner in zip(UNITS, OWNERS, strict=True):
            session.add(
                Unit(
                    community_id=community.id,
                    code=code,
                    owner=owner,
                    area_centi=int(Decimal(area) * 100),
                )
            )
        for number, title, budget, purpose in (
            ("2025-01", "2024年度共有收益分红", 400000, "dividend"),
            ("2025-02", "电梯轿厢监控改造", 2000000, "upgrade"),
            ("2025-03", "2025年物业费补贴", 100000, "subsidy"),
            ("2025-04", "公共收益划转专项维修资金", 2000000, "transfer"),
        ):
            session.add(
                Resolution(
                    community_id=community.id,
                    number=number,
                    title=title,
                    matter=9,
                    voted_on=date(2024, 12, 20),
                    effective_from=date(2025, 1, 1),
                    budget_fen=budget,
                    purpose=json.dumps([purpose]),
                    passed=True,
                    tally=json.dumps(TALLY, ensure_ascii=False),
                    created_by="chair",
                    created_at=datetime(2024, 12, 21, tzinfo=UTC),
                )
            )
    # The projection's header carries the register's facts (resolutions) once the rules know
    # them; rebuilding it is what recording a resolution does.
    books.rebuild_projection(SLUG)
    bank, payable = chart.BANK, chart.DIVIDENDS_PAYABLE
    fund = chart.MAINTENANCE_PAYABLE
    q1 = [
        _txn(
            "2025-01-01", "opening", "上年结转", [(bank, "50000.00"), (chart.OPENING, "-50000.00")]
        ),
        _txn(
            "2025-01-05",
            "income",
            "1月停车费",
            [(bank, "9600.00"), (chart.INCOME_PARKING, "-9600.00")],
        ),
        _txn(
            "2025-01-10",
            "income",
            "架空层租金",
            [(bank, "15000.00"), (chart.INCOME_PILOTIS, "-15000.00")],
        ),
        _txn(
            "2025-01-15", "income", "电梯广告", [(bank, "6000.00"), (chart.INCOME_ADS, "-6000.00")]
        ),
        _txn(
            "2025-02-10",
            "cost",
            "成本分成",
            [(chart.COST_MANAGER_SHARE, "2880.00"), (bank, "-2880.00")],
        ),
        _txn("2025-02-11", "cost", "直接成本", [(chart.COST_DIRECT, "420.50"), (bank, "-420.50")]),
        _txn(
            "2025-02-20",
            "upgrade",
            "监控改造",
            [(chart.USE_UPGRADE, "18000.00"), (bank, "-18000.00")],
            resolution="2025-02",
        ),
        _txn(
            "2025-02-21", "cost", "银行手续费", [(chart.USE_BANK_FEES, "12.30"), (bank, "-12.30")]
        ),
    ]
    for draft in q1:
        _post(books, draft)
    dividend = _post(
        books,
        _txn(
            "2025-03-01",
            "dividend",
            "2024年度分红",
            [(chart.USE_DIVIDEND, "4000.00"), (payable, "-4000.00")],
            resolution="2025-01",
        ),
        DIVIDEND_SPLIT,
    )
    for draft in [
        _txn("2025-03-02", "transfer", "支付分红", [(payable, "4000.00"), (bank, "-4000.00")]),
        _txn(
            "2025-03-21", "income", "利息", [(bank, "123.45"), (chart.INCOME_INTEREST, "-123.45")]
        ),
        _txn(
            "2025-03-26", "cost", "工作经费", [(chart.USE_COMMITTEE, "1500.00"), (bank, "-1500.00")]
        ),
        _txn(
            "2025-03-28",
            "reserve",
            "补充维修资金",
            [(chart.USE_MAINTENANCE, "14000.00"), (fund, "-14000.00")],
        ),
        _txn(
            "2025-03-30",
            "transfer",
            "划转维修资金",
            [(fund, "10000.00"), (bank, "-10000.00")],
            resolution="2025-04",
        ),
    ]:
        _post(books, draft)
    close(books, "2025Q1", date(2025, 1, 1), date(2025, 3, 31))
    _post(
        books,
        _txn(
            "2025-04-05",
            "income",
            "4月停车费",
            [(bank, "9500.00"), (chart.INCOME_PARKING, "-9500.00")],
        ),
    )
    subsidy = _post(
        books,
        _txn(
            "2025-04-20",
            "subsidy",
            "物业费补贴",
            [(chart.USE_SUBSIDY, "1000.00"), (bank, "-1000.00")],
            resolution="2025-03",
        ),
        SUBSIDY_SPLIT,
    )
    with Session(books.engine) as session:
        community_id = session.exec(select(Community.id).where(Community.slug == SLUG)).one()
    return Community_(books, SLUG, community_id, dividend, subsidy)
