"""Posting through HTTP on the ordinary routes: one client, then eight at once, each post
durable (SQLite WAL, synchronous=FULL; PostgreSQL's default synchronous commit) before its 201.
Prints throughput and latency percentiles, and the server's CPU time per post. Figures for the
README, never asserted.

Each client is the standard library's http.client on one kept-alive connection (a lean
client, so the figure is mostly the server's), a few rounds, keeping the median round.
``--entries`` fills the community first (in batches of 1,000, every rule checked);
``--db sqlite,postgresql`` runs on each (PostgreSQL: a scratch database on
``COMMONS_BENCH_PG``, default ``postgresql://postgres@127.0.0.1:5432/postgres``).

Anchors, measured in the same run on the same machine, to read the figures against: the same
clients GETting the login page (the server's floor: routing, middleware, a template, no
database), and one durable one-row commit on the backend (the floor of any post).

    .venv/bin/python bench/http_post.py [--posts 1000] [--rounds 3] [--clients 1,8]
    .venv/bin/python bench/http_post.py --entries 100000 --clients 8 --db sqlite,postgresql
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sqlite3
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from _serve import body, community_with_token, fill, scratch_pg, serve


def server_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def reader(url: str, token: str, requests: int, _prefix: str, out: list[float]) -> None:
    """The anchor's client: GET the login page ``requests`` times on one connection."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        for _ in range(requests):
            t0 = time.perf_counter()
            connection.request("GET", "/login")
            response = connection.getresponse()
            response.read()
            out.append((time.perf_counter() - t0) * 1000)
            assert response.status == 200, response.status
    finally:
        connection.close()


def client(url: str, token: str, posts: int, prefix: str, out: list[float]) -> None:
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    try:
        for n in range(posts):
            payload = json.dumps(body(n, f"{prefix}{n}")).encode()
            t0 = time.perf_counter()
            connection.request("POST", "/api/v1/communities/bench/transactions", payload, headers)
            response = connection.getresponse()
            response.read()
            out.append((time.perf_counter() - t0) * 1000)
            assert response.status == 201, response.status
    finally:
        connection.close()


def round_of(
    url: str,
    token: str,
    clients: int,
    posts: int,
    prefix: str,
    pid: int,
    work: Callable[[str, str, int, str, list[float]], None] = client,
) -> tuple:
    latencies: list[list[float]] = [[] for _ in range(clients)]
    threads = [
        threading.Thread(target=work, args=(url, token, posts // clients, f"{prefix}c{i}-", out))
        for i, out in enumerate(latencies)
    ]
    cpu0, started = server_cpu(pid), time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed, cpu = time.perf_counter() - started, server_cpu(pid) - cpu0
    flat = sorted(x for out in latencies for x in out)
    return len(flat) / elapsed, flat, cpu / len(flat)


def commit_anchor(db: str | None, folder: Path, commits: int = 200) -> list[float]:
    """Milliseconds of ``commits`` one-row durable commits, one at a time: on SQLite a file
    in ``folder`` (WAL, synchronous=FULL, as the ledger's), on PostgreSQL a table in ``db``."""
    times: list[float] = []
    if db is None:
        connection = sqlite3.connect(folder / "anchor.db", isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute("CREATE TABLE anchor (n INTEGER)")
        for n in range(commits):
            t0 = time.perf_counter()
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("INSERT INTO anchor VALUES (?)", (n,))
            connection.execute("COMMIT")
            times.append((time.perf_counter() - t0) * 1000)
        connection.close()
        return sorted(times)
    import psycopg

    with psycopg.connect(db) as connection:
        connection.execute("CREATE TABLE bench_anchor (n integer)")
        connection.commit()
        for n in range(commits):
            t0 = time.perf_counter()
            connection.execute("INSERT INTO bench_anchor VALUES (%s)", (n,))
            connection.commit()
            times.append((time.perf_counter() - t0) * 1000)
        connection.execute("DROP TABLE bench_anchor")
        connection.commit()
    return sorted(times)


def percentiles(flat: list[float]) -> str:
    p = statistics.quantiles(flat, n=100)
    return f"p50 {p[49]:.2f} ms, p99 {p[98]:.2f} ms"


@contextmanager
def database(backend: str) -> Iterator[str | None]:
    """None for the data directory's SQLite file, else a scratch PostgreSQL database."""
    if backend == "sqlite":
        with nullcontext(None) as nothing:
            yield nothing
    elif backend == "postgresql":
        with scratch_pg() as url:
            yield url
    else:
        raise SystemExit(f"--db: sqlite or postgresql, not {backend!r}")


def run(backend: str, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp, database(backend) as db:
        data = Path(tmp) / "data"
        token = community_with_token(data, db=db)
        if args.entries:
            t0 = time.perf_counter()
            fill(data, args.entries, db=db)
            print(f"{backend}: filled {args.entries:,} entries in {time.perf_counter() - t0:.0f} s")
        anchor = commit_anchor(db, Path(tmp))
        print(f"{backend}: anchor, one durable one-row commit: {percentiles(anchor)}")
        process, url, _ = serve(data, db=db)
        try:
            warm: list[float] = []  # the first post builds the community's in-memory state
            client(url, token, 1, f"warm-{time.time_ns()}-", warm)
            print(f"{backend}: first post after start {warm[0]:.0f} ms (not counted)")
            for clients in (int(c) for c in args.clients.split(",")):
                _, flat, _ = round_of(url, token, clients, args.posts, "", process.pid, reader)
                print(f"{backend}: anchor, {clients} client(s) GET /login: {percentiles(flat)}")
                rounds = [
                    round_of(url, token, clients, args.posts, f"r{r}-{clients}-", process.pid)
                    for r in range(args.rounds)
                ]
                rounds.sort(key=lambda r: r[0])
                rate, flat, cpu = rounds[len(rounds) // 2]
                print(
                    f"{backend}: {clients} client(s), {len(flat)} posts"
                    f" on {args.entries:,} entries: {rate:,.0f} posts/s "
                    f"(rounds {', '.join(f'{r[0]:,.0f}' for r in rounds)}); "
                    f"{percentiles(flat)}; server CPU {1000 * cpu:.2f} ms/post"
                )
        finally:
            process.terminate()
            process.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", default="1,8")
    parser.add_argument("--entries", type=int, default=0, help="fill the community first")
    parser.add_argument("--db", default="sqlite", help="sqlite, postgresql or both, commas")
    args = parser.parse_args()
    for backend in args.db.split(","):
        run(backend, args)


if __name__ == "__main__":
    main()
