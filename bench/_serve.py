"""Shared by the benchmarks: a data directory with a community and a treasurer token, and
``commons serve`` as a subprocess on a free loopback port; with ``db``, on that database instead
of the data directory's SQLite file (``scratch_pg`` makes an empty PostgreSQL database)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

COMMONS = str(Path(sys.executable).with_name("commons"))
ACCOUNTS = ("Assets:1002-银行存款:01-基本户", "Income:4301-共有收益:01-停车费")
#: The PostgreSQL server the benchmarks make their scratch databases on.
PG_ADMIN = os.environ.get("COMMONS_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _db_args(db: str | None) -> list[str]:
    return ["--db", db] if db else []


def commons(data: Path, *args: str, db: str | None = None) -> str:
    result = subprocess.run(
        [COMMONS, "--data", str(data), *_db_args(db), *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def community_with_member(
    data: Path, slug: str = "bench", *, db: str | None = None
) -> tuple[str, str]:
    """Create the community (if needed) and a new treasurer; returns their username (for
    ``commons post --as``) and API token."""
    if not (data / slug).exists():
        commons(data, "init", slug, "--name", "bench", "--start", "2025-01-01", db=db)
    username = f"t{time.time_ns()}"
    out = commons(data, "user", "add", username, "--community", slug, "--role", "treasurer", db=db)
    return username, out.strip().splitlines()[-1]


def community_with_token(data: Path, slug: str = "bench", *, db: str | None = None) -> str:
    """Create the community (if needed) and a treasurer; returns the API token."""
    return community_with_member(data, slug, db=db)[1]


@contextmanager
def scratch_pg() -> Iterator[str]:
    """A new, empty PostgreSQL database on ``PG_ADMIN``'s server, dropped afterwards."""
    import psycopg

    name = f"commons_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fill(data: Path, entries: int, *, slug: str = "bench", db: str | None = None) -> None:
    """Post ``entries`` transactions in batches of 1,000 (``journal.post_many``, in this
    process: every rule checked, each batch one transaction)."""
    from api.books import open_books
    from api.settings import Settings
    from ledger import journal
    from ledger.schemas import TransactionIn

    books = open_books(Settings(data=data, db=db))
    try:
        for first in range(0, entries, 1000):
            drafts = [
                TransactionIn.model_validate(body(n, f"f{n}"))
                for n in range(first, min(first + 1000, entries))
            ]
            journal.post_many(books=books, slug=slug, drafts=drafts, actor="bench")
    finally:
        books.engine.dispose()


def body(n: int, key: str) -> dict[str, Any]:
    amount = f"{80 + n % 50}.00"
    day = date(2025, 1, 1) + timedelta(days=n % 365)
    return {
        "date": day.isoformat(),
        "payee": "停车场",
        "narration": f"临时停车费 #{n}",
        "kind": "income",
        "postings": [
            {"account": ACCOUNTS[0], "amount": amount},
            {"account": ACCOUNTS[1], "amount": f"-{amount}"},
        ],
        "idempotency_key": key,
    }


def machine_anchor() -> str:
    """The anchor printed beside figures that have no natural one: milliseconds this machine
    takes, now, for a fixed piece of Python (a million additions and 2,000 SHA-256 of 4 KiB),
    the best of five. On a shared machine it moves with the load, and the figures with it."""
    import hashlib

    block = bytes(4096)
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        total = 0
        for n in range(1_000_000):
            total += n
        for _ in range(2000):
            hashlib.sha256(block).digest()
        best = min(best, time.perf_counter() - t0)
    return f"anchor: a fixed piece of Python takes {1000 * best:.0f} ms on this machine now"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(
    data: Path, *extra: str, db: str | None = None
) -> tuple[subprocess.Popen[bytes], str, float]:
    """Start the server (``extra``: more ``serve`` options); returns the process, its URL
    and the seconds to its first answer."""
    port = free_port()
    started = time.perf_counter()
    address = ["--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        [COMMONS, "--data", str(data), *_db_args(db), "serve", *address, *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            if httpx.get(f"{url}/login", timeout=1).status_code == 200:
                return process, url, time.perf_counter() - started
        except httpx.TransportError:
            time.sleep(0.02)
        if process.poll() is not None:
            raise SystemExit("the server exited")
