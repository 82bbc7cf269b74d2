"""Crash: 8 clients post with idempotency keys while the real server is killed with SIGKILL at
a random moment, again and again. After every restart: every acknowledged entry is there
exactly once, no partial entry exists, the chain verifies and the projection equals the
journal (repaired at start-up); clients retrying their unacknowledged posts with the same keys
end with each posted exactly once."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from api.books import open_books
from api.settings import Settings
from audit.verify import verify
from ledger import chart
from ledger.models import Entry, Posting
from tests.acceptance.live_server import run_commons
from tests.acceptance.processes import ServeProcess

CLIENTS = 8


def body(key: str, cents: int) -> dict[str, object]:
    amount = f"{1 + cents // 100}.{cents % 100:02d}"
    return {
        "date": "2025-03-31",
        "payee": "停车场",
        "narration": f"临时停车 {key}",
        "kind": "income",
        "postings": [
            {"account": chart.BANK, "amount": amount},
            {"account": chart.INCOME_PARKING, "amount": f"-{amount}"},
        ],
        "idempotency_key": key,
    }


class Clients:
    """Each client posts keys c{i}-{n} in order; a post without an answer stays unacknowledged
    and is retried with the same key and body after the restart."""

    def __init__(self, token: str) -> None:
        self.headers = {"Authorization": f"Bearer {token}"}
        self.acked: set[str] = set()
        self.unacked: dict[str, dict[str, object]] = {}
        self.next = [0] * CLIENTS
        self.lock = threading.Lock()

    def run(self, base_url: str, stop: threading.Event) -> None:
        def client(index: int) -> None:
            with httpx.Client(base_url=base_url, headers=self.headers, timeout=10) as http:
                while not stop.is_set():
                    n = self.next[index]
                    key = f"c{index}-{n}"
                    payload = body(key, index * 1000 + n)
                    try:
                        response = http.post("/api/v1/communities/maple/transactions", json=payload)
                    except httpx.TransportError:
                        with self.lock:
                            self.unacked[key] = payload
                        self.next[index] += 1
                        return
                    assert response.status_code == 201, response.text
                    with self.lock:
                        self.acked.add(key)
                    self.next[index] += 1

        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    def retry(self, base_url: str) -> None:
        with httpx.Client(base_url=base_url, headers=self.headers, timeout=30) as http:
            for key, payload in sorted(self.unacked.items()):
                response = http.post("/api/v1/communities/maple/transactions", json=payload)
                assert response.status_code == 201, response.text
                self.acked.add(key)
        self.unacked.clear()


def check_books(data: Path, acked: set[str]) -> None:
    books = open_books(Settings(data=data))
    try:
        with Session(books.engine) as session:
            keys = list(session.execute(select(Entry.idempotency_key)).scalars())
            assert len(keys) == len(set(keys)), "an idempotency key was posted twice"
            missing = acked - set(keys)
            assert not missing, f"acknowledged but lost: {sorted(missing)[:5]}"
            partial = session.execute(
                select(Entry.id)
                .outerjoin(Posting, Posting.entry_id == Entry.id)
                .group_by(Entry.id)
                .having((func.count(Posting.id) < 2) | (func.sum(Posting.amount_fen) != 0))
            ).all()
            assert partial == [], "an entry without its postings"
        report = verify(books, "maple")
        assert report.ok, report.problems
    finally:
        books.engine.dispose()


def crash_rounds(tmp_path: Path, rounds: int) -> None:
    data = tmp_path / "data"
    data.mkdir()
    run_commons(data, "init", "maple", "--name", "枫林苑", "--start", "2025-01-01")
    token = (
        run_commons(data, "user", "add", "t", "--community", "maple", "--role", "treasurer")
        .stdout.strip()
        .splitlines()[-1]
    )
    server = ServeProcess(data)
    clients = Clients(token)
    rng = random.Random(20251122)
    try:
        for _ in range(rounds):
            server.start()  # start-up repairs the projection a kill left behind
            check_books(data, clients.acked)
            if clients.unacked:
                clients.retry(server.base_url)
            stop = threading.Event()
            posting = threading.Thread(target=clients.run, args=(server.base_url, stop))
            posting.start()
            time.sleep(rng.uniform(0.3, 1.5))
            server.kill()
            stop.set()
            posting.join(timeout=90)
        server.start()
        check_books(data, clients.acked)
        clients.retry(server.base_url)
        server.stop()
        check_books(data, clients.acked)
        assert len(clients.acked) > rounds  # the clients really posted between the kills
    finally:
        server.stop()


def test_crash_quick(tmp_path: Path) -> None:
    crash_rounds(tmp_path, rounds=3)


@pytest.mark.acceptance
@pytest.mark.slow
def test_crash_twenty_rounds(tmp_path: Path) -> None:
    """The soak: twenty kills. ``make soak`` runs it (and the other slow tests); ``make
    test`` keeps to the three-round run above, to stay within its time."""
    crash_rounds(tmp_path, rounds=20)
