"""Fava for a supervisory committee: the URLs carry the community's slug alone, and income
and liabilities show positive (``invert-income-liabilities-equity`` in the projection)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.fava_mount import FavaMount
from ledger import journal
from ledger.books import Books
from tests.conftest import txn


def client_for(books: Books) -> TestClient:
    app = FastAPI()
    app.mount("/fava", FavaMount(books))
    return TestClient(app)


def test_deep_links_carry_the_community_slug_alone(books: Books, community: str) -> None:
    client = client_for(books)
    landing = client.get(f"/fava/{community}/", follow_redirects=True)
    assert landing.status_code == 200
    assert str(landing.url).startswith(f"http://testserver/fava/{community}/")
    # one slug: /fava/<slug>/<report>/, not /fava/<slug>/<title-slug>/<report>/
    assert str(landing.url).removeprefix("http://testserver").count("/") == 4, landing.url
    page = client.get(f"/fava/{community}/income_statement/")
    assert page.status_code == 200


def test_income_shows_positive(books: Books, community: str) -> None:
    assert 'custom "fava-option" "invert-income-liabilities-equity" "true"' in (
        books.projection(community).path.read_text(encoding="utf-8")
    )
    journal.post(books=books, slug=community, draft=txn("9600.00"), actor="t")
    client = client_for(books)
    answer = client.get(f"/fava/{community}/api/income_statement")
    assert answer.status_code == 200, answer.text[:300]
    # the income chart (Fava inverts it on the server; its tree is inverted in the browser)
    income = answer.json()["data"]["charts"][1]
    totals = [point["balance"].get("CNY", 0) for point in income["data"]]
    assert sum(totals) == 9600, income


def test_fava_static_files_are_served_beside_the_slugs_and_static_is_no_slug(
    books: Books,
) -> None:
    """Fava's pages load ``/fava/static/...``; no community may take that name."""
    from ledger.errors import ValidationFailed
    from rules.community import create

    with pytest.raises(ValidationFailed, match="names part of the service's URLs"):
        create(books=books, slug="static", name="静态")
