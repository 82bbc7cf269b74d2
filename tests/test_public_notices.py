"""A closed period's notice is drawn once per format and language, stored in the database and
served from there by every node (``audit.notices``): no anonymous request makes a node draw it
again, whatever its query string, and what changed since the close is a separate live part."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from sqlmodel import Session, select

from api.cli import main
from api.routes_public import router
from audit import disclosure_render, notices
from ledger import clock, journal
from ledger.books import Books
from ledger.models import StoredNotice
from tests import disclosure_books as fixture

URL = "/public/maple/disclosures/2025Q1"


def _get(app: FastAPI, url: str, headers: dict[str, str] | None = None) -> httpx.Response:
    async def fetch() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get(url, headers=headers)
            await response.aread()
            return response

    return anyio.run(fetch)


def _node(books: Books) -> FastAPI:
    """One node of the service: its own app (and whatever it keeps in memory)."""
    app = FastAPI()
    app.state.books = books
    app.include_router(router)
    return app


class Draws:
    """Counts the statements drawn (``disclosure_render.render`` calls)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, str]] = []
        original: Callable[..., bytes] = disclosure_render.render

        def counting(st: Any, *, fmt: str, lang: str = "zh", **kw: Any) -> bytes:
            self.calls.append((fmt, lang))
            return original(st, fmt=fmt, lang=lang, **kw)

        monkeypatch.setattr(disclosure_render, "render", counting)


@pytest.fixture
def community(tmp_path: Path) -> Iterator[fixture.Community_]:
    built = fixture.build(fixture.open_at(tmp_path / "data"))
    yield built
    built.books.dispose()


@pytest.fixture
def draws(monkeypatch: pytest.MonkeyPatch) -> Draws:
    return Draws(monkeypatch)


def _rows(books: Books) -> list[StoredNotice]:
    with Session(books.engine) as session:
        return list(session.exec(select(StoredNotice)))


# --- the attack: making a node draw a statement again ---------------------------------------


def test_another_node_serves_the_stored_notice_without_drawing_it(
    community: fixture.Community_, draws: Draws, tmp_path: Path
) -> None:
    first = _get(_node(community.books), URL + "?format=pdf")
    assert first.status_code == 200 and first.content.startswith(b"%PDF")
    assert draws.calls == [("pdf", "zh")]
    # a second node on the same database (its own Books, its own memory) draws nothing
    other = fixture.open_at(tmp_path / "data")
    try:
        again = _get(_node(other), URL + "?format=pdf")
    finally:
        other.dispose()
    assert again.status_code == 200 and again.content == first.content
    assert draws.calls == [("pdf", "zh")]


def test_query_strings_and_the_data_dir_never_force_a_new_drawing(
    community: fixture.Community_, draws: Draws
) -> None:
    node = _node(community.books)
    body = _get(node, URL + "?format=md&lang=en").content
    assert draws.calls == [("md", "en")]
    for junk in (
        "&from=singlemessage",
        "&isappinstalled=0",
        "&from=timeline&x=1&y=2",
        "&format=md&_=12345",
    ):
        answer = _get(node, URL + "?format=md&lang=en" + junk)
        assert answer.status_code == 200 and answer.content == body, junk
    # the node's data directory (the rules file there) is not what the notice depends on
    rules = community.books.rules_path(fixture.SLUG)
    later = rules.stat().st_mtime_ns + 10**9
    os.utime(rules, ns=(later, later))
    assert _get(node, URL + "?format=md&lang=en").content == body
    assert draws.calls == [("md", "en")]


def test_an_unknown_format_or_language_is_refused_and_draws_nothing(
    community: fixture.Community_, draws: Draws
) -> None:
    node = _node(community.books)
    for query in ("format=docx", "lang=fr", "format=PDF", "lang=zh-CN", "format=html&lang="):
        answer = _get(node, f"{URL}?{query}")
        assert answer.status_code == 422, query
        assert isinstance(answer.json()["detail"], list)
    assert _get(node, "/public/maple/disclosures/2025Q2?format=md").status_code == 404
    assert draws.calls == []
    assert _rows(community.books) == []


def test_many_visitors_at_once_draw_it_once(community: fixture.Community_, draws: Draws) -> None:
    node = _node(community.books)
    bodies: list[bytes] = []
    lock = threading.Lock()

    def visit() -> None:
        answer = _get(node, URL + "?format=json")
        with lock:
            bodies.append(answer.content)

    threads = [threading.Thread(target=visit) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(bodies) == 6 and len(set(bodies)) == 1
    assert draws.calls == [("json", "zh")]
    assert len(_rows(community.books)) == 1


# --- what is stored, and how it is served ----------------------------------------------------


def test_the_notice_is_stored_with_its_hash_and_served_with_an_etag(
    community: fixture.Community_,
) -> None:
    node = _node(community.books)
    answer = _get(node, URL + "?format=json&lang=en")
    assert answer.status_code == 200
    digest = hashlib.sha256(answer.content).hexdigest()
    assert answer.headers["etag"] == f'"{digest}"'
    cache_control = answer.headers["cache-control"]
    assert cache_control.startswith("public, max-age=")
    assert int(cache_control.split("=")[1]) >= 24 * 3600
    (row,) = _rows(community.books)
    assert (row.period, row.format, row.lang) == ("2025Q1", notices.stored_format("json"), "en")
    assert row.body == answer.content and row.sha256 == digest
    assert row.head_seq == 14 == json.loads(row.body)["head_seq"]
    assert row.community_id == community.community_id
    for header in (f'"{digest}"', f'W/"{digest}"', f'"other", "{digest}"', "*"):
        unchanged = _get(node, URL + "?format=json&lang=en", {"If-None-Match": header})
        assert unchanged.status_code == 304, header
        assert unchanged.content == b""
        assert unchanged.headers["etag"] == f'"{digest}"'
    stale = _get(node, URL + "?format=json&lang=en", {"If-None-Match": '"0000"'})
    assert stale.status_code == 200 and stale.content == answer.content


def test_the_html_page_is_stored_and_revalidated(community: fixture.Community_) -> None:
    node = _node(community.books)
    page = _get(node, URL)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    ET.fromstring(page.text)
    (row,) = _rows(community.books)
    # the stored page with the live section (the objections and their form) before its end
    live = notices.live_html(
        notices.live(books=community.books, slug=fixture.SLUG, period="2025Q1"), lang="zh"
    )
    assert page.content == notices.with_live(row.body, live) and b'id="live"' not in row.body
    assert page.headers["etag"] == f'"{hashlib.sha256(page.content).hexdigest()}"'
    assert "default-src 'none'" in page.headers["content-security-policy"]
    # revalidated on every visit: the live section (an objection's answer) is never stale
    assert page.headers["cache-control"] == "public, no-cache"
    again = _get(node, URL, {"If-None-Match": page.headers["etag"]})
    assert again.status_code == 304


def test_the_first_insert_wins_when_two_nodes_draw_at_once(
    community: fixture.Community_, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another node stored the notice between this node's look-up and its insert: the unique
    key refuses the second row, and this node serves the first one's bytes."""
    with Session(community.books.engine) as session:
        session.add(
            StoredNotice(
                community_id=community.community_id,
                period="2025Q1",
                format=notices.stored_format("md"),
                lang="zh",
                body=b"stored first",
                sha256=hashlib.sha256(b"stored first").hexdigest(),
                head_seq=14,
                created_at=clock.now(),
            )
        )
        session.commit()
    real_read = notices._read
    looks: list[int] = []

    def not_yet(books: Books, key: tuple[str, str, str, str]) -> notices.Notice | None:
        looks.append(1)
        return None if len(looks) <= 2 else real_read(books, key)  # both look-ups miss it

    monkeypatch.setattr(notices, "_read", not_yet)
    found = notices.notice(
        books=community.books, slug=fixture.SLUG, period="2025Q1", fmt="md", lang="zh"
    )
    assert found.body == b"stored first"
    assert len(_rows(community.books)) == 1


def test_the_rendering_is_the_same_bytes_each_time(community: fixture.Community_) -> None:
    """Two nodes drawing at once store the same bytes (the first insert wins either way)."""
    from audit import disclosure

    books = community.books
    for fmt in ("html", "md", "json"):
        one = disclosure_render.render(
            disclosure.statement(books=books, slug=fixture.SLUG, period="2025Q1"),
            fmt=fmt,
            base_url=URL,
        )
        two = disclosure_render.render(
            disclosure.statement(books=books, slug=fixture.SLUG, period="2025Q1"),
            fmt=fmt,
            base_url=URL,
        )
        assert one == two, fmt


# --- what changed since the close -------------------------------------------------------------


def test_a_reversal_after_the_close_is_live_never_stored(community: fixture.Community_) -> None:
    books = community.books
    node = _node(books)
    before = _get(node, URL + "?lang=en")
    live = _get(node, URL + "/live").json()
    assert live["reversals"] == [] and live["head_seq_at_close"] == 14
    reversal = journal.reverse(
        reason="更正",
        books=books,
        slug=fixture.SLUG,
        entry_id=community.dividend_id,
        actor="treasurer",
        on=date(2025, 4, 25),
    )
    if reversal.pending:
        journal.approve(books=books, slug=fixture.SLUG, entry_id=reversal.id, actor="chair")
    live = _get(node, URL + "/live").json()
    (item,) = live["reversals"]
    assert item["kind"] == "dividend" and item["date"] == "2025-03-01"
    assert item["reversed_on"] == "2025-04-25" and item["reversed_by_seq"] > 14
    assert live["head_seq_now"] >= item["reversed_by_seq"]
    # the page shows it in its own section, after the sealed statement
    after = _get(node, URL + "?lang=en")
    assert after.status_code == 200
    root = ET.fromstring(after.text)
    sections = [s.get("id") for s in root.iter("{http://www.w3.org/1999/xhtml}section")]
    assert sections[-1] == "live" and sections == [
        s.get("id")
        for s in ET.fromstring(before.text).iter("{http://www.w3.org/1999/xhtml}section")
    ]
    assert f"reversed by entry #{item['reversed_by_seq']}" in after.text
    assert after.headers["etag"] != before.headers["etag"]
    assert _get(node, URL + "?lang=en", {"If-None-Match": before.headers["etag"]}).status_code == (
        200
    )
    # the stored bytes are the sealed statement alone
    (row,) = [
        r for r in _rows(books) if (r.format, r.lang) == (notices.stored_format("html"), "en")
    ]
    assert before.content.startswith(row.body[: row.body.rfind(b"</body>")])
    assert b'id="live"' not in row.body
    # the other formats are the stored bytes, unchanged
    md = _get(node, URL + "?format=md")
    assert b"reversed" not in md.content and "冲销" not in md.text
    assert _get(node, "/public/maple/disclosures/2025Q2/live").status_code == 404


# --- the command ------------------------------------------------------------------------------


def test_commons_disclose_writes_the_stored_notice(
    community: fixture.Community_, tmp_path: Path, draws: Draws
) -> None:
    served = _get(_node(community.books), URL + "?format=md&lang=en").content
    out = tmp_path / "s.md"
    data = str(community.books.data_dir)
    args = [
        "--lang",
        "en",
        "--data",
        data,
        "disclose",
        "maple",
        "2025Q1",
        "--format",
        "md",
        "--lang",
        "en",
    ]
    result = CliRunner().invoke(main, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == served
    assert hashlib.sha256(served).hexdigest() in result.output
    assert draws.calls == [("md", "en")]  # the web's drawing; the command read it back
    fresh = CliRunner().invoke(main, [*args, "--fresh", "--out", str(tmp_path / "f.md")])
    assert fresh.exit_code == 0, fresh.output
    assert len(draws.calls) == 2 and len(_rows(community.books)) == 1


# --- several nodes on one PostgreSQL ------------------------------------------------------------


@pytest.mark.pg
def test_nodes_on_postgresql_share_one_stored_notice(
    tmp_path: Path, pg_database: str, draws: Draws, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = fixture.build(fixture.open_at(tmp_path / "one", db=pg_database))
    other = fixture.open_at(tmp_path / "two", db=pg_database)  # another node: its own data dir
    try:
        served = _get(_node(first.books), URL + "?format=md")
        assert served.status_code == 200
        again = _get(_node(other), URL + "?format=md")
        assert again.content == served.content and again.headers["etag"] == (served.headers["etag"])
        assert draws.calls == [("md", "zh")]
        (row,) = _rows(other)
        assert bytes(row.body) == served.content
        # this node missed the row (both look-ups) and drew too: the unique key keeps the first
        real_read = notices._read
        looks: list[int] = []

        def not_yet(books: Books, key: tuple[str, str, str, str]) -> notices.Notice | None:
            looks.append(1)
            return None if len(looks) <= 2 else real_read(books, key)

        monkeypatch.setattr(notices, "_read", not_yet)
        found = notices.notice(books=other, slug=fixture.SLUG, period="2025Q1", fmt="md", lang="zh")
        assert len(looks) == 3 and len(draws.calls) == 2
        assert found.body == served.content and len(_rows(other)) == 1
    finally:
        other.dispose()
        first.books.dispose()


def test_a_notice_stored_in_an_older_layout_is_drawn_once_more_in_the_new_one(
    community: fixture.Community_, draws: Draws
) -> None:
    """The stored key carries the layout's version (``notices.NOTICE_VERSION``): a row stored
    before the registers, the print layout and the text summary (the bare format) is left as
    it was and no longer served; the new layout is drawn once and stored beside it."""
    old = b"# the statement before the registers"
    with Session(community.books.engine) as session:
        session.add(
            StoredNotice(
                community_id=community.community_id,
                period="2025Q1",
                format="md",
                lang="zh",
                body=old,
                sha256=hashlib.sha256(old).hexdigest(),
                head_seq=14,
                created_at=clock.now(),
            )
        )
        session.commit()
    node = _node(community.books)
    served = _get(node, URL + "?format=md")
    assert served.status_code == 200 and served.content != old
    assert "经营合同" in served.text and "预算执行情况表" in served.text
    assert draws.calls == [("md", "zh")]
    assert _get(node, URL + "?format=md").content == served.content
    assert draws.calls == [("md", "zh")]  # drawn once in the new layout
    rows = {(r.format, r.body) for r in _rows(community.books)}
    assert rows == {("md", old), (notices.stored_format("md"), served.content)}
