"""Work that must not wait: a post run on the server's event loop.

A single post is short (about a millisecond of work and one fsync), so the server runs it on
its event loop instead of handing it to a worker thread and back: that hand-over woke two
threads per request and cost a post through HTTP about a fifth of its time (measured in
``bench/http_post.py``). It is only right while nothing makes the loop wait, so inside
:func:`no_wait` every lock the post takes is *tried*: one that is held raises
:class:`WouldBlock` before anything is written, and the caller runs the same work again in a
worker thread, where waiting is fine. SQLite's own lock is tried the same way (the loop's
connection has a busy timeout of zero, ``Books.current_engine``).

What has to follow a commit cannot be undone and retried, so a step after the commit that
would wait (appending to the projection while another writer holds it) is :func:`defer`\\ red:
the caller runs it in a worker thread before it answers.

Outside :func:`no_wait` (worker threads, the CLI, tests) every function here waits as usual.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

#: The steps deferred so far while inside ``no_wait``; None outside it.
_DEFERRED: ContextVar[list[Callable[[], object]] | None] = ContextVar("deferred", default=None)


class WouldBlock(Exception):
    """Raised inside :func:`no_wait` instead of waiting; nothing has been written."""


def active() -> bool:
    """Whether the caller is inside :func:`no_wait`."""
    return _DEFERRED.get() is not None


@contextmanager
def no_wait() -> Iterator[list[Callable[[], object]]]:
    """Run the block without waiting; yields the list that :func:`defer` adds to."""
    deferred: list[Callable[[], object]] = []
    token = _DEFERRED.set(deferred)
    try:
        yield deferred
    finally:
        _DEFERRED.reset(token)


def refuse(why: str) -> None:
    """Raise :class:`WouldBlock` inside :func:`no_wait`; nothing outside it."""
    if active():
        raise WouldBlock(why)


def defer(step: Callable[[], object]) -> None:
    """Run ``step`` after the block, in a worker thread (inside :func:`no_wait`); at once
    outside it."""
    deferred = _DEFERRED.get()
    if deferred is None:
        step()
    else:
        deferred.append(step)


@contextmanager
def holding(lock: threading.Lock | threading.RLock, what: str) -> Iterator[None]:
    """``with lock:``, except that inside :func:`no_wait` a held lock raises
    :class:`WouldBlock` (``what`` says which) instead of waiting for it."""
    if not lock.acquire(blocking=not active()):
        raise WouldBlock(f"{what} is held")
    try:
        yield
    finally:
        lock.release()
