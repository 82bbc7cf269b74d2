"""The service end to end, as a committee uses it: ``commons serve`` as a real process; the
treasurer logs in and posts through the API and through the entry page's form; a supervisor
logs in and finds both entries in Fava; Fava refuses writes; the roles hold over real HTTP."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.demo import DEMO_USERS
from api.demo_documents import pdf
from ledger import chart, clock
from tests.acceptance.live_server import Server

pytestmark = pytest.mark.acceptance

PASSWORDS = {username: password for username, _role, password in DEMO_USERS}


@pytest.fixture
def clients() -> Iterator[list[httpx.Client]]:
    """Every client a test opens, closed afterwards."""
    opened: list[httpx.Client] = []
    yield opened
    for client in opened:
        client.close()


def _login(server: Server, username: str, clients: list[httpx.Client]) -> httpx.Client:
    """A browser's login: the form's CSRF token, the site's Origin (sent from then on), and
    the session's CSRF token as ``X-CSRF-Token`` for the JSON API."""
    client = server.client()
    clients.append(client)
    client.headers["Origin"] = server.base_url
    form = client.get("/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORDS[username], "csrf": token.group(1)},
    )
    assert response.status_code == 303, response.text
    home = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text)
    assert home
    client.headers["X-CSRF-Token"] = home.group(1)
    return client


def test_serve_prints_the_pages_and_demo_logins(demo_server: Server) -> None:
    printed = demo_server.output.read_text()
    assert f"{demo_server.base_url}/docs" in printed
    assert f"{demo_server.base_url}/fava/demo/" in printed
    assert f"{demo_server.base_url}/entry/demo" in printed
    for username, _role, password in DEMO_USERS:
        assert re.search(rf"{username}\s+(?:密码|password) {password}", printed), username
    statement = re.search(r"(?:供出纳导入：|for the treasurer to import: )(\S+)", printed)
    assert statement and Path(statement.group(1)).is_file(), printed


def test_treasurer_posts_and_the_supervisor_sees_it_in_fava(
    demo_server: Server, clients: list[httpx.Client]
) -> None:
    today = clock.today().isoformat()
    token = demo_server.commons("user", "token", "treasurer").stdout.strip().splitlines()[-1]
    api = demo_server.client()
    clients.append(api)
    api.headers["Authorization"] = f"Bearer {token}"
    posted = api.post(
        "/api/v1/communities/demo/transactions",
        json={
            "date": today,
            "payee": "分众传媒",
            "narration": "ACCEPT-API 电梯广告费",
            "kind": "income",
            "postings": [
                {"account": chart.BANK, "amount": "3000.00"},
                {"account": chart.INCOME_ADS, "amount": "-3000.00"},
            ],
            "idempotency_key": "acceptance-api",
        },
    )
    assert posted.status_code == 201, posted.text

    treasurer = _login(demo_server, "treasurer", clients)
    page = treasurer.get("/entry/demo")
    assert page.status_code == 200
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text)
    assert csrf and key
    form = treasurer.post(
        "/entry/demo",
        data={
            "csrf": csrf.group(1),
            "idempotency_key": key.group(1),
            "preset": "parking",
            "amount": "880.00",
            "date": today,
            "payee": "物业服务中心代收",
            "narration": "ACCEPT-FORM 临时停车费",
            "documents": "收据 9001",
        },
    )
    assert form.status_code == 303, form.text
    assert "已记账 #" in treasurer.get(form.headers["location"]).text

    supervisor = _login(demo_server, "supervisor", clients)
    root = supervisor.get("/fava/demo/")
    assert root.status_code == 302  # Fava's own redirect to its first report
    base = root.headers["location"].rsplit("/", 2)[0]
    assert supervisor.get(f"{base}/journal/").status_code == 200
    deadline = time.monotonic() + 15
    while True:
        journal = supervisor.get(f"{base}/api/journal").text
        if "ACCEPT-API" in journal and "ACCEPT-FORM" in journal:
            break
        assert time.monotonic() < deadline, "Fava did not show the new entries within 15 s"
        time.sleep(0.5)

    refused = supervisor.put(f"{base}/api/add_entries", json={"entries": []})
    assert refused.status_code == 405
    assert supervisor.post("/api/v1/communities/demo/transactions", json={}).status_code == 403
    assert httpx.get(f"{demo_server.base_url}/fava/demo/").status_code == 303


def test_approval_over_http(demo_server: Server, clients: list[httpx.Client]) -> None:
    treasurer = _login(demo_server, "treasurer", clients)
    chair = _login(demo_server, "chair", clients)
    body = {
        "date": clock.today().isoformat(),
        "payee": "会计师事务所",
        "narration": "ACCEPT-APPROVE 审计费",  # within the demo's 2026 budget, over the threshold
        "kind": "cost",
        "postings": [
            {"account": chart.USE_AUDIT, "amount": "6000.00"},
            {"account": chart.BANK, "amount": "-6000.00"},
        ],
    }
    pending = treasurer.post("/api/v1/communities/demo/transactions", json=body)
    assert pending.status_code == 202, pending.text
    entry = pending.json()["id"]
    own = treasurer.post(f"/api/v1/communities/demo/transactions/{entry}/approve")
    assert own.status_code == 403
    # The demo's rules approve 5,000.00 or more only with the invoice behind it.
    early = chair.post(f"/api/v1/communities/demo/transactions/{entry}/approve")
    assert early.status_code == 422 and "document-required" in early.text, early.text
    invoice = pdf(["发票", "会计师事务所", "审计费 6,000.00"])
    uploaded = treasurer.post(
        "/api/v1/communities/demo/documents",
        files={"file": ("发票.pdf", invoice, "application/pdf")},
        data={"entry": entry},
    )
    assert uploaded.status_code in (200, 201), uploaded.text
    approved = chair.post(f"/api/v1/communities/demo/transactions/{entry}/approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["approved_by"] == "chair"
    verify = demo_server.commons("verify", "demo", check=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr
