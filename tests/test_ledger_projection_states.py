"""The projection's two states besides *current*, defined once in ``ledger.projection``:
*behind* (its entries are a prefix of the journal's: caught up and logged, never tampering) and
*altered* (an entry differs, or text follows the last one: kept aside, rebuilt, recorded as an
event). And a committed entry is never reported as a failure when the append after it fails."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from api.app import create_app
from api.settings import Settings
from ledger import journal
from ledger.books import Books
from ledger.models import Event
from ledger.projection import Projection
from tests.api_helpers import SLUG, Login
from tests.conftest import txn


def post(books: Books, slug: str, amount: str) -> int:
    result = journal.post(books=books, slug=slug, draft=txn(amount), actor="treasurer")
    assert result.seq is not None
    return result.seq


def rebuilt_text(books: Books, slug: str, tmp_path: Path) -> str:
    """The projection as a rebuild from the journal writes it, in a scratch directory."""
    with Session(books.engine) as session:
        community = books.community(session, slug)
        scratch = Projection(tmp_path / "scratch")
        scratch.rebuild(books.header(session, community), books.chained(session, community.id))
    return scratch.path.read_text(encoding="utf-8")


def altered_events(books: Books) -> list[Event]:
    with Session(books.engine) as session:
        query = select(Event).where(col(Event.action) == "projection-altered")
        return list(session.execute(query).scalars())


def test_a_projection_missing_the_last_entries_is_behind_and_caught_up_quietly(
    books: Books, community: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = books.projection(community).path
    post(books, community, "10.00")
    post(books, community, "20.00")
    earlier = path.read_text(encoding="utf-8")
    post(books, community, "30.00")
    post(books, community, "40.00")
    path.write_text(earlier, encoding="utf-8")  # e.g. restored from yesterday's copy
    with caplog.at_level(logging.INFO, logger="ledger.books"):
        post(books, community, "50.00")
    assert path.read_text(encoding="utf-8") == rebuilt_text(books, community, tmp_path)
    assert "behind the journal (entries to #2 of #5); caught up" in caplog.text
    assert altered_events(books) == []
    assert not list(path.parent.glob("*.altered-*"))


def test_a_write_torn_by_a_crash_is_behind_not_altered(
    books: Books, community: str, tmp_path: Path
) -> None:
    path = books.projection(community).path
    post(books, community, "10.00")
    full = rebuilt_text(books, community, tmp_path)
    post(books, community, "20.00")
    longer = rebuilt_text(books, community, tmp_path)
    torn = longer[: len(full) + (len(longer) - len(full)) // 2]  # half of entry #2 written
    path.write_text(torn, encoding="utf-8")
    books.sync_projection(community)  # as at start-up
    assert path.read_text(encoding="utf-8") == longer
    assert altered_events(books) == []


@pytest.mark.parametrize("edit", ["amount", "appended"])
def test_an_altered_projection_is_kept_aside_rebuilt_and_recorded(
    books: Books,
    community: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    edit: str,
) -> None:
    """Found: after a hand edit of the projection, the next post rebuilt the file silently,
    and nothing recorded that it had been altered."""
    path = books.projection(community).path
    post(books, community, "10.00")
    post(books, community, "123.45")
    text = path.read_text(encoding="utf-8")
    if edit == "amount":
        tampered = text.replace("123.45 CNY", "923.45 CNY", 1)
    else:
        tampered = (
            text + '\n2025-03-31 * "停车场" "补记"\n  Assets:1002-银行存款:01-基本户  1.00 CNY\n'
        )
    assert tampered != text
    path.write_text(tampered, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="ledger.books"):
        post(books, community, "30.00")
    assert path.read_text(encoding="utf-8") == rebuilt_text(books, community, tmp_path)
    kept = list(path.parent.glob("ledger.beancount.altered-*"))
    assert len(kept) == 1 and kept[0].read_text(encoding="utf-8") == tampered
    (event,) = altered_events(books)
    assert event.object_id == community
    if edit == "amount":
        assert '"differing": [2]' in event.details
        assert "entries differing from the journal: #2" in caplog.text
    else:  # the hand-added text stands where the journal's next entry (#3) belongs
        assert '"differing": [3]' in event.details
    assert "ALTERED" in caplog.text


def test_a_failed_append_after_the_commit_still_answers_the_entry_and_is_repaired(
    api_settings: Settings,
    api_books: Books,
    members: dict[str, Login],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = create_app(api_settings, books=api_books)
    client = TestClient(app)
    path = api_books.projection(SLUG).path
    before = path.read_text(encoding="utf-8")

    def full_disk(self: Projection, items: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Projection, "_write_items", full_disk)
    body = {
        "date": "2025-03-31",
        "payee": "停车场",
        "narration": "3月地面停车费",
        "kind": "income",
        "postings": [
            {"account": "Assets:1002-银行存款:01-基本户", "amount": "96.00"},
            {"account": "Income:4301-共有收益:01-停车费", "amount": "-96.00"},
        ],
    }
    with caplog.at_level(logging.ERROR, logger="ledger.books"):
        answer = client.post(
            f"/api/v1/communities/{SLUG}/transactions",
            json=body,
            headers=members["treasurer"].bearer,
        )
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "posted"
    assert "append failed after the commit" in caplog.text
    assert path.read_text(encoding="utf-8") == before  # not in the file yet
    monkeypatch.undo()
    create_app(api_settings, books=api_books)  # start-up repairs the file
    assert "96.00 CNY" in path.read_text(encoding="utf-8")
    assert altered_events(api_books) == []
