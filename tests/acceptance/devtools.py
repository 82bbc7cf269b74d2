"""A headless Chromium driven over the DevTools protocol (``--remote-debugging-port`` and the
``websockets`` package uvicorn already brings): open a page, run JavaScript in it, and collect
what the console and the Content-Security-Policy reported. Enough for the acceptance tests;
no Playwright."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--remote-debugging-port=0",
    "--remote-allow-origins=*",
    "--window-size=1280,900",
)


class Page:
    """One tab, attached over the browser's DevTools socket (flattened sessions)."""

    def __init__(self, socket: ClientConnection, session: str) -> None:
        self.socket = socket
        self.session = session
        self._next = 0
        #: Console messages, uncaught exceptions and browser log entries (CSP refusals are
        #: among them: "Refused to execute inline script ...").
        self.log: list[str] = []
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, timeout: float = 60, **params: Any) -> dict[str, Any]:
        self._next += 1
        ident = self._next
        message: dict[str, Any] = {"id": ident, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        self.socket.send(json.dumps(message))
        deadline = time.monotonic() + timeout
        while True:
            message = self._receive(deadline)
            if message.get("id") == ident and message.get("sessionId", "") == self.session:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result

    def _receive(self, deadline: float) -> dict[str, Any]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError("Chromium did not answer in time")
        message: dict[str, Any] = json.loads(self.socket.recv(timeout=remaining))
        method = message.get("method")
        if method is not None:
            self.events.append(message)
            params = message.get("params", {})
            if method == "Runtime.consoleAPICalled":
                args = " ".join(
                    str(a.get("value", a.get("description", ""))) for a in params["args"]
                )
                self.log.append(f"console.{params['type']}: {args}")
            elif method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                self.log.append(f"exception: {details.get('exception', {}).get('description')}")
            elif method == "Log.entryAdded":
                entry = params["entry"]
                self.log.append(f"log.{entry['level']} ({entry['source']}): {entry['text']}")
        return message

    def pump(self, seconds: float) -> None:
        """Let events arrive for ``seconds``."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                self._receive(deadline)
            except (TimeoutError, AssertionError):
                return

    def evaluate(self, expression: str) -> Any:
        answer = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in answer:
            raise AssertionError(f"{expression}: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def open(self, url: str) -> None:
        """Navigate and wait for the load event."""
        self.events.clear()
        self.send("Page.navigate", url=url)
        deadline = time.monotonic() + 60
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            self._receive(deadline)

    def wait_for(self, expression: str, seconds: float = 30) -> Any:
        """Poll ``expression`` until it is truthy; its value."""
        deadline = time.monotonic() + seconds
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"never true: {expression}\nlog: {self.log}")
            self.pump(0.25)

    def csp_refusals(self) -> list[str]:
        return [line for line in self.log if "Content Security Policy" in line]


@contextmanager
def browser(profile: Path) -> Iterator[Page]:
    """A fresh headless Chromium with one tab; closed (and waited for) afterwards."""
    assert CHROMIUM is not None
    output = profile.with_name(profile.name + ".log")
    with output.open("w") as log:
        process = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    try:
        address = None
        deadline = time.monotonic() + 60
        while address is None:
            found = re.search(r"DevTools listening on (ws://\S+)", output.read_text())
            address = found.group(1) if found else None
            if address is None:
                assert process.poll() is None, f"Chromium exited:\n{output.read_text()}"
                assert time.monotonic() < deadline, f"no DevTools port:\n{output.read_text()}"
                time.sleep(0.1)
        with connect(address, max_size=None, open_timeout=30) as socket:
            root = Page(socket, "")
            target = root.send("Target.createTarget", url="about:blank")["targetId"]
            attached = root.send("Target.attachToTarget", targetId=target, flatten=True)
            page = Page(socket, attached["sessionId"])
            for domain in ("Page", "Runtime", "Log"):
                page.send(f"{domain}.enable")
            yield page
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
