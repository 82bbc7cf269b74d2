"""Many writers, one community: threads and processes, on SQLite and PostgreSQL. The sequence
stays contiguous, the chain verifies, and two concurrent reversals of one entry give exactly one
success."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from api.books import open_books
from api.settings import Settings
from audit.verify import verify
from ledger import chart, journal
from ledger.books import Books, TurnLock
from ledger.errors import AlreadyReversed, ValidationFailed
from ledger.models import Entry, Posting
from rules.community import create
from tests.conftest import BOOKS_START, txn

THREADS = 6
PER_THREAD = 15


def run_threads(target: Callable[[int], None], count: int) -> list[BaseException]:
    errors: list[BaseException] = []

    def wrapped(index: int) -> None:
        try:
            target(index)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=wrapped, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def assert_books_sound(books: Books, slug: str, expected: int) -> None:
    with Session(books.engine) as session:
        community = books.community(session, slug)
        seqs = list(
            session.execute(
                select(Entry.seq).where(Entry.community_id == community.id).order_by(Entry.seq)
            ).scalars()
        )
        assert seqs == list(range(1, expected + 1))
        total = session.execute(select(func.sum(Posting.amount_fen))).scalar_one()
        assert total == 0
    report = verify(books, slug)
    assert report.ok, report.problems


def test_threads_post_a_contiguous_chain(any_books: Books) -> None:
    create(books=any_books, slug="maple", name="枫林苑", start=BOOKS_START)

    def client(index: int) -> None:
        for n in range(PER_THREAD):
            draft = txn(f"{index + 1}.{n:02d}", key=f"c{index}-{n}")
            journal.post(books=any_books, slug="maple", draft=draft, actor=f"client{index}")

    assert run_threads(client, THREADS) == []
    assert_books_sound(any_books, "maple", THREADS * PER_THREAD)


def _process_client(data: str, db: str | None, index: int, count: int) -> None:
    books = open_books(Settings(data=Path(data), db=db))
    for n in range(count):
        draft = txn(f"{index + 1}.{n:02d}", key=f"p{index}-{n}")
        journal.post(books=books, slug="maple", draft=draft, actor=f"proc{index}")
    books.engine.dispose()


def test_processes_post_a_contiguous_chain(any_books: Books, data_dir: Path) -> None:
    create(books=any_books, slug="maple", name="枫林苑", start=BOOKS_START)
    journal.post(books=any_books, slug="maple", draft=txn("1.00", key="parent"), actor="parent")
    db = (
        None
        if any_books.engine.dialect.name == "sqlite"
        else any_books.engine.url.render_as_string(hide_password=False)
    )
    spawn = multiprocessing.get_context("spawn")
    procs = [
        spawn.Process(target=_process_client, args=(str(data_dir), db, i, 12)) for i in range(3)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=180)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    # this process's in-memory state is behind; the next post catches up from the database
    last = journal.post(
        books=any_books, slug="maple", draft=txn("2.00", key="after"), actor="parent"
    )
    assert last.entry.seq == 1 + 3 * 12 + 1
    assert_books_sound(any_books, "maple", 38)
    with Session(any_books.engine) as session:
        community_id = any_books.community(session, "maple").id
        balance = any_books.balances(session, community_id, None)[chart.BANK]
    expected = Decimal("3.00") + sum(
        (Decimal(f"{i + 1}.{n:02d}") for i in range(3) for n in range(12)), Decimal(0)
    )
    assert balance == expected


def test_concurrent_reversals_of_one_entry_one_succeeds(any_books: Books) -> None:
    create(books=any_books, slug="maple", name="枫林苑", start=BOOKS_START)
    original = journal.post(books=any_books, slug="maple", draft=txn("500.00"), actor="t")
    outcomes: list[str] = []

    def reverser(index: int) -> None:
        try:
            journal.reverse(
                reason="更正",
                books=any_books,
                slug="maple",
                entry_id=original.entry.id,
                actor=f"r{index}",
            )
            outcomes.append("ok")
        except AlreadyReversed:
            outcomes.append("refused")

    assert run_threads(reverser, 6) == []
    assert sorted(outcomes) == ["ok"] + ["refused"] * 5
    assert_books_sound(any_books, "maple", 2)


def test_concurrent_same_idempotency_key_posts_once(any_books: Books) -> None:
    create(books=any_books, slug="maple", name="枫林苑", start=BOOKS_START)
    ids: list[str] = []

    def poster(_index: int) -> None:
        ids.append(
            journal.post(
                books=any_books, slug="maple", draft=txn("9.00", key="same"), actor="t"
            ).entry.id
        )

    assert run_threads(poster, 6) == []
    assert len(set(ids)) == 1
    assert_books_sound(any_books, "maple", 1)


def test_refused_posts_under_concurrency_change_nothing(books: Books) -> None:
    create(books=books, slug="maple", name="枫林苑", start=BOOKS_START)

    def client(index: int) -> None:
        for n in range(10):
            if n % 3 == 0:
                with pytest.raises(ValidationFailed):
                    journal.post(
                        books=books, slug="maple", draft=txn("1.00", debit="Assets:Nope"), actor="x"
                    )
            else:
                journal.post(
                    books=books, slug="maple", draft=txn("1.00", key=f"{index}-{n}"), actor="x"
                )

    assert run_threads(client, 4) == []
    assert_books_sound(books, "maple", 4 * 6)


def test_two_writers_taking_turns_keep_the_projection_whole(books: Books, data_dir: Path) -> None:
    """Each writer remembers the file as it left it and skips reading the sidecar while the
    file is unchanged; the other's appends change it, so each reads the sidecar and appends
    after them (a stale memory would still be repaired by the catch-up: nothing is lost)."""
    create(books=books, slug="maple", name="枫林苑", start=BOOKS_START)
    other = open_books(Settings(data=data_dir))
    try:
        for n in range(6):
            writer = books if n % 2 == 0 else other
            journal.post(books=writer, slug="maple", draft=txn(f"{n + 1}.00"), actor="t")
        journal.post(books=books, slug="maple", draft=txn("7.00"), actor="t")
        journal.post(books=books, slug="maple", draft=txn("8.00"), actor="t")
    finally:
        other.engine.dispose()
    assert_books_sound(books, "maple", 8)
    text = books.projection("maple").path.read_text(encoding="utf-8")
    assert [line.strip() for line in text.splitlines() if "  seq: " in line] == [
        f"seq: {n}" for n in range(1, 9)
    ]


def test_the_writers_lock_is_handed_over_in_the_order_writers_came() -> None:
    """Found: with ``threading.Lock`` a writer that had waited longest kept losing the lock to
    ones arriving later (the slowest of eight concurrent posts waited seconds). ``TurnLock``
    hands it to the waiters first come, first served."""
    lock = TurnLock()
    order: list[int] = []
    lock.acquire()

    def writer(index: int) -> None:
        with lock:
            order.append(index)

    threads = []
    for index in range(5):
        thread = threading.Thread(target=writer, args=(index,))
        thread.start()
        threads.append(thread)
        while lock.waiting() < index + 1:  # queued before the next one comes
            time.sleep(0.001)
    lock.release()
    for thread in threads:
        thread.join(timeout=10)
    assert order == [0, 1, 2, 3, 4]
    assert lock.waiting() == 0
    assert _free(lock)


def test_the_writers_lock_lets_one_writer_in_at_a_time() -> None:
    lock = TurnLock()
    inside: list[int] = []
    most: list[int] = [0]

    def writer() -> None:
        for _ in range(200):
            with lock:
                inside.append(1)
                most[0] = max(most[0], len(inside))
                time.sleep(0)
                inside.pop()

    assert run_threads(lambda _index: writer(), 6) == []
    assert most[0] == 1
    assert _free(lock)


def _free(lock: TurnLock) -> bool:
    """The lock can be taken at once by a new thread."""
    taken = threading.Event()

    def take() -> None:
        with lock:
            taken.set()

    thread = threading.Thread(target=take)
    thread.start()
    thread.join(timeout=5)
    return taken.is_set()


def test_a_node_catching_up_takes_the_header_another_node_changed(
    books: Books, data_dir: Path, tmp_path: Path
) -> None:
    """Found: with each node's own data directory, a close made through node A rebuilt A's
    projection only; node B's catch-up appended entries but kept its old header (no close),
    even across a restart, and verify reported the close missing from B's projection."""
    from rules.periods import close

    create(books=books, slug="maple", name="枫林苑", start=BOOKS_START)
    node_b = open_books(Settings(data=tmp_path / "node-b", db=str(books.engine.url)))
    try:
        node_b.sync_projection("maple")
        close(books=books, slug="maple", period="2025Q1", actor="approver")
        journal.post(books=books, slug="maple", draft=txn("3.00", day=date(2025, 4, 2)), actor="t")
        node_b.sync_projection("maple")  # what a read through B's Fava, or B's start, does
        report = verify(node_b, "maple")
        assert report.ok, report.problems
        assert "2025Q1" in node_b.projection("maple").path.read_text(encoding="utf-8")
    finally:
        node_b.engine.dispose()
