"""Posting latency against ledger size, beside the cost of re-loading the ledger.

For a community holding 1k, 10k and 100k entries (SQLite, WAL, synchronous=FULL), measures the
in-process latency of one `journal.post` with every rule checked (p50, p99 over N posts), and in
the same run the time beancount takes to load that community's projection: what a writer that
re-checked by reloading would pay per post. Prints the figures and the ratio.

    .venv/bin/python bench/post.py [--sizes 1000,10000,100000] [--posts 300]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from beancount import loader

from api.books import open_books
from api.settings import Settings
from ledger import chart, journal
from ledger.schemas import PostingIn, TransactionIn
from rules.community import create

#: The books start early enough for every generated date.
BOOKS_START = date(2000, 1, 1)


def draft(n: int, key: str) -> TransactionIn:
    amount = Decimal(80 + n % 50)
    day = date(2025, 1, 1) + timedelta(days=n % 365)
    return TransactionIn(
        date=day,
        payee="停车场",
        narration=f"临时停车费 #{n}",
        kind="income",
        postings=[
            PostingIn(account=chart.BANK, amount=amount),
            PostingIn(account=chart.INCOME_PARKING, amount=-amount),
        ],
        idempotency_key=key,
    )


def grow(books: object, slug: str, start: int, stop: int) -> None:
    batch = 1000
    for first in range(start, stop, batch):
        drafts = [draft(n, f"fill-{n}") for n in range(first, min(first + batch, stop))]
        journal.post_many(books=books, slug=slug, drafts=drafts, actor="bench")  # type: ignore[arg-type]


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--posts", type=int, default=300)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    with tempfile.TemporaryDirectory(prefix="commons-bench-") as tmp:
        books = open_books(Settings(data=Path(tmp)))
        create(books=books, slug="bench", name="bench", start=BOOKS_START)
        have = 0
        print(f"{'entries':>8} {'p50 ms':>8} {'p99 ms':>8} {'load s':>8} {'load/p99':>10}")
        for size in sizes:
            started = time.perf_counter()
            grow(books, "bench", have, size)
            fill = time.perf_counter() - started
            have = size
            latencies = []
            for i in range(args.posts):
                t0 = time.perf_counter()
                journal.post(
                    books=books, slug="bench", draft=draft(i, f"probe-{size}-{i}"), actor="bench"
                )
                latencies.append((time.perf_counter() - t0) * 1000)
            have += args.posts
            path = books.projection("bench").path
            t0 = time.perf_counter()
            _entries, errors, _ = loader.load_file(str(path))
            load = time.perf_counter() - t0
            assert not errors, errors[:3]
            p50, p99 = statistics.median(latencies), percentile(latencies, 99)
            print(
                f"{size:>8} {p50:>8.2f} {p99:>8.2f} {load:>8.2f} {load * 1000 / p99:>9.0f}x"
                f"   (bulk fill: {fill:.1f} s)"
            )
        books.engine.dispose()


if __name__ == "__main__":
    main()
