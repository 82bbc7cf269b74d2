"""Shared fixtures: a fresh real database per test (a SQLite file in tmp_path, or a new
PostgreSQL database on the server at ``COMMONS_TEST_PG_URL``), and books on it.

PostgreSQL tests are skipped with a printed reason when no server answers, and fail instead
when ``COMMONS_REQUIRE_PG=1`` (CI sets it).

The API tests' fixtures (``template``, ``api_settings``, ``api_books``, ``members``, ``app``,
``client``) are at the end: a copy of books with two communities and one member per role."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.books import open_books
from api.settings import Settings
from ledger import chart
from ledger.books import Books
from ledger.schemas import PostingIn, TransactionIn
from rules.community import create
from tests.api_helpers import OTHER, SECRET, SLUG, Login, build_members

#: The tests' communities start their books on this day (their opening balances, when they
#: have any, are dated the day before).
BOOKS_START = date(2025, 1, 1)

PG_URL = os.environ.get("COMMONS_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("COMMONS_REQUIRE_PG") == "1"


def _pg_admin() -> object:
    import psycopg

    return psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for one test; dropped afterwards."""
    try:
        admin = _pg_admin()
    except Exception as exc:
        reason = f"PostgreSQL not reachable at {PG_URL}: {exc}"
        if REQUIRE_PG:
            pytest.fail(reason + " (COMMONS_REQUIRE_PG=1)")
        print(reason)
        pytest.skip(reason)
    name = f"commons_test_{uuid.uuid4().hex[:12]}"
    with admin:  # type: ignore[attr-defined]
        admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[attr-defined]
    base = PG_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with _pg_admin() as admin2:  # type: ignore[attr-defined]
            admin2.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def books(data_dir: Path) -> Iterator[Books]:
    books = open_books(Settings(data=data_dir))
    yield books
    books.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_books(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[Books]:
    """Books on each backend in turn."""
    if request.param == "sqlite":
        settings = Settings(data=data_dir)
    else:
        settings = Settings(data=data_dir, db=request.getfixturevalue("pg_database"))
    books = open_books(settings)
    yield books
    books.dispose()


@pytest.fixture
def community(books: Books) -> str:
    create(books=books, slug="maple", name="枫林苑", start=BOOKS_START)
    return "maple"


def txn(
    amount: str,
    *,
    debit: str = chart.BANK,
    credit: str = chart.INCOME_PARKING,
    day: date = date(2025, 3, 31),
    kind: str = "income",
    narration: str = "3月地面停车费",
    payee: str = "停车场",
    key: str | None = None,
    resolution: str | None = None,
) -> TransactionIn:
    """A two-legged draft: ``amount`` debited to ``debit`` and credited to ``credit``."""
    value = Decimal(amount)
    return TransactionIn(
        date=day,
        payee=payee,
        narration=narration,
        kind=kind,
        postings=[PostingIn(account=debit, amount=value), PostingIn(account=credit, amount=-value)],
        idempotency_key=key,
        resolution=resolution,
    )


# --- the API tests ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Login]]:
    """Books with two communities and their members, built once per session (password
    hashing is deliberately slow); every test gets its own copy (see ``api_settings``)."""
    data = tmp_path_factory.mktemp("template") / "data"
    books = open_books(Settings(data=data, secret=SECRET))
    create(books=books, slug=SLUG, name="枫林苑", start=BOOKS_START)
    create(books=books, slug=OTHER, name="别的小区", start=BOOKS_START)
    logins = build_members(books)
    books.dispose()
    return data, logins


@pytest.fixture
def api_settings(tmp_path: Path, template: tuple[Path, dict[str, Login]]) -> Settings:
    """A fresh copy of the template books for this test alone."""
    shutil.copytree(template[0], tmp_path / "data")
    return Settings(data=tmp_path / "data", secret=SECRET)


@pytest.fixture
def api_books(api_settings: Settings) -> Iterator[Books]:
    books = open_books(api_settings)
    yield books
    books.dispose()


@pytest.fixture
def members(template: tuple[Path, dict[str, Login]], api_books: Books) -> dict[str, Login]:
    """One user per role in ``maple`` (username = role name), plus ``outsider`` holding every
    role in ``other`` only, and ``both`` who is treasurer and approver in ``maple``."""
    return template[1]


@pytest.fixture
def app(api_settings: Settings, api_books: Books) -> FastAPI:
    return create_app(api_settings, books=api_books)


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app)
