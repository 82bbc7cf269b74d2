"""Fava for a supervisory committee reads and never writes, and says so in Chinese: the editor,
the import page and their data answer 404 from our mount (``api.fava_readonly``) before Fava
sees them; the controls Fava's script draws for writing are hidden by our ``_layout.html``
(checked in a browser by tests/acceptance/test_fava_browser.py); the Errors page's words are
Chinese and its errors name no server path. All with the real Fava app."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import fava
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.fava_mount import FAVA_TEMPLATES, FavaMount
from api.fava_readonly import blocked
from ledger import journal
from ledger.books import Books
from tests.api_helpers import SLUG, Login, login
from tests.conftest import txn

FAVA_LAYOUT = Path(fava.__file__).parent / "templates" / "_layout.html"
#: The Errors page's words (Fava's frontend, ``src/reports/errors``), and the sidebar's.
ERRORS_PAGE_WORDS = ("Errors", "Error", "No errors.", "File", "Line")
BLOCKED = (
    "editor/",
    "editor",
    "import/",
    "api/source",
    "api/imports",
    "api/extract?filename=x.csv&importer=y",
)


def client_for(books: Books) -> TestClient:
    app = FastAPI()
    app.mount("/fava", FavaMount(books))
    return TestClient(app)


def _json_block(page: str, block: str) -> Any:
    found = re.search(rf'<script type="application/json" id="{block}">(.*?)</script>', page, re.S)
    assert found is not None, block
    return json.loads(found.group(1))


def test_the_layout_is_fava_s_with_the_style_and_the_words_added() -> None:
    """Nothing of Fava's page is lost: take out our header comment, the <style> and the
    translations step, and Fava's own _layout.html remains."""
    original = FAVA_LAYOUT.read_text(encoding="utf-8")
    ours = (FAVA_TEMPLATES / "_layout.html").read_text(encoding="utf-8")
    body = ours.split("-#}\n", 1)[1]
    body = re.sub(r"    <style>\n.*?</style>\n", "", body, flags=re.S)
    body = re.sub(
        r"    \{% set words = dict\(translations\(\)\) %\}\n.*?\{% endif %\}\n(.*?)\{\{ words\|tojson \}\}",
        r"\1{{ translations()|tojson }}",
        body,
        flags=re.S,
    )
    assert body == original


@pytest.mark.parametrize("where", BLOCKED)
def test_the_editor_and_the_import_page_answer_404(
    books: Books, community: str, where: str
) -> None:
    client = client_for(books)
    assert client.get(f"/fava/{community}/income_statement/").status_code == 200
    answer = client.get(f"/fava/{community}/{where}", follow_redirects=False)
    assert answer.status_code == 404, answer.text[:200]
    assert "read-only" in answer.text


def test_reading_still_works_entries_and_their_context_included(
    books: Books, community: str
) -> None:
    journal.post(books=books, slug=community, draft=txn("9600.00"), actor="t")
    client = client_for(books)
    for where in ("journal/", "balance_sheet/", "errors/", "api/journal_page?page=1&order=desc"):
        assert client.get(f"/fava/{community}/{where}").status_code == 200, where
    entries = client.get(f"/fava/{community}/api/journal").json()["data"]
    posted = [e for e in entries if e["t"] == "Transaction"]
    assert posted
    context = client.get(
        f"/fava/{community}/api/context", params={"entry_hash": posted[0]["entry_hash"]}
    )
    assert context.status_code == 200  # an entry's context (its balances) still shows


def test_blocked_reads_a_fiscal_year_s_fava_too() -> None:
    """The mount may serve a year's Fava at ``/fava/<slug>/<year>/``: the same pages blocked."""
    assert blocked("maple/2025/editor/") and blocked("maple/2025/api/source")
    assert blocked("maple/import") and blocked("/maple/editor/")
    assert not blocked("maple/2025/journal/") and not blocked("maple/")
    assert not blocked("maple/api/source_slice") and not blocked("maple/editor-notes/")
    assert not blocked("editor/")  # a community called "editor" keeps its Fava


def test_members_get_404_for_the_editor_through_the_service(
    client: TestClient, members: dict[str, Login]
) -> None:
    login(client, members["supervisor"])
    assert client.get(f"/fava/{SLUG}/income_statement/").status_code == 200
    for where in ("editor/", "import/", "api/source"):
        assert client.get(f"/fava/{SLUG}/{where}", follow_redirects=False).status_code == 404


def test_every_page_carries_the_style_hiding_the_controls_for_writing(
    books: Books, community: str
) -> None:
    page = client_for(books).get(f"/fava/{community}/income_statement/").text
    style = page.split("<style>", 1)[1].split("</style>", 1)[0]
    for selector in (
        'aside li:has(> a[href*="/editor/"])',
        'aside li:has(> a[href*="/import/"])',
        'a[href="#add-transaction"]',
        'dialog form:has(input[type="file"])',
        "form:has(> div.editor) > .flex-row",
    ):
        assert selector in style, selector
    # Fava's script still draws them this way (a Fava upgrade that changes it fails here)
    script = (Path(fava.__file__).parent / "static" / "app.js").read_text(encoding="utf-8")
    assert 'report: "editor"' in script and 'report: "import"' in script
    assert '<a href="#add-transaction"' in script
    assert '<input type="file" multiple=""/>' in script
    assert '<div class="editor svelte-1pzee4e"></div> <div class="flex-row">' in script


def test_the_errors_page_is_in_chinese_and_names_no_server_path(
    books: Books, community: str
) -> None:
    """A hand edit of the projection breaks the hash chain: the Errors page lists it, naming
    the file ``ledger.beancount``, never where it lives."""
    journal.post(books=books, slug=community, draft=txn("9600.00"), actor="t")
    path = books.projection(community).path
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("9600.00 CNY", "9601.00 CNY", 1), encoding="utf-8")
    client = client_for(books)
    page = client.get(f"/fava/{community}/errors/").text
    words = _json_block(page, "translations")
    for word in ERRORS_PAGE_WORDS:
        assert re.search(r"[\u4e00-\u9fff]", words[word]), (word, words[word])
    assert words["Errors"] == "账簿错误"
    data = _json_block(page, "ledger-data")
    assert data["errors"], "the altered entry is reported"
    api_errors = client.get(f"/fava/{community}/api/errors").text
    server = str(books.data_dir)
    for where in (page, api_errors, json.dumps(data, ensure_ascii=False)):
        assert server not in where
        assert str(Path(server).resolve()) not in where
    files = {e["source"]["filename"] for e in data["errors"] if e.get("source")}
    assert "ledger.beancount" in files
