"""``ledger.nowait``: a post inside ``no_wait`` (the server's event loop) never waits. Whatever
it would wait for (SQLite's write lock, the community's state or its lock, a token's
last-use write) refuses it before anything is written; the projection, which follows the
commit, is deferred instead. Real SQLite file, real locks."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from pathlib import Path

import pytest

from api import users
from api.books import open_books
from api.settings import Settings
from ledger import chart, journal, nowait
from ledger.books import Books
from ledger.errors import RuleViolations
from tests.conftest import txn


def head_seq(books: Books, slug: str) -> int:
    with books.engine.connect() as connection:
        return int(
            connection.exec_driver_sql(
                "SELECT head_seq FROM community WHERE slug = ?", (slug,)
            ).scalar_one()
        )


def entry_count(books: Books) -> int:
    with books.engine.connect() as connection:
        return int(connection.exec_driver_sql("SELECT count(*) FROM entry").scalar_one())


def database_file(books: Books) -> str:
    return str(books.engine.url.database)


# --- the module ------------------------------------------------------------------------------


def test_holding_waits_outside_and_refuses_inside() -> None:
    lock = threading.Lock()
    with nowait.holding(lock, "the lock"):
        assert lock.locked()
    assert not lock.locked()
    lock.acquire()
    try:
        with (
            nowait.no_wait(),
            pytest.raises(nowait.WouldBlock, match="the lock is held"),
            nowait.holding(lock, "the lock"),
        ):
            pass  # pragma: no cover - never entered
    finally:
        lock.release()
    with nowait.no_wait(), nowait.holding(lock, "the lock"):
        assert lock.locked()  # a free lock is simply taken
    assert not lock.locked()


def test_defer_runs_at_once_outside_and_is_collected_inside() -> None:
    ran: list[str] = []
    nowait.defer(lambda: ran.append("outside"))
    assert ran == ["outside"]
    with nowait.no_wait() as deferred:
        nowait.defer(lambda: ran.append("inside"))
        assert nowait.active()
    assert not nowait.active()
    assert ran == ["outside"] and len(deferred) == 1
    deferred[0]()
    assert ran == ["outside", "inside"]


def test_refuse_only_inside() -> None:
    nowait.refuse("nothing to refuse outside")
    with nowait.no_wait(), pytest.raises(nowait.WouldBlock, match="inside"):
        nowait.refuse("inside")


# --- posting ---------------------------------------------------------------------------------


def test_a_post_on_the_loop_writes_and_appends_like_any_other(books: Books, community: str) -> None:
    journal.post(books=books, slug=community, draft=txn("10.00"), actor="t")  # state built
    with nowait.no_wait() as deferred:
        posted = journal.post(books=books, slug=community, draft=txn("20.00"), actor="t")
    assert posted.created and posted.seq == 2
    assert deferred == []
    assert head_seq(books, community) == 2
    assert books.projection(community).written_seq() == 2
    assert books.current_engine() is books.engine  # outside no_wait, the shared engine


def test_a_held_write_lock_refuses_the_post_and_nothing_is_written(
    books: Books, community: str
) -> None:
    journal.post(books=books, slug=community, draft=txn("10.00"), actor="t")
    other = sqlite3.connect(database_file(books), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with nowait.no_wait(), pytest.raises(nowait.WouldBlock, match="holds the write lock"):
            journal.post(books=books, slug=community, draft=txn("20.00", key="k1"), actor="t")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert head_seq(books, community) == 1 and entry_count(books) == 1
    # The state was not bent by the refused attempt: the same key posts now, as seq 2.
    with nowait.no_wait():
        posted = journal.post(books=books, slug=community, draft=txn("20.00", key="k1"), actor="t")
    assert posted.created and posted.seq == 2


def test_a_state_not_yet_built_is_built_in_a_thread_not_on_the_loop(
    books: Books, community: str
) -> None:
    journal.post(books=books, slug=community, draft=txn("10.00"), actor="t")
    fresh = open_books(Settings(data=books.data_dir))  # a new process's books: no state yet
    try:
        with nowait.no_wait(), pytest.raises(nowait.WouldBlock, match="to be built"):
            journal.post(books=fresh, slug=community, draft=txn("20.00"), actor="t")
        assert head_seq(books, community) == 1
        posted = journal.post(books=fresh, slug=community, draft=txn("20.00"), actor="t")
        assert posted.seq == 2
        # Another process (``books``) is now behind: its state must catch up in a thread.
        with nowait.no_wait(), pytest.raises(nowait.WouldBlock, match="behind the journal"):
            journal.post(books=books, slug=community, draft=txn("30.00"), actor="t")
        assert head_seq(books, community) == 2
    finally:
        fresh.dispose()


def test_a_held_state_lock_refuses_the_post(books: Books, community: str) -> None:
    journal.post(books=books, slug=community, draft=txn("10.00"), actor="t")
    with books.engine.connect() as connection:
        community_id = connection.exec_driver_sql("SELECT id FROM community").scalar_one()
    state = books._states[community_id]
    with state.lock, nowait.no_wait(), pytest.raises(nowait.WouldBlock, match="state is held"):
        journal.post(books=books, slug=community, draft=txn("20.00"), actor="t")
    assert head_seq(books, community) == 1


def test_a_refusal_on_the_loop_is_the_rules_refusal(books: Books, community: str) -> None:
    journal.post(books=books, slug=community, draft=txn("10.00"), actor="t")
    overdraft = txn("50.00", debit=chart.COST_DIRECT, credit=chart.BANK, kind="cost")
    with nowait.no_wait(), pytest.raises(RuleViolations, match=r"shortfall 40\.00"):
        journal.post(books=books, slug=community, draft=overdraft, actor="t")
    assert head_seq(books, community) == 1


def test_a_projection_held_by_another_writer_is_appended_after_the_commit(
    books: Books, community: str
) -> None:
    journal.post(books=books, slug=community, draft=txn("10.00"), actor="t")
    projection = books.projection(community)
    lock_path = Path(projection.directory) / ".ledger.lock"
    fd = os.open(lock_path, os.O_RDWR)  # another open file: its flock excludes ours
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with nowait.no_wait() as deferred:
            posted = journal.post(books=books, slug=community, draft=txn("20.00"), actor="t")
        assert posted.created and head_seq(books, community) == 2  # committed
        assert projection.written_seq() == 1 and len(deferred) == 1  # not yet appended
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    deferred[0]()
    assert projection.written_seq() == 2
    assert "20.00 CNY" in projection.path.read_text(encoding="utf-8")


def test_recording_a_tokens_first_use_refuses_on_the_loop(api_books: Books, members: dict) -> None:
    treasurer = members["treasurer"]
    with api_books.engine.connect() as connection:
        connection.exec_driver_sql("UPDATE apitoken SET last_used_at = NULL")
        connection.commit()
    with nowait.no_wait(), pytest.raises(nowait.WouldBlock, match="token's use"):
        users.member_by_token(api_books, treasurer.token, "maple")
    found = users.member_by_token(api_books, treasurer.token, "maple")  # in a thread: fine
    assert found is not None and found[0] == "treasurer"
    with nowait.no_wait():  # used a moment ago: nothing to record, a plain read
        again = users.member_by_token(api_books, treasurer.token, "maple")
    assert again == found
