"""How long a disclosure statement takes: figures, then each format, for the demo community
(a year, about 600 units) with its first quarter closed. Prints timings; asserts nothing.

    .venv/bin/python bench/bench_disclosure.py
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlmodel import Session, select

from api.books import open_books
from api.demo import build_demo
from api.settings import Settings
from audit import disclosure
from audit import disclosure_render as render
from ledger.db import writer
from ledger.models import Community, PeriodClose


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        books = open_books(Settings(data=Path(tmp)))
        build_demo(books=books, slug="demo")
        with writer(books.engine) as session:
            community = session.exec(select(Community).where(Community.slug == "demo")).one()
            session.add(
                PeriodClose(
                    community_id=community.id,
                    period="2025Q1",
                    start=date(2025, 1, 1),
                    end=date(2025, 3, 31),
                    closed_at=datetime.now(UTC),
                    closed_by="bench",
                    head_seq=community.head_seq,
                    head_hash=community.head_hash,
                )
            )
        with Session(books.engine) as session:
            entries = session.exec(select(Community.head_seq)).one()
        started = time.perf_counter()
        statement = disclosure.statement(books=books, slug="demo", period="2025Q1")
        print(f"figures from {entries} entries: {time.perf_counter() - started:.3f} s")
        for fmt in render.FORMATS:
            started = time.perf_counter()
            size = len(render.render(statement, fmt=fmt))
            print(f"{fmt:>4}: {time.perf_counter() - started:.3f} s, {size:,} bytes")
        books.engine.dispose()


if __name__ == "__main__":
    main()
