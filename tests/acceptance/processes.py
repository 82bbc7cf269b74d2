"""A ``commons serve`` process that a test can kill with SIGKILL and start again on the same
data directory and database (crash tests, two servers behind one PostgreSQL)."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests.acceptance.live_server import COMMONS, STARTUP_SECONDS, _env, free_port


class ServeProcess:
    def __init__(self, data: Path, *, db: str | None = None, name: str = "server") -> None:
        self.data = data
        self.db = db
        self.name = name
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = data.parent / f"{name}-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        args = [*COMMONS, "--data", str(self.data)]
        if self.db:
            args += ["--db", self.db]
        args += ["serve", "--host", "127.0.0.1", "--port", str(self.port)]
        with self.log.open("a") as log:
            log.write(f"--- start {self.starts}\n")
            log.flush()
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=_env())
        self.starts += 1
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited:\n{self.log.read_text()[-4000:]}")
            try:
                if httpx.get(f"{self.base_url}/login", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} did not start:\n{self.log.read_text()[-4000:]}")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no flushing; what a power cut would leave."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
