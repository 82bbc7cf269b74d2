"""Running a single post on the event loop, and in a worker thread only when it would wait
(``ledger.nowait`` says why and how)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

from ledger import nowait
from ledger.books import Books
from ledger.db import busy

T = TypeVar("T")


async def inline_or_threaded(books: Books, work: Callable[[], T]) -> T:
    """``work()`` right here on the event loop, where the books allow it (SQLite) and nothing
    it needs is held; else, or when it finds something held (``WouldBlock``, or SQLite busy
    with another writer), in a worker thread, from the start: nothing was written. Steps the
    work deferred (after its commit) run in a worker thread before the answer goes out."""
    if books.posts_on_loop:
        deferred: list[Callable[[], object]] = []
        try:
            with nowait.no_wait() as deferred:
                return work()
        except nowait.WouldBlock:
            pass
        except Exception as exc:
            if not busy(exc):
                raise
        finally:
            for step in deferred:
                await run_in_threadpool(step)
    return await run_in_threadpool(work)
