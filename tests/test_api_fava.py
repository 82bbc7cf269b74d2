"""The read-only Fava mount: each community's projection at /fava/{slug}/, writes refused
before they reach Fava, and a new posting visible on the next request."""

from __future__ import annotations

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


def test_fava_serves_the_projection_read_only(books: Books, community: str) -> None:
    journal.post(
        books=books, slug=community, draft=txn("9600.00", narration="三月停车费"), actor="t"
    )
    client = client_for(books)
    journal_page = client.get(f"/fava/{community}/", follow_redirects=True)
    assert journal_page.status_code == 200
    base = str(journal_page.url).rstrip("/").rsplit("/", 1)[0]
    assert client.get(f"{base}/journal/").status_code == 200
    assert "三月停车费" in client.get(f"{base}/api/journal").json()["data"].__repr__()

    for method in ("put", "post", "delete"):
        refused = client.request(method.upper(), f"{base}/api/add_entries", json={"entries": []})
        assert refused.status_code == 405, method
        assert "read-only" in refused.text

    journal.post(books=books, slug=community, draft=txn("80.00", narration="临时停车"), actor="t")
    # The mount has Fava look at its files before every request (its JSON API too), so the
    # next request shows the post, without waiting for the page's poll of api/changed.
    assert "临时停车" in repr(client.get(f"{base}/api/journal").json()["data"])


def test_unknown_community_is_404(books: Books) -> None:
    assert client_for(books).get("/fava/nowhere/").status_code == 404


def test_fava_errors_page_shows_a_tampered_entry(books: Books, community: str) -> None:
    journal.post(books=books, slug=community, draft=txn("9600.00"), actor="t")
    journal.post(books=books, slug=community, draft=txn("80.00"), actor="t")
    client = client_for(books)
    base = (
        str(client.get(f"/fava/{community}/", follow_redirects=True).url)
        .rstrip("/")
        .rsplit("/", 1)[0]
    )
    assert client.get(f"{base}/api/errors").json()["data"] == []

    path = books.projection(community).path
    path.write_text(
        path.read_text(encoding="utf-8")
        .replace("  80.00 CNY", "  8.00 CNY")
        .replace("-80.00 CNY", "-8.00 CNY"),
        encoding="utf-8",
    )
    # the next request sees the edit (the mount has Fava look at its files first), and the
    # edited file is left for Fava to show, not repaired behind its back
    errors = client.get(f"{base}/api/errors").json()["data"]
    assert any("哈希链在第 2 笔断开" in e["message"] for e in errors), errors
