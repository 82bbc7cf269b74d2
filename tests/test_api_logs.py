"""The service's log: one line per event, at the configured level."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.logs import configure
from api.settings import Settings
from ledger.books import Books
from tests.api_helpers import ORIGIN, login_token


def test_start_up_and_a_refused_login_are_logged(
    api_settings: Settings, api_books: Books, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="api"):
        client = TestClient(create_app(api_settings, books=api_books))
        token = login_token(client)
        answer = client.post(
            "/login",
            data={"username": "treasurer", "password": "wrong!", "csrf": token},
            headers={"Origin": ORIGIN},
        )
    assert answer.status_code == 401
    messages = [(r.name, r.levelname, r.getMessage()) for r in caplog.records]
    assert any(name == "api.app" and m.startswith("starting: data ") for name, _, m in messages)
    assert (
        "api.routes_pages",
        "WARNING",
        "login refused for 'treasurer' from testclient: wrong username or password",
    ) in messages


def test_the_level_is_configurable_and_uvicorn_logs_through_it() -> None:
    root = logging.getLogger()
    saved = root.level, list(root.handlers)
    try:
        configure("warning")
        assert root.level == logging.WARNING
        assert logging.getLogger("uvicorn.access").propagate
        assert not logging.getLogger("uvicorn.error").handlers
    finally:
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]
