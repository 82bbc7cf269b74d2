"""The SQLite connections' settings, read back from real connections: durable (WAL,
synchronous=FULL), foreign keys on, the shared engine waiting for the write lock and the
event loop's connection never waiting (``ledger.nowait``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from ledger import nowait
from ledger.books import Books
from ledger.db import WAL_CHECKPOINT_PAGES, busy


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


def test_the_loops_engine_is_as_durable_and_never_waits(books: Books) -> None:
    with nowait.no_wait():
        loop = books.current_engine()
    assert loop is not books.engine
    assert pragmas(loop) == {**pragmas(books.engine), "busy_timeout": 0}


def test_busy_is_another_writer_holding_the_lock_and_nothing_else(tmp_path: Path) -> None:
    path = str(tmp_path / "busy.db")
    holder = sqlite3.connect(path, isolation_level=None, timeout=0)
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(sqlite3.OperationalError) as locked:
        other.execute("BEGIN IMMEDIATE")
    with pytest.raises(sqlite3.OperationalError) as wrong:
        other.execute("SELECT * FROM no_such_table")
    holder.execute("ROLLBACK")
    holder.close()
    other.close()
    assert busy(locked.value)
    assert busy(DBAPIError.instance("BEGIN", None, locked.value, sqlite3.Error))  # wrapped
    assert not busy(wrong.value)
    assert not busy(ValueError("database is locked"))  # words alone are not the error
