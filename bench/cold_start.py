"""Cold start: `commons serve` on books holding 100k entries, from process start to the first
answered API request (the balances, which reads the whole journal's postings), and then the first
post (which builds the community's in-memory state). Target: at most 3 seconds to the first
answered request.

    .venv/bin/python bench/cold_start.py [--entries 100000] [--data DIR (reused if it exists)]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import httpx
from _serve import body, community_with_token, fill, machine_anchor, serve


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--data", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="commons-cold-") as tmp:
        data = args.data or Path(tmp) / "data"
        fresh = not (data / "bench").exists()
        token = community_with_token(data)
        if fresh:
            t0 = time.perf_counter()
            fill(data, args.entries)
            print(f"filled {args.entries} entries in {time.perf_counter() - t0:.1f} s")
        headers = {"Authorization": f"Bearer {token}"}
        started = time.perf_counter()
        process, url, to_login = serve(data)
        try:
            response = httpx.get(
                f"{url}/api/v1/communities/bench/balances", headers=headers, timeout=60
            )
            assert response.status_code == 200, response.text
            first_api = time.perf_counter() - started
            t0 = time.perf_counter()
            posted = httpx.post(
                f"{url}/api/v1/communities/bench/transactions",
                headers=headers,
                json=body(1, f"cold-{time.time_ns()}"),
                timeout=120,
            )
            assert posted.status_code == 201, posted.text
            first_post = time.perf_counter() - t0
        finally:
            process.terminate()
            process.wait()
    print(machine_anchor())
    print(
        f"cold start with {args.entries} entries: first answer (login page) {to_login:.2f} s, "
        f"first API answer (balances) {first_api:.2f} s (target: <= 3 s)"
    )
    print(f"  first post after start (builds the in-memory state): {first_post:.2f} s")


if __name__ == "__main__":
    main()
