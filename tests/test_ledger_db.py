"""The SQLite connections' settings, read back from real connections: durable (WAL,
synchronous=FULL), foreign keys on, and waiting for another writer's lock."""

from __future__ import annotations

from sqlalchemy import Engine

from ledger.books import Books
from ledger.db import WAL_CHECKPOINT_PAGES


def pragmas(engine: Engine) -> dict[str, int | str]:
    names = ("journal_mode", "synchronous", "foreign_keys", "busy_timeout", "wal_autocheckpoint")
    with engine.connect() as connection:
        return {name: connection.exec_driver_sql(f"PRAGMA {name}").scalar_one() for name in names}


def test_the_shared_engine_is_durable_and_waits(books: Books) -> None:
    assert pragmas(books.engine) == {
        "journal_mode": "wal",
        "synchronous": 2,  # FULL
        "foreign_keys": 1,
        "busy_timeout": 30000,
        "wal_autocheckpoint": WAL_CHECKPOINT_PAGES,
    }
