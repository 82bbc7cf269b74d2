"""Start the real server: ``commons serve`` as a subprocess on a free loopback port with its own
data directory (``start_server``, a context manager), and run ``commons`` commands against it.
The ``demo_server`` fixture in ``conftest.py`` uses it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

#: The installed ``commons`` script next to this interpreter (what ``make run`` runs).
COMMONS = [str(Path(sys.executable).with_name("commons"))]
STARTUP_SECONDS = 90


@dataclass(frozen=True)
class Server:
    base_url: str
    data: Path
    output: Path  # the server's stdout and stderr

    def commons(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a ``commons`` command against the server's data directory."""
        return run_commons(self.data, *args, check=check)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=30)


def run_commons(data: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [*COMMONS, "--data", str(data), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(),
    )
    if check and result.returncode != 0:
        raise AssertionError(f"commons {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMONS_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def start_server(data: Path, *, setup: Sequence[Sequence[str]] = ()) -> Iterator[Server]:
    """Run each ``setup`` command (e.g. ``["demo"]``), then ``commons serve``; wait until it
    answers; stop it afterwards (SIGTERM, then SIGKILL)."""
    data.mkdir(parents=True, exist_ok=True)
    for args in setup:
        run_commons(data, *args)
    port = free_port()
    output = data.parent / f"server-{port}.log"
    with output.open("w") as log:
        process = subprocess.Popen(
            [*COMMONS, "--data", str(data), "serve", "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=_env(),
        )
    server = Server(f"http://127.0.0.1:{port}", data, output)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                raise AssertionError(f"the server exited:\n{output.read_text()}")
            try:
                if httpx.get(f"{server.base_url}/login", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"the server did not start:\n{output.read_text()}")
            time.sleep(0.25)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
