"""The API documentation works offline and is for members: ``/docs`` and ``/redoc`` load only
same-origin files (Swagger UI and ReDoc from a package), run no inline script, and, like
``/openapi.json``, answer only members unless the server runs with ``--public-docs``."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api import docs
from api.cli import main
from api.settings import Settings
from tests.api_helpers import Login, login

PAGES = ("/docs", "/redoc")


class Links(HTMLParser):
    """Every URL a page refers to, and the text of its scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("src", "href", "spec-url", "data-openapi-url", "action"):
            value = found.get(name)
            if value is not None:
                self.urls.append(value)
        if tag == "script":
            self.scripts.append(found)
            self._in_script = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_text.append(data)


def _links(html: str) -> Links:
    parser = Links()
    parser.feed(html)
    return parser


def _same_origin(url: str) -> bool:
    return url.startswith("/") and not url.startswith("//") and "\\" not in url


@pytest.mark.parametrize("page", PAGES)
def test_the_docs_load_only_same_origin_files_and_they_answer(
    client: TestClient, members: dict[str, Login], page: str
) -> None:
    auth = members["auditor"].bearer
    answer = client.get(page, headers=auth)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert not re.search(r"(?i)(https?:)?//[a-z0-9.-]+\.[a-z]", answer.text), "a URL elsewhere"
    found = _links(answer.text)
    assert found.urls and all(_same_origin(url) for url in found.urls), found.urls
    for url in found.urls:
        fetched = client.get(url, headers=auth)
        assert fetched.status_code == 200, url
        assert fetched.content, url
    assert docs.OPENAPI_URL in found.urls
    scripts = [url for url in found.urls if url.endswith(".js")]
    assert scripts and all(f"/{docs.VERSION}/" in url for url in scripts)  # pinned by version


@pytest.mark.parametrize("page", PAGES)
def test_the_docs_run_no_inline_script(
    client: TestClient, members: dict[str, Login], page: str
) -> None:
    """A ``script-src 'self'`` policy blocks inline scripts and handlers: there are none."""
    answer = client.get(page, headers=members["auditor"].bearer)
    found = _links(answer.text)
    assert found.scripts and all(script.get("src") for script in found.scripts)
    assert "".join(found.script_text).strip() == ""
    assert not re.search(r"(?i)\son[a-z]+\s*=", answer.text)
    assert "javascript:" not in answer.text
    assert "script-src 'self'" in answer.headers["content-security-policy"]


def test_anonymous_callers_are_refused(client: TestClient, app: FastAPI) -> None:
    anonymous = TestClient(app, follow_redirects=False)
    for page in PAGES:
        answer = anonymous.get(page, headers={"Accept": "text/html"})
        assert answer.status_code == 303, page
        assert answer.headers["location"] == f"/login?next={page}"
    for url in (docs.OPENAPI_URL, docs.asset("swagger-ui-bundle.js"), docs.asset("favicon.png")):
        refused = anonymous.get(url)
        assert refused.status_code == 401, url
        assert refused.json()["detail"][0]["rule"] == "auth"
        assert "paths" not in refused.text
    bad = anonymous.get(docs.OPENAPI_URL, headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401


def test_a_logged_in_member_reads_the_docs(app: FastAPI, members: dict[str, Login]) -> None:
    browser = TestClient(app, follow_redirects=False)
    login(browser, members["supervisor"])
    for url in (*PAGES, docs.OPENAPI_URL, docs.asset("swagger-init.js")):
        assert browser.get(url).status_code == 200, url
    assert (
        "/api/v1/communities/{slug}/transactions" in browser.get(docs.OPENAPI_URL).json()["paths"]
    )


def test_only_the_listed_assets_are_served(client: TestClient, members: dict[str, Login]) -> None:
    auth = members["auditor"].bearer
    for url in (
        f"{docs.ASSETS_URL}/{docs.VERSION}/core.py",
        f"{docs.ASSETS_URL}/{docs.VERSION}/..%2Fcore.py",
        f"{docs.ASSETS_URL}/0.0.1/swagger-ui.css",
    ):
        assert client.get(url, headers=auth).status_code == 404, url
    css = client.get(docs.asset("swagger-ui.css"), headers=auth)
    assert css.headers["content-type"].startswith("text/css")
    assert "immutable" in css.headers["cache-control"]


def test_public_docs_open_them_to_everyone(app: FastAPI) -> None:
    app.state.settings.public_docs = True
    anonymous = TestClient(app, follow_redirects=False)
    for page in PAGES:
        answer = anonymous.get(page)
        assert answer.status_code == 200, page
        for url in _links(answer.text).urls:
            assert anonymous.get(url).status_code == 200, url


def test_public_docs_from_the_environment_and_the_serve_option(
    monkeypatch: pytest.MonkeyPatch, api_settings: Settings
) -> None:
    monkeypatch.setenv("COMMONS_PUBLIC_DOCS", "1")
    assert Settings().public_docs is True
    monkeypatch.delenv("COMMONS_PUBLIC_DOCS")
    assert Settings().public_docs is False
    import uvicorn

    started: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: started.append(app))
    data = str(api_settings.data)
    for extra, expected in (([], False), (["--public-docs"], True)):
        result = CliRunner().invoke(main, ["--lang", "en", "--data", data, "serve", *extra])
        assert result.exit_code == 0, result.output
        assert started[-1].state.settings.public_docs is expected
        assert ("API docs (anyone)" in result.output) is expected
