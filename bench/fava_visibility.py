"""Post → visible in Fava with a long history split by fiscal year (``ledger.projection``):
90,000 entries in two closed years (2024, 2025) and 2,000, then 10,000, in the open year (2026).
A post is timed from before ``journal.post`` until a fresh GET of Fava's journal (filtered on
the new entry's narration) shows it: the request catches the projection up and Fava reloads the
open years' book, never the closed years'. The anchor, measured in the same run: the same
100,000 entries as one file (the projection before the split), the same post made visible.

The books are built in-process with the bulk path (``journal.post_many``, what
``commons post --file`` and ``POST .../transactions/bulk`` run) and the years closed with
``rules.periods.close`` (the rules set to close years and to need no reserve: the close's own
checks are not what is measured).

    .venv/bin/python bench/fava_visibility.py [--closed 90000] [--open 2000,10000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.books import open_books
from api.fava_mount import FavaMount, fava_app
from api.settings import Settings
from ledger import chart, journal
from ledger.books import Books
from ledger.projection import Projection
from ledger.schemas import PostingIn, TransactionIn
from rules.community import create
from rules.periods import close
from rules.rules_store import set_rules

SLUG = "bench"
BATCH = 5000
RULES = """\
[[version]]
effective_from = 2000-01-01
period = "year"
reserve_share_min = "0.00"
reserve_comparison = "at_least"
"""


def draft(n: int, day: date, narration: str | None = None) -> TransactionIn:
    amount = Decimal(f"{80 + n % 50}.00")
    return TransactionIn(
        date=day,
        payee="停车场",
        narration=narration or f"临时停车费 #{n}",
        kind="income",
        postings=[
            PostingIn(account=chart.BANK, amount=amount),
            PostingIn(account=chart.INCOME_PARKING, amount=-amount),
        ],
    )


def bulk(books: Books, count: int, first: date, days: int, offset: int) -> None:
    """``count`` entries spread over ``days`` days from ``first``, in batches."""
    for low in range(0, count, BATCH):
        drafts = [
            draft(offset + n, first + timedelta(days=n * days // count))
            for n in range(low, min(low + BATCH, count))
        ]
        journal.post_many(books=books, slug=SLUG, drafts=drafts, actor="bench")


def until_shown(get: Callable[[], str], token: str, started: float) -> float:
    """Seconds from ``started`` until ``get()`` (Fava's answer) holds ``token``."""
    while token not in get():
        if time.perf_counter() - started > 120:
            raise SystemExit(f"{token} never showed")
    return time.perf_counter() - started


def post_to_visible(books: Books, client: TestClient, n: int) -> float:
    token = f"post-{n}"  # ASCII: Fava's JSON escapes the rest
    url = f"/fava/{SLUG}/api/journal?filter={token}"
    started = time.perf_counter()
    journal.post(
        books=books, slug=SLUG, draft=draft(n, date(2026, 11, 1), f"新的停车费 {token}"), actor="b"
    )
    return until_shown(lambda: client.get(url).text, token, started)


def anchor(books: Books, folder: Path, n: int) -> tuple[float, float]:
    """The same books as one file: its first load, and a post made visible (the entry
    appended as the projection did before the split, then Fava's journal asked again)."""
    single = Projection(folder)
    with Session(books.engine) as session:
        community = books.community(session, SLUG)
        single.rebuild(books.header(session, community), books.chained(session, community.id))
    started = time.perf_counter()
    flask = fava_app(single.path)
    client = flask.test_client()
    client.get(f"/{SLUG}/income_statement/")
    loaded = time.perf_counter() - started
    token = f"post-{n}"
    started = time.perf_counter()
    journal.post(
        books=books, slug=SLUG, draft=draft(n, date(2026, 11, 1), f"新的停车费 {token}"), actor="b"
    )
    with Session(books.engine) as session:
        community = books.community(session, SLUG)
        (item,) = books.chained(session, community.id, after_seq=community.head_seq - 1)
    with open(single.path, "a", encoding="utf-8") as out:
        out.write("\n" + item.render())

    def get() -> str:
        client.get(f"/{SLUG}/income_statement/")  # Fava looks at its file before a page
        return client.get(f"/{SLUG}/api/journal?filter={token}").get_data(as_text=True)

    return loaded, until_shown(get, token, started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--closed", type=int, default=90_000)
    parser.add_argument("--open", default="2000,10000")
    args = parser.parse_args()
    sizes = [int(n) for n in args.open.split(",")]
    with tempfile.TemporaryDirectory(prefix="commons-fava-") as tmp:
        data = Path(tmp) / "data"
        books = open_books(Settings(data=data))
        create(books=books, slug=SLUG, name="bench", start=date(2024, 1, 1))
        set_rules(books=books, slug=SLUG, text=RULES, actor="bench")
        started = time.perf_counter()
        half = args.closed // 2
        bulk(books, half, date(2024, 1, 1), 365, 0)
        bulk(books, args.closed - half, date(2025, 1, 1), 364, half)
        built = time.perf_counter() - started
        started = time.perf_counter()
        for year in ("2024", "2025"):
            close(books=books, slug=SLUG, period=year, actor="bench")
        closing = time.perf_counter() - started
        print(f"built {args.closed:,} entries in 2024-2025 in {built:.1f} s; closed both years")
        print(f"  in {closing:.1f} s (each year's file written once)")
        mount = FavaMount(books)
        app = FastAPI()
        app.mount("/fava", mount)
        client = TestClient(app)
        done = 0
        for size in sizes:
            bulk(books, size - done, date(2026, 1, 1), 330, args.closed + done)
            done = size
            started = time.perf_counter()
            client.get(f"/fava/{SLUG}/income_statement/")
            first = time.perf_counter() - started
            times = sorted(post_to_visible(books, client, 10_000_000 + i) for i in range(5))
            done += 5
            print(
                f"open year {size:,} entries (+{args.closed:,} closed): first page {first:.2f} s; "
                f"post -> visible median {times[2]:.2f} s (min {times[0]:.2f}, max {times[-1]:.2f})"
            )
        year_started = time.perf_counter()
        page = client.get(f"/fava/{SLUG}/2025/income_statement/")
        assert page.status_code == 200
        print(
            f"closed year 2025 ({args.closed - half:,} entries): first page (load) "
            f"{time.perf_counter() - year_started:.2f} s, never reloaded"
        )
        total = args.closed + done
        loaded, visible = anchor(books, Path(tmp) / "single" / SLUG, 20_000_000)
        print(
            f"anchor: the same {total:,} entries as one file: first load {loaded:.2f} s; "
            f"post -> visible {visible:.2f} s"
        )
        books.dispose()


if __name__ == "__main__":
    main()
