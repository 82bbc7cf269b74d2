"""Many communities in one process: 1,000 communities of 200 entries each, built in-process with
the bulk path (``journal.post_many``), then 200 of them browsed in turn through the Fava mount
(their income statement, then their journal's data): the first page's time and the process's
RSS as the Fava apps pile up, with the apps kept bounded (``fava_apps_max``, default 32).

    .venv/bin/python bench/many_communities.py [--communities 1000] [--entries 200]
        [--browse 200] [--apps-max 32]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.books import open_books
from api.fava_mount import FavaMount
from api.settings import Settings
from ledger import chart, journal
from ledger.schemas import PostingIn, TransactionIn
from rules.community import create


def rss_mb() -> float:
    """The resident set now, from /proc (ru_maxrss is the peak)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def drafts(count: int) -> list[TransactionIn]:
    out = []
    for n in range(count):
        amount = Decimal(f"{80 + n % 50}.00")
        out.append(
            TransactionIn(
                date=date(2026, 1, 1) + timedelta(days=n * 300 // count),
                payee="停车场",
                narration=f"临时停车费 #{n}",
                kind="income",
                postings=[
                    PostingIn(account=chart.BANK, amount=amount),
                    PostingIn(account=chart.INCOME_PARKING, amount=-amount),
                ],
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--communities", type=int, default=1000)
    parser.add_argument("--entries", type=int, default=200)
    parser.add_argument("--browse", type=int, default=200)
    parser.add_argument("--apps-max", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="commons-many-") as tmp:
        books = open_books(Settings(data=Path(tmp) / "data"))
        started = time.perf_counter()
        batch = drafts(args.entries)
        slugs = [f"c{n:04d}" for n in range(args.communities)]
        for slug in slugs:
            create(books=books, slug=slug, name=slug, start=date(2026, 1, 1))
            journal.post_many(books=books, slug=slug, drafts=batch, actor="bench")
        built = time.perf_counter() - started
        total = args.communities * args.entries
        print(
            f"built {args.communities:,} communities x {args.entries} entries ({total:,}) "
            f"in {built:.1f} s; RSS {rss_mb():.0f} MB"
        )
        mount = FavaMount(books, apps_max=args.apps_max)
        app = FastAPI()
        app.mount("/fava", mount)
        client = TestClient(app)
        firsts = []
        before = rss_mb()
        step = max(1, len(slugs) // args.browse)
        for i, slug in enumerate(slugs[::step][: args.browse]):
            started = time.perf_counter()
            assert client.get(f"/fava/{slug}/income_statement/").status_code == 200
            assert client.get(f"/fava/{slug}/api/journal").status_code == 200
            firsts.append(time.perf_counter() - started)
            if (i + 1) % 50 == 0:
                print(
                    f"  {i + 1} browsed: RSS {rss_mb():.0f} MB, {len(mount.kept())} Fava apps kept"
                )
        firsts.sort()
        print(
            f"browsed {len(firsts)} communities in turn (apps kept <= {args.apps_max}): "
            f"first page median {statistics.median(firsts):.2f} s, "
            f"p90 {firsts[int(len(firsts) * 0.9)]:.2f} s, max {firsts[-1]:.2f} s; "
            f"RSS {before:.0f} MB before, {rss_mb():.0f} MB after"
        )
        books.dispose()


if __name__ == "__main__":
    main()
