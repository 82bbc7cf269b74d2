"""An owner opens the quarter's statement on a phone: a real ``commons serve`` subprocess,
Debian's headless Chromium at 390×844, a screenshot, and no console errors (which would
include a Content-Security-Policy refusal of anything on the page)."""

from __future__ import annotations

import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import disclosure_books as fixture
from tests.acceptance.live_server import start_server

pytestmark = pytest.mark.acceptance

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``commons serve`` on the disclosure community (Q1 2025 closed, Q2 open)."""
    data = tmp_path_factory.mktemp("served") / "data"
    data.mkdir()
    books = fixture.open_at(data)
    fixture.build(books)
    books.engine.dispose()
    with start_server(data) as running:
        yield running.base_url


def _chromium(url: str, shot: Path, profile: Path, height: int = 844) -> str:
    assert CHROMIUM is not None
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            f"--window-size=390,{height}",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            f"--screenshot={shot}",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stderr


def _console_errors(log: str) -> list[str]:
    return [
        line
        for line in log.splitlines()
        if "Uncaught" in line
        or ("CONSOLE" in line and ("ERROR" in line or "error" in line.lower()))
        or "Refused to" in line  # CSP refusals
    ]


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make sysdeps)")
def test_statement_reads_on_a_phone(server: str, tmp_path: Path) -> None:
    url = f"{server}/public/maple/disclosures/2025Q1"
    shot = tmp_path / "statement-390.png"
    log = _chromium(url, shot, tmp_path / "profile")
    png = shot.read_bytes()
    assert png.startswith(b"\x89PNG")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (390, 844)
    assert _console_errors(log) == [], log
    # the whole page, for a person to look at (kept next to the test's other files)
    full = tmp_path / "statement-390-full.png"
    assert _console_errors(_chromium(url + "?lang=en", full, tmp_path / "profile2", 4200)) == []
    print(f"screenshots: {shot} {full}")


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
def test_the_served_pdf_and_markdown_carry_the_totals(server: str, tmp_path: Path) -> None:
    url = f"{server}/public/maple/disclosures/2025Q1"
    with urllib.request.urlopen(url + "?format=pdf", timeout=120) as answer:
        assert answer.headers["Content-Type"] == "application/pdf"
        (tmp_path / "s.pdf").write_bytes(answer.read())
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "s.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "共有收益净额" in text and "¥27,422.95" in text
    with urllib.request.urlopen(url + "?format=md&lang=en", timeout=30) as answer:
        markdown = answer.read().decode()
    assert "| **Net common income** | **¥27,422.95** |" in markdown
    for owner in fixture.OWNERS:
        assert owner not in text and owner not in markdown
