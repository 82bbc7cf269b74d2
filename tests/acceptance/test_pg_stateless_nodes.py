"""Stateless nodes: two ``commons serve`` processes, each with its OWN data directory, on one
PostgreSQL database. Everything a community is lives in the database; a node's data directory
holds only its projection (a cache). A post through node A is at once visible through node B's
API and, within 2 s, in B's Fava; a browser login made on A works on B, and a login form served
by A is accepted by B; a closed period's export is the same bytes from either node's data
directory (at one moment: a package carries its time); and killing
A with SIGKILL while clients post through it loses nothing acknowledged: B shows every entry
A answered 201 for, and the chain verifies."""

from __future__ import annotations

import io
import re
import threading
import time
import zipfile
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from freezegun import freeze_time

from api.books import open_books
from api.settings import Settings
from audit.export import export
from audit.verify import verify
from ledger import chart
from tests.acceptance.live_server import run_commons
from tests.acceptance.processes import ServeProcess
from tests.acceptance.test_crash import body

API = "/api/v1/communities/maple"
PASSWORD = "a long enough passphrase 7"
FAVA_SECONDS = 2.0
STREAM_CLIENTS = 4
#: Node A is killed once this many posts through it were acknowledged.
KILL_AFTER = 20


#: The maintenance fund's share of the quarter's net income (more than half of 43.00), so the
#: quarter may close.
SET_ASIDE = {
    "date": "2025-03-31",
    "payee": "维修资金",
    "narration": "补充维修资金",
    "kind": "reserve",
    "postings": [
        {"account": chart.USE_MAINTENANCE, "amount": "30.00"},
        {"account": chart.MAINTENANCE_PAYABLE, "amount": "-30.00"},
    ],
}


def member(data: Path, db: str, username: str, role: str, *, password: bool = False) -> str:
    """Add ``username`` with ``role`` in maple; returns their API token."""
    args = ["--db", db, "user", "add", username, "--community", "maple", "--role", role]
    if password:
        args += ["--password", PASSWORD]
    return run_commons(data, *args).stdout.strip().splitlines()[-1]


def form_token(page: str) -> str:
    found = re.search(r'action="/login".*?name="csrf" value="([^"]+)"', page, re.S)
    assert found, "no login form on the page"
    return found.group(1)


def log_in(form_from: ServeProcess, post_to: ServeProcess) -> httpx.Cookies:
    """Fetch the login form from one node and send it to another, as a browser behind a load
    balancer may; returns the cookies (the session's) it ends with."""
    with httpx.Client(base_url=form_from.base_url) as browser:
        token = form_token(browser.get("/login").text)
        cookies = browser.cookies
    with httpx.Client(base_url=post_to.base_url, cookies=cookies) as browser:
        answer = browser.post(
            "/login",
            data={"username": "s", "password": PASSWORD, "csrf": token},
            headers={"Origin": post_to.base_url},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        return browser.cookies


def spring(key: str, cents: int) -> dict[str, object]:
    """An April receipt (the first quarter is closed by then)."""
    return body(key, cents) | {"date": "2025-04-15"}


@pytest.mark.pg
def test_nodes_with_their_own_data_directories_serve_one_database(
    tmp_path: Path, pg_database: str
) -> None:
    data_a, data_b = tmp_path / "a", tmp_path / "b"
    data_a.mkdir(mode=0o700)
    data_b.mkdir(mode=0o700)
    run_commons(
        data_a, "--db", pg_database, "init", "maple", "--name", "枫林苑", "--start", "2025-01-01"
    )
    treasurer = {"Authorization": f"Bearer {member(data_a, pg_database, 't', 'treasurer')}"}
    approver = {"Authorization": f"Bearer {member(data_a, pg_database, 'a', 'approver')}"}
    supervisor = {
        "Authorization": f"Bearer {member(data_a, pg_database, 's', 'supervisor', password=True)}"
    }
    node_a = ServeProcess(data_a, db=pg_database, name="node-a")
    node_b = ServeProcess(data_b, db=pg_database, name="node-b")
    try:
        node_a.start()
        node_b.start()

        # a session made on A works on B, and A's login form is accepted by B
        on_a = log_in(node_a, node_a)
        with httpx.Client(base_url=node_b.base_url, cookies=on_a) as browser:
            home = browser.get("/", follow_redirects=False)
            assert home.status_code == 200 and "maple" in home.text
        log_in(node_a, node_b)

        # a post through A: at once in B's API, and in B's Fava within 2 s
        with httpx.Client(base_url=node_a.base_url, headers=treasurer, timeout=30) as http:
            posted = http.post(f"{API}/transactions", json=body("through-a", 4200))
        assert posted.status_code == 201, posted.text
        entry_id = posted.json()["id"]
        with httpx.Client(base_url=node_b.base_url, headers=treasurer, timeout=30) as http:
            seen = http.get(f"{API}/transactions/{entry_id}")
        assert seen.status_code == 200 and seen.json()["narration"] == "临时停车 through-a"
        with httpx.Client(base_url=node_b.base_url, cookies=on_a, timeout=30) as browser:
            deadline = time.monotonic() + FAVA_SECONDS
            while True:
                # as a browser does: the page (Fava reloads a changed file before answering
                # it), then the journal's data, which the page's script fetches
                page = browser.get("/fava/maple/journal/")
                assert page.status_code == 200, page.text[:500]
                journal = browser.get("/fava/maple/api/journal")
                assert journal.status_code == 200, journal.text[:500]
                if "临时停车 through-a" in repr(journal.json()["data"]):
                    break
                assert time.monotonic() < deadline, "node B's Fava still lacks A's post after 2 s"
                time.sleep(0.1)

        # a closed period's export: the same bytes from either node
        with httpx.Client(base_url=node_a.base_url, headers=treasurer, timeout=30) as http:
            reserve = http.post(f"{API}/transactions", json=SET_ASIDE)
        assert reserve.status_code == 201, reserve.text
        with httpx.Client(base_url=node_a.base_url, headers=approver, timeout=60) as http:
            closed = http.post(f"{API}/periods/2025Q1/close")
        assert closed.status_code in (200, 201), closed.text
        names = []
        for node in (node_a, node_b):
            with httpx.Client(base_url=node.base_url, headers=supervisor, timeout=120) as http:
                answer = http.get(f"{API}/exports/2025Q1")
            assert answer.status_code == 200, answer.text[:500]
            names.append(zipfile.ZipFile(io.BytesIO(answer.content)).namelist())
        assert names[0] == names[1]

        # SIGKILL node A while clients post through it: B has every acknowledged entry
        acknowledged: dict[str, Decimal] = {}
        lock = threading.Lock()
        stop = threading.Event()

        def client(index: int) -> None:
            with httpx.Client(base_url=node_a.base_url, headers=treasurer, timeout=10) as http:
                n = 0
                while not stop.is_set():
                    try:
                        answer = http.post(
                            f"{API}/transactions", json=spring(f"k{index}-{n}", 100 + n)
                        )
                    except httpx.TransportError:
                        return  # the node died under this request: not acknowledged
                    if answer.status_code == 201:
                        amount = Decimal(answer.json()["postings"][0]["amount"])
                        with lock:
                            acknowledged[answer.json()["id"]] = amount
                    n += 1

        threads = [threading.Thread(target=client, args=(i,)) for i in range(STREAM_CLIENTS)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 120
        while len(acknowledged) < KILL_AFTER and time.monotonic() < deadline:
            time.sleep(0.05)  # mid-stream: some posts answered, others under way
        node_a.kill()
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        assert len(acknowledged) >= KILL_AFTER

        with httpx.Client(base_url=node_b.base_url, headers=treasurer, timeout=30) as http:
            missing = [
                entry
                for entry in acknowledged
                if http.get(f"{API}/transactions/{entry}").status_code != 200
            ]
            balances = http.get(f"{API}/balances").json()
        assert missing == []
        bank = {row["account"]: Decimal(row["balance"]) for row in balances["balances"]}
        # the first post (43.00) and each acknowledged one, at least (a post in flight at the
        # kill may have committed unanswered)
        assert bank[chart.BANK] >= Decimal("43.00") + sum(acknowledged.values())
    finally:
        node_a.stop()
        node_b.stop()

    # the chain, the audit trail and node B's projection (caught up as at a start) verify
    books = open_books(Settings(data=data_b, db=pg_database))
    try:
        books.sync_projection("maple")
        report = verify(books, "maple")
        assert report.ok, report.problems[:5]
    finally:
        books.engine.dispose()
    # The same export from each node's data directory, at one moment: the same bytes. (Two
    # requests at two moments differ by design: the package carries its time, and its audit
    # trail the exports taken before it.)
    packages = []
    for data in (data_a, data_b):
        node_books = open_books(Settings(data=data, db=pg_database))
        try:
            with freeze_time("2026-01-05 08:00:00"):
                out = io.BytesIO()
                export(books=node_books, slug="maple", period="2025Q1", out=out)
            packages.append(out.getvalue())
        finally:
            node_books.engine.dispose()
    assert packages[0][:2] == b"PK"
    assert packages[0] == packages[1]
