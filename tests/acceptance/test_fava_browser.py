"""The supervisory committee's Fava as a member sees it: a real ``commons serve`` on the demo,
a headless Chromium logged in as the supervisor. Fava's script draws no usable control for
writing (the Editor and Import links, the "+" buttons are hidden; the add-entry dialog opened
by its keyboard shortcut shows a note instead of a form), the editor's URL answers 404, the
Errors page speaks Chinese, and the committee's dashboard renders its tables and bars under
the Content-Security-Policy with nothing refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.acceptance.devtools import CHROMIUM, Page, browser
from tests.acceptance.live_server import Server

pytestmark = [
    pytest.mark.acceptance,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]

SLUG = "demo"
SUPERVISOR = ("supervisor", "supervisor-demo")

#: Whether the element matched by a selector is shown (exists, and takes up room).
SHOWN = "(s => [...document.querySelectorAll(s)].some(e => e.getClientRects().length > 0))"


@pytest.fixture(scope="module")
def page(demo_server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    with browser(tmp_path_factory.mktemp("chromium") / "profile") as tab:
        tab.open(f"{demo_server.base_url}/login")
        tab.evaluate(
            f"""(() => {{
              document.getElementById('username').value = {SUPERVISOR[0]!r};
              document.getElementById('password').value = {SUPERVISOR[1]!r};
              document.querySelector('form[action="/login"]').submit();
            }})()"""
        )
        tab.wait_for("location.pathname !== '/login' && document.readyState === 'complete'")
        yield tab


def _no_refusals(page: Page, where: str) -> None:
    assert page.csp_refusals() == [], (where, page.log)
    assert not [line for line in page.log if line.startswith("exception")], (where, page.log)


def test_fava_draws_no_control_for_writing(page: Page, demo_server: Server) -> None:
    page.log.clear()
    page.open(f"{demo_server.base_url}/fava/{SLUG}/income_statement/")
    page.wait_for(f"{SHOWN}('aside a[href*=\"/journal/\"]')")  # the sidebar is drawn
    # drawn by Fava's script, and hidden by our layout's style
    for drawn in (
        'aside a[href*="/editor/"]',
        'aside a[href*="/import/"]',
        'a[href="#add-transaction"]',
    ):
        assert page.evaluate(f"document.querySelectorAll({drawn!r}).length") >= 1, drawn
    for selector in (
        'aside a[href*="/editor/"]',
        'aside a[href*="/import/"]',
        'a[href="#add-transaction"]',
    ):
        assert page.evaluate(f"{SHOWN}({selector!r})") is False, selector
    for selector in (
        'aside a[href*="/journal/"]',
        'aside a[href*="/extension/CommitteeDashboard/"]',
    ):
        assert page.evaluate(f"{SHOWN}({selector!r})") is True, selector
    # Fava's shortcut for a new entry opens the dialog: it holds a note, not a form
    page.evaluate("location.hash = 'add-transaction'")
    page.wait_for("document.querySelector('dialog[open]') !== null")
    assert page.evaluate(f"{SHOWN}('dialog[open] form')") is False
    note = page.evaluate(
        "getComputedStyle(document.querySelector('dialog[open] .content'), '::before').content"
    )
    assert "账簿只读" in note
    _no_refusals(page, "income statement")


def test_the_editor_url_answers_404(page: Page, demo_server: Server) -> None:
    with demo_server.client() as http:  # refused before the login is even asked for
        assert http.get(f"/fava/{SLUG}/editor/").status_code == 404
    page.open(f"{demo_server.base_url}/fava/{SLUG}/editor/")
    assert "read-only" in page.evaluate("document.body.innerText")


def test_the_errors_page_speaks_chinese(page: Page, demo_server: Server) -> None:
    page.log.clear()
    page.open(f"{demo_server.base_url}/fava/{SLUG}/errors/")
    text = page.wait_for(
        "document.querySelector('article') && document.querySelector('article').innerText"
    )
    assert "账簿检查通过，没有错误。" in text
    _no_refusals(page, "errors")


def test_the_dashboard_renders_under_the_csp(page: Page, demo_server: Server) -> None:
    page.log.clear()
    page.open(f"{demo_server.base_url}/fava/{SLUG}/extension/CommitteeDashboard/")
    page.wait_for("document.querySelector('#committee-budget') !== null")
    seen = page.evaluate(
        """(() => ({
          sections: [...document.querySelectorAll('article section')].map(s => s.id),
          bars: document.querySelectorAll('svg.committee-bar rect').length,
          rows: document.querySelectorAll('#committee-income tbody tr').length,
          title: document.title,
        }))()"""
    )
    assert seen["sections"] == [
        "committee-income",
        "committee-resolutions",
        "committee-funds",
        "committee-arrears",
        "committee-budget",
    ]
    assert seen["bars"] > 10 and seen["rows"] > 0
    assert "监委会看板" in seen["title"]
    # a closed year has a Fava of its own (/fava/<slug>/<year>/), and its dashboard
    page.open(f"{demo_server.base_url}/fava/{SLUG}/2025/extension/CommitteeDashboard/")
    page.wait_for("document.querySelector('#committee-budget') !== null")
    assert "2025" in page.evaluate("document.querySelector('article h2').textContent")
    assert page.evaluate("document.querySelectorAll('#committee-income tbody tr').length") > 0
    _no_refusals(page, "dashboard")
