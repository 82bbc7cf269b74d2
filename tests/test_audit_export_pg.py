"""The same books on PostgreSQL export the same figures as on SQLite, and the package
verifies. Skipped (with the reason printed) when no server answers at
``COMMONS_TEST_PG_URL``."""

from __future__ import annotations

import io
import os
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from freezegun import freeze_time

from audit.export import export
from audit.verify_export import verify_export
from tests.export_fixtures import SLUG, make_books

pytestmark = pytest.mark.pg

PG_URL = os.environ.get("COMMONS_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
NOW = "2025-07-01 02:00:00"
#: Tables without entry ids or hashes (which differ between two builds of the same books).
SAME = (
    "trial_balance",
    "general_ledger",
    "balance_sheet",
    "activities",
    "allocations",
    "resolutions",
    "resolution_tally",
)


@pytest.fixture
def pg_url() -> Iterator[str]:
    import psycopg

    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("COMMONS_REQUIRE_PG") == "1":
            raise
        print(f"SKIP: no PostgreSQL at {PG_URL}: {exc}")
        pytest.skip(f"no PostgreSQL at {PG_URL}")
    name = f"export_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield PG_URL.rsplit("/", 1)[0] + "/" + name
        finally:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def package(tmp_path: Path, db: str | None) -> bytes:
    books = make_books(tmp_path, db)
    try:
        out = io.BytesIO()
        with freeze_time(NOW):
            export(books=books, slug=SLUG, period="2025Q1", out=out)
        return out.getvalue()
    finally:
        books.engine.dispose()


def test_postgres_exports_what_sqlite_exports(tmp_path: Path, pg_url: str) -> None:
    on_pg = package(tmp_path / "pg", pg_url)
    on_sqlite = package(tmp_path / "sqlite", None)
    report = verify_export(io.BytesIO(on_pg))
    assert report.ok, report.problems
    pg, lite = zipfile.ZipFile(io.BytesIO(on_pg)), zipfile.ZipFile(io.BytesIO(on_sqlite))
    for name in SAME:
        assert pg.read(f"{name}.csv") == lite.read(f"{name}.csv"), name
    events = pg.read("events.csv").decode("utf-8-sig").splitlines()
    assert [line.split(",")[:3] for line in events[1:]] == [
        line.split(",")[:3] for line in lite.read("events.csv").decode("utf-8-sig").splitlines()[1:]
    ]
