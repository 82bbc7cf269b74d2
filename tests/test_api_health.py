"""``GET /healthz``, the load balancer's health check: 200 while the node reaches the
database, 503 (not a 500, nothing about the books) when it cannot."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from ledger.books import Books
from ledger.db import make_engine


def test_a_node_that_reaches_its_database_is_healthy(client: TestClient) -> None:
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


def test_a_node_that_lost_its_database_says_so(
    client: TestClient, api_books: Books, monkeypatch: pytest.MonkeyPatch
) -> None:
    unreachable = make_engine("postgresql://nobody@127.0.0.1:9/nowhere?connect_timeout=2")
    monkeypatch.setattr(api_books, "engine", unreachable)
    answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.json() == {"status": "unavailable", "database": "unreachable"}
