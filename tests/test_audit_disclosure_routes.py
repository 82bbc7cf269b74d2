"""The public pages (no login): the list of closed periods, statements in every format, the unit
lookup. Open periods answer 404. The router is mounted on a bare app here; ``create_app``
includes it in the full service."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import anyio
import httpx
import pytest
from fastapi import FastAPI

from api.routes_public import router
from tests import disclosure_books as fixture


class PublicClient:
    """A synchronous client over httpx's ASGI transport (starlette's PublicClient now asks for
    another HTTP library; this needs none)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def get(self, url: str, *, follow_redirects: bool = True) -> httpx.Response:
        async def fetch() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                response = await client.get(url, follow_redirects=follow_redirects)
                await response.aread()
                return response

        return anyio.run(fetch)


def _client(community: fixture.Community_) -> PublicClient:
    app = FastAPI()
    app.state.books = community.books
    app.include_router(router)
    return PublicClient(app)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PublicClient]:
    community = fixture.build(fixture.open_at(tmp_path_factory.mktemp("public")))
    yield _client(community)
    community.books.dispose()


def _no_owner(text: str) -> None:
    for owner in fixture.OWNERS:
        assert owner not in text


def test_list_shows_closed_periods_only(client: PublicClient) -> None:
    answer = client.get("/public/maple/disclosures?format=json")
    assert answer.status_code == 200
    body = answer.json()
    assert [p["period"] for p in body["periods"]] == ["2025Q1"]
    assert body["periods"][0]["head_seq"] == 14
    page = client.get("/public/maple/disclosures")
    assert page.headers["content-type"].startswith("text/html")
    root = ET.fromstring(page.text)
    links = [a.get("href") for a in root.iter("{http://www.w3.org/1999/xhtml}a")]
    assert "disclosures/2025Q1?lang=zh" in links
    assert "2025Q2" not in page.text


def test_statement_in_each_format(client: PublicClient) -> None:
    html = client.get("/public/maple/disclosures/2025Q1")
    assert html.status_code == 200
    assert "default-src 'none'" in html.headers["content-security-policy"]
    ET.fromstring(html.text)
    assert "¥27,422.95" in html.text
    _no_owner(html.text)
    english = client.get("/public/maple/disclosures/2025Q1?lang=en")
    assert "Net common income" in english.text
    md = client.get("/public/maple/disclosures/2025Q1?format=md")
    assert md.headers["content-type"].startswith("text/markdown")
    assert "| **共有收益净额** | **¥27,422.95** |" in md.text
    data = client.get("/public/maple/disclosures/2025Q1?format=json").json()
    assert data["net_income"] == "27422.95" and data["period"] == "2025Q1"
    _no_owner(json.dumps(data))
    pdf = client.get("/public/maple/disclosures/2025Q1?format=pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert 'filename="maple-2025Q1-zh.pdf"' in pdf.headers["content-disposition"]


def test_open_and_unknown_periods_are_404(client: PublicClient) -> None:
    for path in (
        "/public/maple/disclosures/2025Q2",
        "/public/maple/disclosures/2025Q2?format=pdf",
        "/public/maple/disclosures/1999Q1?format=json",
        "/public/nowhere/disclosures/2025Q1",
        "/public/nowhere/disclosures",
    ):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert isinstance(answer.json()["detail"], list)
    assert client.get("/public/maple/disclosures/2025Q2").json()["detail"][0]["rule"] == (
        "closed-periods-only"
    )


def test_bad_format_or_language_is_422(client: PublicClient) -> None:
    assert client.get("/public/maple/disclosures/2025Q1?format=docx").status_code == 422
    assert client.get("/public/maple/disclosures/2025Q1?lang=fr").status_code == 422


def test_unit_lookup(client: PublicClient) -> None:
    answer = client.get("/public/maple/units/1-1-0102?format=json")
    assert answer.status_code == 200
    body = answer.json()
    assert [(r["period"], r["amount"]) for r in body["receipts"]] == [("2025Q1", "1300.00")]
    assert body["total"] == "1300.00" and body["area"] == "127.38"
    _no_owner(answer.text)
    page = client.get("/public/maple/units/1-1-0102")
    ET.fromstring(page.text)
    assert "¥1,300.00" in page.text
    _no_owner(page.text)
    form = client.get("/public/maple/units?unit=1-1-0102&lang=en", follow_redirects=False)
    assert form.status_code == 303
    assert form.headers["location"] == "/public/maple/units/1-1-0102?lang=en"
    assert client.get("/public/maple/units/9-9-9999").status_code == 404


def test_a_newly_closed_period_appears_and_the_cache_follows_the_books(tmp_path: Path) -> None:
    community = fixture.build(fixture.open_at(tmp_path))
    client = _client(community)
    assert client.get("/public/maple/disclosures/2025Q2").status_code == 404
    fixture.close(community.books, "2025Q2", date(2025, 4, 1), date(2025, 6, 30))
    answer = client.get("/public/maple/disclosures/2025Q2?format=json")
    assert answer.status_code == 200 and answer.json()["total_income"] == "9500.00"
    unit = client.get("/public/maple/units/1-1-0102?format=json").json()
    assert unit["total"] == "1650.00"
