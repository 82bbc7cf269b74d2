"""Two server processes behind one PostgreSQL database: 8 clients × 250 posts spread over both.
The sequence is contiguous, no key is posted twice, the balances equal the sum of the postings,
the chain and projection verify, and concurrent double reversals of one entry, one through each
server, give exactly one success."""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from api.books import open_books
from api.settings import Settings
from audit.verify import verify
from ledger.models import Entry, Posting
from tests.acceptance.live_server import run_commons
from tests.acceptance.processes import ServeProcess
from tests.acceptance.test_crash import body

CLIENTS = 8
POSTS = 250
API = "/api/v1/communities/maple"


@pytest.mark.pg
def test_two_servers_one_postgresql(tmp_path: Path, pg_database: str) -> None:
    data = tmp_path / "data"
    data.mkdir()
    run_commons(
        data, "--db", pg_database, "init", "maple", "--name", "枫林苑", "--start", "2025-01-01"
    )
    token = (
        run_commons(
            data,
            "--db",
            pg_database,
            "user",
            "add",
            "t",
            "--community",
            "maple",
            "--role",
            "treasurer",
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    headers = {"Authorization": f"Bearer {token}"}
    servers = [ServeProcess(data, db=pg_database, name=f"server{i}") for i in range(2)]
    failures: list[str] = []
    try:
        for server in servers:
            server.start()

        def client(index: int) -> None:
            base = servers[index % 2].base_url
            with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
                for n in range(POSTS):
                    response = http.post(f"{API}/transactions", json=body(f"c{index}-{n}", n))
                    if response.status_code != 201:
                        failures.append(f"{index}-{n}: {response.status_code} {response.text}")
                        return

        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)
        assert failures == []

        # concurrent double reversals, one request through each server
        with httpx.Client(base_url=servers[0].base_url, headers=headers) as http:
            listing = http.get(f"{API}/transactions", params={"limit": 5}).json()
        targets = [item["id"] for item in listing["items"]][:5]
        outcomes: list[int] = []

        def reverse(entry_id: str, server: ServeProcess) -> None:
            with httpx.Client(base_url=server.base_url, headers=headers, timeout=60) as http:
                answer = http.post(f"{API}/transactions/{entry_id}/reverse", json={"reason": "x"})
                outcomes.append(answer.status_code)

        pairs = [
            threading.Thread(target=reverse, args=(entry_id, server))
            for entry_id in targets
            for server in servers
        ]
        for thread in pairs:
            thread.start()
        for thread in pairs:
            thread.join(timeout=120)
        assert sorted(outcomes) == [201] * len(targets) + [409] * len(targets)

        with httpx.Client(base_url=servers[1].base_url, headers=headers) as http:
            balances = http.get(f"{API}/balances").json()
    finally:
        for server in servers:
            server.stop()

    books = open_books(Settings(data=data, db=pg_database))
    try:
        with Session(books.engine) as session:
            seqs = list(session.execute(select(Entry.seq).order_by(Entry.seq)).scalars())
            assert seqs == list(range(1, CLIENTS * POSTS + len(targets) + 1))
            keys = [k for k in session.execute(select(Entry.idempotency_key)).scalars() if k]
            assert len(keys) == len(set(keys)) == CLIENTS * POSTS
            assert session.execute(select(func.sum(Posting.amount_fen))).scalar_one() == 0
            community_id = books.community(session, "maple").id
            sums = books.balances(session, community_id, None)
        served = {row["account"]: Decimal(row["balance"]) for row in balances["balances"]}
        assert {a: b for a, b in served.items() if b} == {a: b for a, b in sums.items() if b}
        report = verify(books, "maple")
        assert report.ok, report.problems[:5]
    finally:
        books.engine.dispose()
