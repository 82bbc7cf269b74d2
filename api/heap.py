"""The garbage collector and the hot paths (measured in ``bench/``).

CPython's cyclic collector runs after every few hundred allocations; its full collections
traverse every object alive, and a server holds about 120k of them from its imports alone.
Posting allocates freely and makes almost no reference cycles, so:

- the server freezes what it holds at start-up (:func:`freeze_startup`): those objects live
  as long as the process and are never traversed again (about a tenth of a post's time);
- a bulk post runs with the collector paused (:func:`collector_paused`): a bounded request
  (at most ``MAX_BULK`` transactions) whose few cycles are collected right after (~12%).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_pauses = 0  # blocks inside collector_paused() now
_resume = True  # whether the collector was on when the first of them began
_pauses_lock = threading.Lock()


def freeze_startup() -> None:
    """Collect once, then move every object alive out of the collector's sight."""
    gc.collect()
    gc.freeze()


@contextmanager
def collector_paused() -> Iterator[None]:
    """No automatic collection inside the block. Overlapping pauses (threads) are counted:
    the collector comes back when the last one ends, and only if it was on before."""
    global _pauses, _resume
    with _pauses_lock:
        _pauses += 1
        if _pauses == 1:
            _resume = gc.isenabled()
            gc.disable()
    try:
        yield
    finally:
        with _pauses_lock:
            _pauses -= 1
            if _pauses == 0 and _resume:
                gc.enable()
