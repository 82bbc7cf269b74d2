"""Posting through HTTP, one client, one transaction at a time, each durable (SQLite WAL,
synchronous=FULL) before its 201. Target: at least 500 posts per second.

    .venv/bin/python bench/http_post.py [--posts 2000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from _serve import body, community_with_token, serve


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="commons-http-") as tmp:
        data = Path(tmp) / "data"
        token = community_with_token(data)
        process, url, _ = serve(data)
        try:
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
                for n in range(50):  # warm up: state built, connections open
                    http.post("/api/v1/communities/bench/transactions", json=body(n, f"w{n}"))
                latencies = []
                started = time.perf_counter()
                for n in range(args.posts):
                    t0 = time.perf_counter()
                    response = http.post(
                        "/api/v1/communities/bench/transactions", json=body(n, f"p{n}")
                    )
                    latencies.append((time.perf_counter() - t0) * 1000)
                    assert response.status_code == 201, response.text
                elapsed = time.perf_counter() - started
        finally:
            process.terminate()
            process.wait()
    latencies.sort()
    print(f"HTTP, one client, one at a time: {args.posts} posts in {elapsed:.2f} s")
    print(
        f"  {args.posts / elapsed:,.0f} posts/s   p50 {statistics.median(latencies):.2f} ms"
        f"   p99 {latencies[int(0.99 * (len(latencies) - 1))]:.2f} ms   (target: >= 500 posts/s)"
    )


if __name__ == "__main__":
    main()
