"""The bulk paths: POST .../transactions/bulk ({"transactions": [...]}, all or nothing, every
rule checked) and `commons post SLUG --file F.jsonl`. Target: at least 5,000 transactions/s.

    .venv/bin/python bench/bulk.py [--batches 10] [--size 1000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
from _serve import COMMONS, body, community_with_member, machine_anchor, serve


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument(
        "--cli-lines",
        default="10000,50000",
        help="file sizes for commons post --file (its start-up is paid once a file)",
    )
    args = parser.parse_args()
    total = args.batches * args.size
    with tempfile.TemporaryDirectory(prefix="commons-bulk-") as tmp:
        data = Path(tmp) / "data"
        treasurer, token = community_with_member(data)
        process, url, _ = serve(data)
        try:
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=url, headers=headers, timeout=300) as http:
                http.post("/api/v1/communities/bench/transactions", json=body(0, "warm"))
                started = time.perf_counter()
                for b in range(args.batches):
                    batch = [body(n, f"api-{b}-{n}") for n in range(args.size)]
                    response = http.post(
                        "/api/v1/communities/bench/transactions/bulk", json={"transactions": batch}
                    )
                    assert response.status_code == 201, response.text[:500]
                api_elapsed = time.perf_counter() - started
        finally:
            process.terminate()
            process.wait()

        cli_runs = []
        for size in (int(n) for n in args.cli_lines.split(",")):
            lines = Path(tmp) / f"many-{size}.jsonl"
            lines.write_text(
                "\n".join(
                    json.dumps(body(n, f"cli-{size}-{n}"), ensure_ascii=False) for n in range(size)
                )
                + "\n"
            )
            started = time.perf_counter()
            done = subprocess.run(
                [
                    COMMONS,
                    "--data",
                    str(data),
                    "post",
                    "bench",
                    "--file",
                    str(lines),
                    "--as",
                    treasurer,
                ],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            cli_runs.append((size, time.perf_counter() - started, done.stderr.strip()))
    print(machine_anchor())
    print(
        f"bulk API: {total} transactions in {args.batches} requests: {api_elapsed:.2f} s, "
        f"{total / api_elapsed:,.0f} txn/s (target: >= 5,000)"
    )
    for size, elapsed, account in cli_runs:
        print(
            f"commons post --file .jsonl: {size} transactions: {elapsed:.2f} s, "
            f"{size / elapsed:,.0f} txn/s including process start (target: >= 5,000)"
        )
        print(f"  the command's own account: {account}")


if __name__ == "__main__":
    main()
