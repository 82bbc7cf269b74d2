"""Shared by the benchmarks: a data directory with a community and a treasurer token, and
``commons serve`` as a subprocess on a free loopback port."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

COMMONS = str(Path(sys.executable).with_name("commons"))
ACCOUNTS = ("Assets:1002-银行存款:01-基本户", "Income:4301-共有收益:01-停车费")


def commons(data: Path, *args: str) -> str:
    result = subprocess.run(
        [COMMONS, "--data", str(data), *args], capture_output=True, text=True, check=True
    )
    return result.stdout


def community_with_member(data: Path, slug: str = "bench") -> tuple[str, str]:
    """Create the community (if needed) and a new treasurer; returns their username (for
    ``commons post --as``) and API token."""
    if not (data / slug).exists():
        commons(data, "init", slug, "--name", "bench", "--start", "2025-01-01")
    username = f"t{time.time_ns()}"
    out = commons(data, "user", "add", username, "--community", slug, "--role", "treasurer")
    return username, out.strip().splitlines()[-1]


def community_with_token(data: Path, slug: str = "bench") -> str:
    """Create the community (if needed) and a treasurer; returns the API token."""
    return community_with_member(data, slug)[1]


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(data: Path, *extra: str) -> tuple[subprocess.Popen[bytes], str, float]:
    """Start the server (``extra``: more ``serve`` options); returns the process, its URL
    and the seconds to its first answer."""
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [COMMONS, "--data", str(data), "serve", "--host", "127.0.0.1", "--port", str(port), *extra],
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
