"""How long the demo takes to build (``commons demo``; the tests build it several times): wall
and CPU time, with what it made (entries, statements imported, documents). Prints figures;
asserts nothing.

    .venv/bin/python bench/demo_build.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select
from sqlmodel import Session

from api.books import open_books
from api.demo import build_demo
from api.settings import Settings
from ledger.models import BankLine, Community, Document


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        books = open_books(Settings(data=Path(tmp)))
        wall, cpu = time.perf_counter(), time.process_time()
        build_demo(books=books, slug="demo")
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        with Session(books.engine) as session:
            entries = session.execute(select(Community.head_seq)).scalar_one()
            lines = session.execute(select(func.count()).select_from(BankLine)).scalar_one()
            documents = session.execute(select(func.count()).select_from(Document)).scalar_one()
        print(
            f"demo built in {wall:.1f} s ({cpu:.1f} s CPU): {entries} entries, "
            f"{lines} statement lines, {documents} documents"
        )
        books.engine.dispose()


if __name__ == "__main__":
    main()
