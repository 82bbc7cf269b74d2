"""How long a disclosure statement takes: figures, then each format, for the demo community
(a year, about 600 units; the demo closes its four quarters). Prints timings; asserts nothing.

    .venv/bin/python bench/bench_disclosure.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from sqlmodel import Session, select

from api.books import open_books
from api.demo import build_demo
from api.settings import Settings
from audit import disclosure
from audit import disclosure_render as render
from ledger.models import Community


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        books = open_books(Settings(data=Path(tmp)))
        build_demo(books=books, slug="demo")
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
