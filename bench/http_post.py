"""Posting through HTTP on the ordinary routes: one client, then eight at once, each post
durable (SQLite WAL, synchronous=FULL) before its 201. Prints throughput and latency
percentiles, and the server's CPU time per post. Figures for the README, never asserted.

Each client is the standard library's http.client on one kept-alive connection (a lean
client, so the figure is mostly the server's), a few rounds, keeping the median round.

    .venv/bin/python bench/http_post.py [--posts 1000] [--rounds 3] [--clients 1,8]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from _serve import body, community_with_token, serve


def server_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


def round_of(url: str, token: str, clients: int, posts: int, prefix: str, pid: int) -> tuple:
    latencies: list[list[float]] = [[] for _ in range(clients)]
    threads = [
        threading.Thread(target=client, args=(url, token, posts // clients, f"{prefix}c{i}-", out))
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", default="1,8")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        token = community_with_token(data)
        process, url, _ = serve(data)
        try:
            for clients in (int(c) for c in args.clients.split(",")):
                rounds = [
                    round_of(url, token, clients, args.posts, f"r{r}-{clients}-", process.pid)
                    for r in range(args.rounds)
                ]
                rounds.sort(key=lambda r: r[0])
                rate, flat, cpu = rounds[len(rounds) // 2]
                p = statistics.quantiles(flat, n=100)
                print(
                    f"{clients} client(s), {len(flat)} posts: {rate:,.0f} posts/s "
                    f"(rounds {', '.join(f'{r[0]:,.0f}' for r in rounds)}); "
                    f"p50 {p[49]:.2f} ms, p99 {p[98]:.2f} ms; "
                    f"server CPU {1000 * cpu:.2f} ms/post"
                )
        finally:
            process.terminate()
            process.wait()


if __name__ == "__main__":
    main()
