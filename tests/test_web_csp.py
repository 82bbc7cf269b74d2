"""Every page carries a Content-Security-Policy that lets no inline script or event handler run,
and no page of ours or of Fava needs one: scripts and styles come from files. Fava's answers
never show where the server keeps its data."""

from __future__ import annotations

import html
import json
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.fava_mount import FavaMount, scrub, scrubber
from api.middleware import CONTENT_SECURITY_POLICY
from ledger import journal
from ledger.books import Books
from tests.api_helpers import SLUG, Login, login
from tests.conftest import txn as draft

TEMPLATES = Path(__file__).resolve().parent.parent / "api" / "templates"


class _Inline(HTMLParser):
    """Collects what a strict CSP would block: inline executable scripts, ``on*`` handlers and
    ``javascript:`` URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            data_only = (values.get("type") or "").lower() == "application/json"
            if not values.get("src") and not data_only:
                self.found.append("inline <script>")
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:...>")


def inline_code(page: str) -> list[str]:
    parser = _Inline()
    parser.feed(page)
    return parser.found


def _directives(policy: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def test_the_default_policy_is_strict() -> None:
    policy = _directives(CONTENT_SECURITY_POLICY)
    assert policy["script-src"] == ["'self'", "'wasm-unsafe-eval'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert "'unsafe-eval'" not in CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in policy["script-src"] + policy["default-src"]


@pytest.mark.parametrize("name", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_our_templates_hold_no_inline_script_or_handler(name: str) -> None:
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    assert inline_code(text) == [], name
    assert "<style" not in text and "style=" not in text, name  # styles live in app.css


def _fava_root(client: TestClient) -> str:
    location = client.get(f"/fava/{SLUG}/", follow_redirects=False).headers["location"]
    return str(location.rsplit("/", 2)[0])


def test_every_page_carries_the_policy_and_runs_no_inline_code(
    client: TestClient, members: dict[str, Login]
) -> None:
    login_page = client.get("/login")
    assert login_page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert inline_code(login_page.text) == []

    login(client, members["treasurer"])  # the entry page with its form and script
    pages = ["/", f"/entry/{SLUG}"]
    root = _fava_root(client)
    pages += [
        f"{root}/{page}/"
        for page in ("income_statement", "journal", "errors", "query", "statistics")
    ]
    pages.append(f"{root}/account/Assets/")
    for page in pages:
        answer = client.get(page)
        assert answer.status_code == 200, page
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, page
        assert answer.headers["x-frame-options"] == "DENY"
        assert inline_code(answer.text) == [], page

    entry = client.get(f"/entry/{SLUG}").text
    assert '<script src="/assets/entry.js" defer></script>' in entry
    assert '<link rel="stylesheet" href="/assets/app.css">' in entry


def test_the_pages_assets_are_served_and_nothing_else(client: TestClient) -> None:
    script = client.get("/assets/entry.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert 'addEventListener("change", fill)' in script.text
    css = client.get("/assets/app.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    for name in ("../app.py", "..%2Fapp.py", "missing.js", "%2E%2E%2Fsettings.py"):
        assert client.get(f"/assets/{name}").status_code == 404, name


def test_the_api_docs_run_no_inline_script_and_load_nothing_from_elsewhere(
    client: TestClient, members: dict[str, Login]
) -> None:
    """The docs start Swagger UI from a file of this site, so their policy allows scripts from
    this site only; no plugins, no framing and no ``<base>``."""
    answer = client.get("/docs", headers=members["auditor"].bearer)
    assert answer.status_code == 200
    policy = _directives(answer.headers["content-security-policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy.get("object-src", policy["default-src"]) == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]


def test_the_public_pages_keep_their_stricter_policy(client: TestClient) -> None:
    answer = client.get(f"/public/{SLUG}/disclosures")
    assert answer.status_code == 200, answer.text
    policy = _directives(answer.headers["content-security-policy"])
    assert policy["default-src"] == ["'none'"]
    assert "script-src" not in policy  # no script at all
    assert inline_code(answer.text) == []


# --- no server paths --------------------------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory whose name needs escaping in JSON, HTML and URLs."""
    return tmp_path / "数据 & 'data'"


def _forms(path: Path) -> list[str]:
    """The path in every encoding an answer could use: raw, JSON (escaped or not), Jinja's
    ``tojson`` in a page, HTML, a URL."""
    raw = str(path)
    as_json = json.dumps(raw)[1:-1]
    in_page = as_json
    for char, code in (("<", "3c"), (">", "3e"), ("&", "26"), ("'", "27")):
        in_page = in_page.replace(char, f"\\u00{code}")
    return [
        raw,
        as_json,
        json.dumps(raw, ensure_ascii=False)[1:-1],
        in_page,
        html.escape(raw),
        quote(raw),
        quote(raw, safe=""),
    ]


def _fava_answers(client: TestClient, base: str) -> dict[str, str]:
    """Every Fava page and JSON answer the read-only mount lets through, for the ledger (not
    the editor, the import page and their data: ``tests/test_fava_readonly.py``)."""
    answers: dict[str, str] = {}
    for page in (
        "income_statement/",
        "balance_sheet/",
        "trial_balance/",
        "journal/",
        "errors/",
        "documents/",
        "events/",
        "statistics/",
        "commodities/",
        "query/",
        "holdings/",
        "account/Assets/",
        "help/",
        "download-journal/",
        "download-query/query_result.csv?query_string=SELECT%20filename,%20lineno",
    ):
        answers[page] = client.get(f"{base}/{page}").text
    journal_page = client.get(f"{base}/api/journal_page?page=1&order=desc").json()["data"]
    entry_hash = journal_page["journal"].split("#context-", 1)[1].split("'", 1)[0]
    for endpoint in (
        "changed",
        "errors",
        "ledger_data",
        "options",
        "journal",
        "journal_page?page=1&order=desc",
        f"source_slice?entry_hash={entry_hash}",
        f"context?entry_hash={entry_hash}",
        "account_report?a=Assets&r=journal",
        "account_report?a=Assets&r=balances",
        f"payee_accounts?payee={quote('物业服务中心')}",
        f"payee_transaction?payee={quote('物业服务中心')}",
        "narrations",
        "query?query_string=SELECT%20filename,%20lineno",
        "events",
        "documents",
        "commodities",
        "income_statement",
        "balance_sheet",
        "trial_balance",
        "statistics",
        "help?page_slug=_index",
    ):
        answers[f"api/{endpoint}"] = client.get(f"{base}/api/{endpoint}").text
    return answers


def test_fava_never_shows_the_data_directory(books: Books, community: str) -> None:
    """Fava put the projection's absolute path in every page's ledger data, in ``api/source``
    (now refused: the editor's), in each error's source and in query results; the mount takes
    it out of every answer."""
    journal.post(books=books, slug=community, draft=draft("9600.00"), actor="t")
    journal.post(books=books, slug=community, draft=draft("80.00"), actor="t")
    app = FastAPI()
    app.mount("/fava", FavaMount(books))
    client = TestClient(app)
    base = str(client.get(f"/fava/{community}/", follow_redirects=True).url)
    base = base.rstrip("/").rsplit("/", 1)[0]

    data = books.data_dir.absolute()
    answers = _fava_answers(client, base)
    entry_source = json.loads(next(v for k, v in answers.items() if "source_slice" in k))
    slice_text = entry_source["data"]["slice"]
    assert " CNY" in slice_text and "commons-ledger" not in slice_text  # the entry alone
    assert (
        "ledger.beancount"
        in answers["download-query/query_result.csv?query_string=SELECT%20filename,%20lineno"]
    )

    # an error: a hand edit breaks the hash chain, and Fava's Errors page lists it with its file
    time.sleep(1.1)
    path = books.projection(community).path
    path.write_text(
        path.read_text(encoding="utf-8")
        .replace("-80.00 CNY", "-8.00 CNY")
        .replace("  80.00 CNY", "  8.00 CNY"),
        encoding="utf-8",
    )
    # the mount has Fava look at its files before each request: the next one sees the edit
    errors = client.get(f"{base}/api/errors").json()["data"]
    assert errors and all(e["source"]["filename"] == "ledger.beancount" for e in errors), errors
    answers |= {f"after the edit: {k}": v for k, v in _fava_answers(client, base).items()}

    for name, text in answers.items():
        for form in _forms(data) + _forms(data.resolve()):
            assert form not in text, (name, form)
    assert str(data) not in repr(answers)


def test_scrubbing_replaces_the_longest_path_first(tmp_path: Path) -> None:
    data = tmp_path / "data"
    replacements = scrubber(data / "maple", data)
    body = f'{{"a": "{data}/maple/ledger.beancount", "b": "{data}/other/x", "c": "{data}"}}'
    assert scrub(body.encode(), replacements) == (
        b'{"a": "ledger.beancount", "b": "other/x", "c": "."}'
    )
