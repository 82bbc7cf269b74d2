"""Posting through HTTP, one client, one transaction at a time, each durable (SQLite WAL,
synchronous=FULL) before its 201. Target: at least 500 posts per second.

Runs with httpx (a typical Python client; it spends about 0.4 ms of its own per request, on
the same two cores as the server) and with the standard library's http.client on one
kept-alive connection (a lean client, so the figure is mostly the server's), a few rounds
each, keeping the median. Prints the server's CPU time per post too.

Two layouts: server and client free to use both cores, then the server pinned to one CPU
(``commons serve --cpu 1``) and the client to the other, so the server's wake-ups stay on one
core and the client no longer competes with it.

    .venv/bin/python bench/http_post.py [--posts 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from _serve import body, community_with_token, cpus_of, serve


def server_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_httpx(url: str, token: str, posts: int, prefix: str) -> list[float]:
    headers = {"Authorization": f"Bearer {token}"}
    latencies = []
    with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
        for n in range(posts):
            t0 = time.perf_counter()
            response = http.post(
                "/api/v1/communities/bench/transactions", json=body(n, f"{prefix}{n}")
            )
            latencies.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 201, response.text
    return latencies


def run_raw(url: str, token: str, posts: int, prefix: str) -> list[float]:
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    latencies = []
    try:
        for n in range(posts):
            payload = json.dumps(body(n, f"{prefix}{n}")).encode()
            t0 = time.perf_counter()
            connection.request("POST", "/api/v1/communities/bench/transactions", payload, headers)
            response = connection.getresponse()
            response.read()
            latencies.append((time.perf_counter() - t0) * 1000)
            assert response.status == 201, response.status
    finally:
        connection.close()
    return latencies


def report(name: str, latencies: list[float], elapsed: float, cpu: float) -> None:
    latencies = sorted(latencies)
    count = len(latencies)
    print(
        f"  {name:<12} {count / elapsed:7,.0f} posts/s   p50 {statistics.median(latencies):.2f} ms"
        f"   p99 {latencies[int(0.99 * (count - 1))]:.2f} ms"
        f"   server CPU {1000 * cpu / count:.2f} ms/post   (target: >= 500 posts/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3, help="per client; the median is kept")
    args = parser.parse_args()
    layouts = [("server and client on both cores", (), None)]
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2:
        layouts.append(("server on CPU 1 (serve --cpu 1), client on CPU 0", ("--cpu", "1"), 0))
    own_cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    with tempfile.TemporaryDirectory(prefix="commons-http-") as tmp:
        data = Path(tmp) / "data"
        token = community_with_token(data)
        for layout, options, client_cpu in layouts:
            process, url, _ = serve(data, *options)
            if client_cpu is not None:
                os.sched_setaffinity(0, {client_cpu})
            try:
                run_httpx(url, token, 50, "warm")  # state built, connections open
                print(
                    f"HTTP, one client, one transaction at a time, {args.posts} posts a round, "
                    f"{args.rounds} rounds, the median kept; {layout} "
                    f"(server CPUs: {cpus_of(process.pid)}):"
                )
                for name, run in (("httpx", run_httpx), ("http.client", run_raw)):
                    rounds = []
                    for r in range(args.rounds):
                        cpu0, started = server_cpu(process.pid), time.perf_counter()
                        latencies = run(url, token, args.posts, f"{layout[:6]}-{name}-{r}-")
                        elapsed = time.perf_counter() - started
                        cpu = server_cpu(process.pid) - cpu0
                        rounds.append((args.posts / elapsed, latencies, elapsed, cpu))
                    rounds.sort(key=lambda item: item[0])
                    listed = ", ".join(f"{rate:,.0f}/s" for rate, *_ in rounds)
                    print(f"    {name} rounds: {listed}")
                    _, latencies, elapsed, cpu = rounds[len(rounds) // 2]
                    report(name, latencies, elapsed, cpu)
            finally:
                process.terminate()
                process.wait()
                if own_cpus is not None:
                    os.sched_setaffinity(0, own_cpus)


if __name__ == "__main__":
    main()
