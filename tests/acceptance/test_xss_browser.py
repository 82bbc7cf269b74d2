"""Ledger text cannot be turned against the people who read it: a real ``commons serve``, a
treasurer's payee, narration and documents full of markup (one entry posted, one waiting for
approval), a resolution title and a unit code too, and a headless Chromium opening every page
that shows them as the approver would: Fava's journal, an account page and the Errors page, the
entry page, the public statement. No payload runs (none sets the title, creates an element or
hides the page), the Content-Security-Policy refuses nothing (nothing needed refusing), Fava
still renders its journal and charts with the markup shown as text, and no page shows where the
server keeps its data.

The attack this pins down: a treasurer stored a pending 6,000 cost, then posted a 0.01 income
whose narration carried a script; Fava printed the narration raw, so when the approver opened
the journal the script read the entry page's CSRF token and approved the treasurer's own cost.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pytest
from sqlmodel import Session, select

from api.users import Role, add_member
from ledger import chart, journal
from ledger.models import Resolution, Unit
from ledger.schemas import PostingIn, TransactionIn
from tests import disclosure_books as fixture
from tests.acceptance.devtools import CHROMIUM, Page, browser
from tests.acceptance.live_server import Server, start_server

pytestmark = [
    pytest.mark.acceptance,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]

PWNED = "PWNED"
PAYEE = f"<img src=x onerror=\"document.title='{PWNED}'\">"
NARRATION = f"<script>document.title='{PWNED}'</script>\"><svg onload=\"document.title='{PWNED}'\">"
FORM = "<form id=pwn action=/logout method=post><button>go</button></form>"
STYLE = "<style id=pwn>body{display:none}</style>"
TITLE = f"<img src=x onerror=\"document.title='{PWNED}'\">电梯轿厢监控改造"
UNIT = "<svg onload=alert(1)>"
APPROVER = ("chair", "chair-password-for-xss")

#: What the page would show if any payload had run or become markup.
PROBE = """(() => ({
  title: document.title,
  injected: document.querySelectorAll(
    'img[src="x"], svg[onload], form#pwn, style#pwn, script:not([src]):not([type="application/json"])'
  ).length,
  hidden: getComputedStyle(document.body).display === 'none',
  text: document.body.innerText,
}))()"""


def _draft(day: str, kind: str, legs: list[tuple[str, str]]) -> TransactionIn:
    return TransactionIn(
        date=date.fromisoformat(day),
        payee=PAYEE,
        narration=NARRATION,
        kind=kind,
        postings=[PostingIn(account=a, amount=Decimal(x)) for a, x in legs],
        documents=[FORM, STYLE],
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The disclosure community (Q1 2025 closed), with the payloads stored: a 0.01 income
    posted and a 6,000 cost waiting in Q2, a resolution title and a unit code in Q1's
    statement (written to the database directly: whatever input checks exist, stored text
    must be inert)."""
    data = tmp_path_factory.mktemp("xss") / "data"
    data.mkdir()
    books = fixture.open_at(data)
    fixture.build(books)
    bank = chart.BANK
    posted = journal.post(
        books=books,
        slug=fixture.SLUG,
        draft=_draft("2025-05-10", "income", [(bank, "0.01"), (chart.INCOME_PARKING, "-0.01")]),
        actor="treasurer",
    )
    assert not posted.pending
    waiting = journal.post(
        books=books,
        slug=fixture.SLUG,
        draft=_draft("2025-05-11", "cost", [(chart.COST_DIRECT, "6000.00"), (bank, "-6000.00")]),
        actor="treasurer",
    )
    assert waiting.pending
    with Session(books.engine) as session:
        resolution = session.exec(select(Resolution).where(Resolution.number == "2025-02")).one()
        resolution.title = TITLE
        unit = session.exec(select(Unit).where(Unit.code == fixture.UNITS[0][0])).one()
        unit.code = UNIT
        session.add(resolution)
        session.add(unit)
        session.commit()
    add_member(
        books=books,
        username=APPROVER[0],
        slug=fixture.SLUG,
        role=Role.APPROVER,
        password=APPROVER[1],
        token=False,
    )
    books.engine.dispose()
    with start_server(data) as running:
        yield running


@pytest.fixture(scope="module")
def page(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    """Chromium, logged in as the approver through the login form."""
    with browser(tmp_path_factory.mktemp("chromium") / "profile") as tab:
        tab.open(f"{server.base_url}/login")
        tab.evaluate(
            f"""(() => {{
              document.getElementById('username').value = {APPROVER[0]!r};
              document.getElementById('password').value = {APPROVER[1]!r};
              document.querySelector('form[action="/login"]').submit();
            }})()"""
        )
        tab.wait_for("location.pathname !== '/login' && document.readyState === 'complete'")
        yield tab


def _inert(page: Page, server: Server, where: str) -> dict[str, Any]:
    """The page shows no sign of a payload having run, and no server path."""
    page.pump(1.0)  # let late handlers (an onerror after a failed load) fire, if any
    seen: dict[str, Any] = page.evaluate(PROBE)
    assert PWNED not in seen["title"], (where, seen["title"])
    assert seen["injected"] == 0, where
    assert not seen["hidden"], where
    assert str(server.data) not in seen["text"], where
    assert page.csp_refusals() == [], (where, page.log)
    assert not [line for line in page.log if line.startswith("exception")], (where, page.log)
    return seen


def _fava_root(page: Page, server: Server) -> str:
    page.open(f"{server.base_url}/fava/{fixture.SLUG}/")
    path: str = page.wait_for(
        "location.pathname.endsWith('/income_statement/') && location.pathname"
    )
    return server.base_url + path.rsplit("/", 2)[0]


def test_fava_journal_shows_the_markup_as_text(page: Page, server: Server) -> None:
    root = _fava_root(page, server)
    page.log.clear()
    page.open(f"{root}/journal/")
    payees = page.wait_for(
        "(() => { const p = [...document.querySelectorAll('strong.payee')]"
        ".map(e => e.textContent); return p.length ? p : null; })()"
    )
    assert PAYEE in payees  # the row rendered, its payee as text
    rows = page.evaluate("document.querySelectorAll('li.transaction').length")
    assert rows >= 15  # Q1's entries and the new one: the journal table works
    seen = _inert(page, server, "journal")
    assert "<script>document.title='PWNED'</script>" in seen["text"]


def test_fava_account_page_renders_charts_and_text(page: Page, server: Server) -> None:
    root = _fava_root(page, server)
    page.log.clear()
    page.open(f"{root}/account/{quote(chart.BANK, safe=':')}/")
    page.wait_for("document.querySelectorAll('strong.payee').length > 0")
    page.wait_for("document.querySelectorAll('svg path, svg rect').length > 0")  # its charts
    seen = _inert(page, server, "account")
    assert PAYEE in seen["text"]


def test_fava_errors_page_shows_no_server_path(page: Page, server: Server) -> None:
    """A hand edit of the projection breaks the hash chain: Fava lists the error, naming the
    file ``ledger.beancount``, never its place on the server."""
    ledger = server.data / fixture.SLUG / "ledger.beancount"
    text = ledger.read_text(encoding="utf-8")
    assert "  0.01 CNY" in text
    ledger.write_text(text.replace("  0.01 CNY", "  0.02 CNY", 1), encoding="utf-8")
    root = _fava_root(page, server)
    page.log.clear()
    page.open(f"{root}/errors/")
    page.wait_for("document.body.innerText.includes('哈希链在第')")  # the plugin speaks Chinese
    seen = _inert(page, server, "errors")
    assert "ledger.beancount" in seen["text"]


def test_the_entry_page_shows_the_waiting_cost_as_text(page: Page, server: Server) -> None:
    page.log.clear()
    page.open(f"{server.base_url}/entry/{fixture.SLUG}")
    page.wait_for("document.querySelectorAll('#pending form').length > 0")
    seen = _inert(page, server, "entry")
    assert PAYEE in seen["text"] and "<script>" in seen["text"]


def test_the_public_statement_shows_the_title_as_text(page: Page, server: Server) -> None:
    page.log.clear()
    page.open(f"{server.base_url}/public/{fixture.SLUG}/disclosures/2025Q1")
    seen = _inert(page, server, "statement")
    assert TITLE in seen["text"]
