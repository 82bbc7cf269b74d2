"""Benchmark: the audit export of a year of 100k entries, and beside it the time beancount
takes to load the same books (the community's projection, with the rules plugin).

    .venv/bin/python bench/export.py [--entries 100000] [--keep DIR]

With ``--keep DIR`` the books stay in DIR, and a second run reuses them (no posting).

The entries are generated into a temporary data directory through ``journal.post_many`` in
batches of 1,000 (income and small costs spread over 2025, under the approval threshold).
Prints the posting time, the export time and size, the verify-export time, the beancount load
time and the peak memory.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from beancount import loader

from api.books import open_books
from api.settings import Settings
from audit.export import export_file
from audit.verify_export import verify_export
from ledger import chart, journal
from ledger.errors import Conflict
from ledger.schemas import PostingIn, TransactionIn
from rules.community import create

#: The books start early enough for every generated date.
BOOKS_START = date(2000, 1, 1)

SLUG = "bench"
BATCH = 1000
INCOME = [chart.INCOME_PARKING, chart.INCOME_PILOTIS, chart.INCOME_ROOMS, chart.INCOME_ADS]
COSTS = [chart.COST_DIRECT, chart.USE_COMMITTEE, chart.USE_BANK_FEES]


def drafts(count: int, seed: int = 2025) -> list[TransactionIn]:
    rng = random.Random(seed)
    start = date(2025, 1, 1)
    out = []
    for index in range(count):
        day = start + timedelta(days=index * 365 // count)
        if index % 5 == 4:
            amount = Decimal(rng.randint(100, 400_00)) / 100
            debit, credit, kind, text = rng.choice(COSTS), chart.BANK, "cost", "支出"
        else:
            amount = Decimal(rng.randint(1_000, 2_000_00)) / 100
            debit, credit, kind, text = chart.BANK, rng.choice(INCOME), "income", "收入"
        out.append(
            TransactionIn(
                date=day,
                payee=f"单位{rng.randint(1, 300)}",
                narration=f"{day:%m}月{text} #{index}",
                kind=kind,
                postings=[
                    PostingIn(account=debit, amount=amount),
                    PostingIn(account=credit, amount=-amount),
                ],
                documents=[f"收据 {index:06d}"],
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="use this directory and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="commons-bench-") as tmp:
        root = args.keep or Path(tmp)
        books = open_books(Settings(data=root / "data"))
        try:
            create(books=books, slug=SLUG, name="基准小区", start=BOOKS_START)
        except Conflict:
            print(f"reusing the books in {root} (--keep)")
        else:
            items = drafts(args.entries)
            began = time.perf_counter()
            for offset in range(0, len(items), BATCH):
                batch = items[offset : offset + BATCH]
                journal.post_many(books=books, slug=SLUG, drafts=batch, actor="bench")
            posting = time.perf_counter() - began
            rate = len(items) / posting
            print(f"posted {len(items):,} entries in {posting:.1f} s ({rate:,.0f}/s)")

        out = root / "bench-2025.zip"
        began = time.perf_counter()
        manifest = export_file(books=books, slug=SLUG, period="2025", path=out)
        exporting = time.perf_counter() - began
        size = out.stat().st_size / 1e6
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"export of 2025 ({manifest['entries']:,} entries, {size:.1f} MB zip): "
            f"{exporting:.1f} s; peak RSS so far {peak:,.0f} MB"
        )

        began = time.perf_counter()
        report = verify_export(out)
        print(f"verify-export: {time.perf_counter() - began:.1f} s, ok={report.ok}")

        projection = books.projection(SLUG).path
        loader.initialize(use_cache=False)  # time a real load, not beancount's pickle cache
        began = time.perf_counter()
        entries, errors, _options = loader.load_file(str(projection))
        loading = time.perf_counter() - began
        print(
            f"beancount load of the projection ({len(entries):,} directives, "
            f"{len(errors)} errors): {loading:.1f} s"
        )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"export / beancount load: {exporting / loading:.2f}; "
            f"peak RSS {peak:,.0f} MB (with the verify and the load)"
        )


if __name__ == "__main__":
    main()
