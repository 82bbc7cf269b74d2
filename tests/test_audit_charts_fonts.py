"""The charts find the system's CJK fonts even when matplotlib's font cache predates them."""

from __future__ import annotations

import shutil

import pytest
from matplotlib import font_manager

from audit import charts


@pytest.mark.skipif(shutil.which("fc-list") is None, reason="fontconfig is not installed")
def test_a_font_cache_from_before_the_cjk_fonts_is_completed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not any("CJK" in p for p in font_manager.findSystemFonts()):
        pytest.skip("fonts-noto-cjk is not installed (make sysdeps)")
    stale = [f for f in font_manager.fontManager.ttflist if "CJK" not in f.name]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", stale)

    charts._know_cjk_fonts()

    known = {f.name for f in font_manager.fontManager.ttflist}
    assert known & {"Noto Sans CJK SC", "Noto Sans CJK JP"}, sorted(known)
