"""Tamper detection: ``commons verify`` and bean-check (the plugin) both notice."""

from __future__ import annotations

from beancount import loader
from sqlalchemy import update
from sqlmodel import Session

from audit.verify import verify
from ledger import journal
from ledger.books import Books
from ledger.models import Posting
from tests.conftest import txn


def post_three(books: Books, slug: str) -> list[str]:
    return [
        journal.post(books=books, slug=slug, draft=txn(amount), actor="t").entry.id
        for amount in ("100.00", "200.00", "300.00")
    ]


def test_clean_books_verify(books: Books, community: str) -> None:
    post_three(books, community)
    report = verify(books, community)
    assert report.ok, report.problems
    assert report.entries == 3
    assert "OK, 3 entries" in report.summary()


def test_changed_amount_in_database_is_named(books: Books, community: str) -> None:
    ids = post_three(books, community)
    with Session(books.engine) as session:
        session.execute(
            update(Posting)
            .where(Posting.entry_id == ids[1])
            .where(Posting.position == 0)
            .values(amount_fen=20100)
        )
        session.commit()
    report = verify(books, community)
    assert not report.ok
    assert any(p.startswith(f"seq 2 (entry {ids[1]})") for p in report.problems), report.problems
    assert any("projection: seq 2 differs" in p for p in report.problems)


def test_edited_projection_fails_verify_and_bean_check(books: Books, community: str) -> None:
    post_three(books, community)
    path = books.projection(community).path
    text = path.read_text(encoding="utf-8")
    assert text.count("  300.00 CNY") == 1
    path.write_text(
        text.replace("  300.00 CNY", "  300.01 CNY").replace("-300.00 CNY", "-300.01 CNY"),
        encoding="utf-8",
    )
    tampered_line = (
        next(n for n, line in enumerate(path.read_text().splitlines(), 1) if "seq: 3" in line) - 2
    )  # the date line: two above "seq:" (after "id:")

    report = verify(books, community)
    assert "projection: seq 3 differs from the journal" in report.problems
    _entries, errors, _ = loader.load_file(str(path))
    chain = [e for e in errors if "哈希链在第 3 笔断开" in e.message]
    assert len(chain) == 1
    assert chain[0].source["lineno"] == tampered_line
    assert any("beancount: line" in p and "第 3 笔" in p for p in report.problems)


def test_rebuild_repairs_a_truncated_projection(books: Books, community: str) -> None:
    post_three(books, community)
    path = books.projection(community).path
    full = path.read_bytes()
    path.write_bytes(full[: len(full) - 40])  # a crash in the middle of a write
    journal.post(books=books, slug=community, draft=txn("1.00"), actor="t")
    assert verify(books, community).ok
    assert path.read_bytes().startswith(full)


def test_half_written_entry_after_the_recorded_offset_is_dropped(
    books: Books, community: str
) -> None:
    post_three(books, community)
    path = books.projection(community).path
    with open(path, "a", encoding="utf-8") as out:
        out.write('\n2025-03-31 * "half" "writ')  # a writer killed mid-entry
    assert not verify(books, community).ok
    journal.post(books=books, slug=community, draft=txn("1.00"), actor="t")
    assert verify(books, community).ok
    assert "half" not in path.read_text(encoding="utf-8")
