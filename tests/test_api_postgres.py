"""The transactions API on PostgreSQL: the same answers as on SQLite for posting, four eyes,
cursor paging (timestamps compared by the database) and balances."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.books import open_books
from api.settings import Settings
from api.users import Role, add_member
from ledger import chart
from rules.community import create
from tests.api_helpers import SECRET, SLUG, api, spend, txn
from tests.conftest import BOOKS_START

pytestmark = pytest.mark.pg


@pytest.fixture
def pg_client(tmp_path: Path, pg_database: str) -> Iterator[tuple[TestClient, dict[str, str]]]:
    settings = Settings(data=tmp_path / "data", db=pg_database, secret=SECRET)
    books = open_books(settings)
    create(books=books, slug=SLUG, name="枫林苑", start=BOOKS_START)
    tokens = {}
    for role in (Role.TREASURER, Role.APPROVER):
        added = add_member(books=books, username=role.value, slug=SLUG, role=role)
        assert added.token
        tokens[role.value] = f"Bearer {added.token}"
    with TestClient(create_app(settings, books=books)) as client:
        yield client, tokens
    books.dispose()


def test_post_approve_page_and_balances(pg_client: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = pg_client
    treasurer = {"Authorization": tokens["treasurer"]}
    approver = {"Authorization": tokens["approver"]}
    for n in range(5):
        posted = client.post(
            f"{api()}/transactions", json=txn("2000.00", f"pg-{n}"), headers=treasurer
        )
        assert posted.status_code == 201, posted.text
    pending = client.post(
        f"{api()}/transactions", json=spend("6000.00", "pg-out"), headers=treasurer
    )
    assert pending.status_code == 202
    own = client.post(f"{api()}/transactions/{pending.json()['id']}/approve", headers=treasurer)
    assert own.status_code == 403
    approved = client.post(f"{api()}/transactions/{pending.json()['id']}/approve", headers=approver)
    assert approved.status_code == 200 and approved.json()["seq"] == 6

    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "4", **({"cursor": cursor} if cursor else {})}
        page = client.get(f"{api()}/transactions", params=params, headers=treasurer).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 6

    balances = client.get(f"{api()}/balances", headers=approver).json()["balances"]
    bank = next(b for b in balances if b["account"] == chart.BANK)
    assert bank["balance"] == "4000.00"
