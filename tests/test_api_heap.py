"""``api.heap.collector_paused``: the collector is off inside, back on after the last of
overlapping pauses, and left off if it was off before."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from api.heap import collector_paused


@pytest.fixture(autouse=True)
def _restore_collector() -> Iterator[None]:
    was = gc.isenabled()
    yield
    (gc.enable if was else gc.disable)()


def test_paused_inside_and_back_after_an_error() -> None:
    gc.enable()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("refused")
    assert gc.isenabled()


def test_overlapping_pauses_resume_when_the_last_ends() -> None:
    gc.enable()
    outer = collector_paused()
    outer.__enter__()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()  # the outer pause still holds
    outer.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()
