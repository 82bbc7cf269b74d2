"""Backup while posting, restore elsewhere: the restored books verify and equal the books at
the snapshot's sequence number (on SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlmodel import Session

from api.books import open_books
from api.settings import Settings
from audit.verify import verify
from ledger import journal
from ledger.backup import backup, restore
from ledger.books import Books
from ledger.errors import Conflict
from rules.community import create
from tests.conftest import BOOKS_START, txn


def test_backup_during_posting_restores_to_the_snapshot(any_books: Books, tmp_path: Path) -> None:
    create(books=any_books, slug="maple", name="枫林苑", start=BOOKS_START)
    for n in range(20):
        journal.post(
            books=any_books, slug="maple", draft=txn(f"{n + 1}.00", key=f"a{n}"), actor="t"
        )
    stop = threading.Event()

    def poster() -> None:
        n = 0
        while not stop.is_set() and n < 300:
            journal.post(books=any_books, slug="maple", draft=txn("1.00", key=f"b{n}"), actor="t")
            n += 1

    thread = threading.Thread(target=poster)
    thread.start()
    try:
        manifest = backup(books=any_books, slug="maple", out=tmp_path / "maple.tar.gz")
    finally:
        stop.set()
        thread.join(timeout=60)
    assert manifest["head_seq"] >= 20
    with Session(any_books.engine) as session:
        original = {
            item.txn.seq: item.hash
            for item in any_books.chained(
                session, any_books.community(session, "maple").id, upto_seq=manifest["head_seq"]
            )
        }

    target = open_books(Settings(data=tmp_path / "restored"))
    restored = restore(books=target, archive=tmp_path / "maple.tar.gz")
    assert restored["head_seq"] == manifest["head_seq"]
    report = verify(target, "maple")
    assert report.ok, report.problems
    assert (report.entries, report.head) == (manifest["head_seq"], manifest["head_hash"])
    with Session(target.engine) as session:
        copied = {
            item.txn.seq: item.hash
            for item in target.chained(session, target.community(session, "maple").id)
        }
    assert copied == original
    # the restored books go on posting from the snapshot's head
    nxt = journal.post(books=target, slug="maple", draft=txn("5.00"), actor="t")
    assert nxt.entry.seq == manifest["head_seq"] + 1
    assert (target.rules_path("maple")).read_text() == any_books.rules_path("maple").read_text()
    with pytest.raises(Conflict):
        restore(books=target, archive=tmp_path / "maple.tar.gz")
    target.engine.dispose()


def test_restore_into_postgresql_keeps_posting(
    books: Books, tmp_path: Path, pg_database: str
) -> None:
    create(books=books, slug="maple", name="枫林苑", start=BOOKS_START)
    first = journal.post(books=books, slug="maple", draft=txn("9.00"), actor="t")
    journal.reverse(reason="更正", books=books, slug="maple", entry_id=first.entry.id, actor="t")
    backup(books=books, slug="maple", out=tmp_path / "maple.tar.gz")
    target = open_books(Settings(data=tmp_path / "pg", db=pg_database))
    restore(books=target, archive=tmp_path / "maple.tar.gz")
    assert verify(target, "maple").ok
    # serial ids continue after the restored rows (postings, events)
    posted = journal.post(books=target, slug="maple", draft=txn("3.00"), actor="t")
    assert posted.entry.seq == 3
    assert verify(target, "maple").ok
    target.engine.dispose()
