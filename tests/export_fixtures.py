"""A small community for the audit-export tests: a handful of posted entries across two
quarters of 2025 and the opening balances on the eve of the books' start (2025-01-01), so a period has opening balances, a stretch of the chain
and entries on both sides of it. Each is posted at noon (CST) of its date, except the late one.

    seq date        kind      debit / credit                                      posted
    1   2024-12-31  opening   bank 50,000.00 / 3101-00 opening balances           2024-12-31
    2   2025-01-15  income    bank 9,600.00 / parking                             2025-01-15
    3   2025-02-10  cost      direct cost 1,200.50 / bank                         2025-02-10
    4   2025-03-20  dividend  dividends 300.00 / dividends payable (R2025-01)      approved 03-21
    5   2025-03-31  income    bank 3,000.00 / pilotis rent                        2025-03-31
    6   2025-04-02  reserve   top-up 2,000.00 / maintenance payable (restricted)  2025-04-02
    7   2025-02-28  income    bank 800.00 / advertising                           2025-04-05 (late)

The dividend's schedule: unit 1-1-0101 (127.38 m², owner O0001) 200.00, unit 1-1-0102
(63.69 m², owner O0002) 100.00. Resolution R2025-01 passed with a tally.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from freezegun import freeze_time

from api.books import open_books
from api.settings import Settings
from ledger import chart, clock, journal
from ledger.books import Books
from ledger.db import writer
from ledger.models import Resolution, Unit
from ledger.schemas import PostingIn, TransactionIn
from rules.community import create
from tests.conftest import BOOKS_START

SLUG = "maple"


def draft(
    day: str,
    kind: str,
    debit: str,
    credit: str,
    amount: str,
    narration: str,
    resolution: str | None = None,
) -> TransactionIn:
    value = Decimal(amount)
    return TransactionIn(
        resolution=resolution,
        date=date.fromisoformat(day),
        payee='测试单位 "甲"',
        narration=narration,
        kind=kind,
        postings=[PostingIn(account=debit, amount=value), PostingIn(account=credit, amount=-value)],
        documents=[f"收据 {narration}"],
    )


DIVIDEND = draft(
    "2025-03-20",
    "dividend",
    chart.USE_DIVIDEND,
    chart.DIVIDENDS_PAYABLE,
    "300.00",
    "业主分红",
    "R2025-01",
)
BEFORE = [
    draft("2024-12-31", "opening", chart.BANK, chart.OPENING, "50000.00", "期初余额"),
    draft("2025-01-15", "income", chart.BANK, chart.INCOME_PARKING, "9600.00", "1月停车费"),
    draft("2025-02-10", "cost", chart.COST_DIRECT, chart.BANK, "1200.50", "保洁 <A&B> 直接成本"),
]
AFTER = [
    draft("2025-03-31", "income", chart.BANK, chart.INCOME_PILOTIS, "3000.00", "架空层租金"),
    draft(
        "2025-04-02",
        "reserve",
        chart.USE_MAINTENANCE,
        chart.MAINTENANCE_PAYABLE,
        "2000.00",
        "补充维修资金",
    ),
]
LATE = draft("2025-02-28", "income", chart.BANK, chart.INCOME_ADS, "800.00", "广告费（补记）")
TALLY = {
    "total": {"area": "191.07", "heads": 2},
    "participating": {"area": "191.07", "heads": 2},
    "yes": {"area": "127.38", "heads": 1},
    "thresholds": {"quorum": "2/3", "pass": "1/2"},
}


def _noon(day: date | str) -> str:
    return f"{day} 04:00:00"  # 12:00 in China Standard Time


def _register(books: Books) -> list[Unit]:
    with writer(books.engine) as session:
        community = books.community(session, SLUG)
        units = [
            Unit(community_id=community.id, code="1-1-0101", owner="O0001", area_centi=12738),
            Unit(community_id=community.id, code="1-1-0102", owner="O0002", area_centi=6369),
        ]
        session.add_all(units)
        session.add(
            Resolution(
                community_id=community.id,
                number="R2025-01",
                title="2024年度共有收益分红",
                matter=9,
                voted_on=date(2025, 3, 1),
                effective_from=date(2025, 3, 2),
                budget_fen=30000,
                purpose=json.dumps(["dividend"]),
                passed=True,
                tally=json.dumps(TALLY, ensure_ascii=False),
                created_by="chair",
                created_at=clock.now(),
            )
        )
        session.flush()
        for unit in units:
            session.refresh(unit)
    return units


def make_books(tmp_path: Path, db: str | None = None) -> Books:
    """The books above, in SQLite under ``tmp_path`` or in the database at ``db``."""
    with freeze_time(_noon("2024-12-01")):
        books = open_books(Settings(data=tmp_path / "data", db=db))
        create(books=books, slug=SLUG, name="枫林苑业委会", start=BOOKS_START)
        units = _register(books)
    for item in BEFORE:
        with freeze_time(_noon(item.date)):
            journal.post(books=books, slug=SLUG, draft=item, actor="treasurer")
    schedule = [
        (u.id or 0, u.area_centi, fen) for u, fen in zip(units, (20000, 10000), strict=True)
    ]
    with freeze_time(_noon("2025-03-20")):
        pending = journal.post(
            books=books, slug=SLUG, draft=DIVIDEND, actor="treasurer", schedule=schedule
        )
    with freeze_time(_noon("2025-03-21")):
        journal.approve(books=books, slug=SLUG, entry_id=pending.entry.id, actor="chair")
    for item in AFTER:
        with freeze_time(_noon(item.date)):
            journal.post(books=books, slug=SLUG, draft=item, actor="treasurer")
    with freeze_time(_noon("2025-04-05")):
        journal.post(books=books, slug=SLUG, draft=LATE, actor="treasurer")
    return books
