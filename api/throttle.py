"""Failed logins slow guessing down: after ``limit`` failures for one username from one address
within ``window``, that pair is refused (429) until the oldest failure ages out. In memory, per
process: enough for one committee's server; a successful login clears the pair."""

from __future__ import annotations

import threading
from collections import deque
from datetime import timedelta

from ledger import clock


class LoginThrottle:
    def __init__(self, *, limit: int = 5, window: timedelta = timedelta(minutes=15)) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and now - times[0] >= self.window.total_seconds():
            times.popleft()
        return times

    def retry_after(self, username: str, address: str | None) -> int:
        """Seconds until this pair may try again; 0 when it may try now."""
        key = (username.casefold(), address or "")
        now = clock.now().timestamp()
        with self._lock:
            times = self._recent(key, now)
            if len(times) < self.limit:
                return 0
            return max(1, int(times[0] + self.window.total_seconds() - now) + 1)

    def failed(self, username: str, address: str | None) -> None:
        key = (username.casefold(), address or "")
        now = clock.now().timestamp()
        with self._lock:
            self._recent(key, now).append(now)
            if len(self._failures) > 10_000:  # forget the oldest pairs rather than grow forever
                for stale in list(self._failures)[:1000]:
                    del self._failures[stale]

    def succeeded(self, username: str, address: str | None) -> None:
        with self._lock:
            self._failures.pop((username.casefold(), address or ""), None)
