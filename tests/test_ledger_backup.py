"""Backup while posting, restore elsewhere: the restored books verify and equal the books at
the snapshot's sequence number (on SQLite and PostgreSQL), with every register of the
community beside the journal (documents and their links, bank lines, stored notices,
objections)."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import threading
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy import select
from sqlmodel import Session, SQLModel

from api.books import open_books
from api.settings import Settings
from audit.verify import verify
from ledger import journal
from ledger.backup import KEYED_SINCE_0009, NOT_A_COMMUNITYS, _tables, backup, restore
from ledger.books import Books
from ledger.errors import Conflict
from rules.community import create
from tests.conftest import BOOKS_START, txn


def test_backup_during_posting_restores_to_the_snapshot(any_books: Books, tmp_path: Path) -> None:
    create(books=any_books, slug="maple", name="枫林苑", start=BOOKS_START)
    for n in range(20):
        journal.post(
            books=any_books, slug="maple", draft=txn(f"{n + 1}.00", key=f"a{n}"), actor="t"
        )
    stop = threading.Event()

    def poster() -> None:
        n = 0
        while not stop.is_set() and n < 300:
            journal.post(books=any_books, slug="maple", draft=txn("1.00", key=f"b{n}"), actor="t")
            n += 1

    thread = threading.Thread(target=poster)
    thread.start()
    try:
        manifest = backup(books=any_books, slug="maple", out=tmp_path / "maple.tar.gz")
    finally:
        stop.set()
        thread.join(timeout=60)
    assert manifest["head_seq"] >= 20
    with Session(any_books.engine) as session:
        original = {
            item.txn.seq: item.hash
            for item in any_books.chained(
                session, any_books.community(session, "maple").id, upto_seq=manifest["head_seq"]
            )
        }

    target = open_books(Settings(data=tmp_path / "restored"))
    restored = restore(books=target, archive=tmp_path / "maple.tar.gz")
    assert restored["head_seq"] == manifest["head_seq"]
    report = verify(target, "maple")
    assert report.ok, report.problems
    assert (report.entries, report.head) == (manifest["head_seq"], manifest["head_hash"])
    with Session(target.engine) as session:
        copied = {
            item.txn.seq: item.hash
            for item in target.chained(session, target.community(session, "maple").id)
        }
    assert copied == original
    # the restored books go on posting from the snapshot's head
    nxt = journal.post(books=target, slug="maple", draft=txn("5.00"), actor="t")
    assert nxt.entry.seq == manifest["head_seq"] + 1
    assert (target.rules_path("maple")).read_text() == any_books.rules_path("maple").read_text()
    with pytest.raises(Conflict):
        restore(books=target, archive=tmp_path / "maple.tar.gz")
    target.engine.dispose()


def test_restore_into_postgresql_keeps_posting(
    books: Books, tmp_path: Path, pg_database: str
) -> None:
    create(books=books, slug="maple", name="枫林苑", start=BOOKS_START)
    first = journal.post(books=books, slug="maple", draft=txn("9.00"), actor="t")
    journal.reverse(reason="更正", books=books, slug="maple", entry_id=first.entry.id, actor="t")
    backup(books=books, slug="maple", out=tmp_path / "maple.tar.gz")
    target = open_books(Settings(data=tmp_path / "pg", db=pg_database))
    restore(books=target, archive=tmp_path / "maple.tar.gz")
    assert verify(target, "maple").ok
    # serial ids continue after the restored rows (postings, events)
    posted = journal.post(books=target, slug="maple", draft=txn("3.00"), actor="t")
    assert posted.entry.seq == 3
    assert verify(target, "maple").ok
    target.engine.dispose()


#: What a community has beside its journal that a backup once left behind.
REGISTERS = ("document", "documentlink", "bankline", "storednotice", "objection", "objectioncount")


def _register_rows(books: Books, slug: str) -> dict[str, list[dict[str, object]]]:
    """Each register's rows of the community, by id, every column."""
    tables = SQLModel.metadata.tables
    out: dict[str, list[dict[str, object]]] = {}
    with books.engine.connect() as conn:
        community = tables["community"]
        found = conn.execute(select(community.c.id).where(community.c.slug == slug)).scalar_one()
        documents = select(tables["document"].c.id).where(
            tables["document"].c.community_id == found
        )
        for name in REGISTERS:
            table = tables[name]
            mine = (
                table.c.document_id.in_(documents)
                if name == "documentlink"
                else table.c.community_id == found
            )
            rows = conn.execute(select(table).where(mine).order_by(table.c.id)).mappings()
            out[name] = [dict(row) for row in rows]
    return out


@pytest.mark.parametrize("target_db", ["sqlite", "postgresql"])
def test_a_restored_community_has_its_documents_bank_lines_notices_and_objections(
    books: Books, tmp_path: Path, request: pytest.FixtureRequest, target_db: str
) -> None:
    """A community with documents (linked to entries, a resolution, a contract), a bank
    statement, a stored notice and objections (with their daily count) comes back whole: every
    row of each, the documents' bytes, and the documents beside the restored ledger."""
    from audit import notices
    from rules import documents, objections
    from tests.test_audit_package_schedules import SLUG, _build

    _build(books)
    with freeze_time("2025-04-09 02:00:00"):
        stored = notices.notice(books=books, slug=SLUG, period="2025Q1", fmt="json", lang="zh")
        body = objections.ObjectionIn(
            unit="1-1-0101", contact="o@example.com", concerns="广告费", text="金额不符"
        )
        objections.file(books=books, slug=SLUG, period="2025Q1", body=body, address="203.0.113.5")
    before = _register_rows(books, SLUG)
    assert all(before[name] for name in REGISTERS), {n: len(r) for n, r in before.items()}
    assert any(link["contract"] for link in before["documentlink"])
    manifest = backup(books=books, slug=SLUG, out=tmp_path / "maple.tar.gz")
    assert {name: manifest["rows"][name] for name in REGISTERS} == {
        name: len(rows) for name, rows in before.items()
    }

    db = request.getfixturevalue("pg_database") if target_db == "postgresql" else None
    target = open_books(Settings(data=tmp_path / "restored", db=db))
    restore(books=target, archive=tmp_path / "maple.tar.gz")
    assert _register_rows(target, SLUG) == before
    assert verify(target, SLUG).ok
    listed = documents.listed(books=target, slug=SLUG)
    assert listed == documents.listed(books=books, slug=SLUG)
    for item in listed:
        _out, body = documents.get(books=target, slug=SLUG, sha256=item.sha256)
        assert hashlib.sha256(body).hexdigest() == item.sha256
    ledger = target.projection(SLUG).path
    assert sorted(p.name for p in (ledger.parent / "documents").iterdir()) == sorted(
        f"{d.sha256}.pdf" for d in listed if d.entries and d.type == "application/pdf"
    )
    # The stored notice is served as it was stored, not drawn again.
    again = notices.notice(books=target, slug=SLUG, period="2025Q1", fmt="json", lang="zh")
    assert (again.sha256, again.body) == (stored.sha256, stored.body)
    target.engine.dispose()


def test_every_table_is_a_communitys_or_named_as_no_communitys() -> None:
    """A new table is either in the backup or said to belong to no community: never left out
    by forgetting it (the documents, bank lines, notices and objections once were)."""
    owned = {t.name for t in _tables()}
    assert owned.isdisjoint(NOT_A_COMMUNITYS)
    assert owned | NOT_A_COMMUNITYS == set(SQLModel.metadata.tables)


def _strip_community(archive: Path, out: Path) -> None:
    """``archive`` as a backup from before revision 0009 wrote it: postings, allocation
    lines, ballots and document links without their ``community_id``."""
    with tarfile.open(archive, "r:gz") as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]
    lines = []
    for line in members["rows.jsonl"].decode().splitlines():
        record = json.loads(line)
        if record["table"] in KEYED_SINCE_0009:
            del record["row"]["community_id"]
        lines.append(json.dumps(record, ensure_ascii=False, sort_keys=True))
    members["rows.jsonl"] = ("\n".join(lines) + "\n").encode()
    with tarfile.open(out, "w:gz") as tar:
        for name, payload in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))


def _keyed_rows(books: Books) -> dict[str, list[dict[str, object]]]:
    tables = SQLModel.metadata.tables
    with books.engine.connect() as conn:
        return {
            name: [
                dict(row)
                for row in conn.execute(select(tables[name]).order_by(tables[name].c.id)).mappings()
            ]
            for name in sorted(KEYED_SINCE_0009)
        }


@pytest.mark.parametrize("target_db", ["sqlite", "postgresql"])
@pytest.mark.parametrize("taken", ["now", "before 0009"])
def test_postings_lines_ballots_and_links_come_back_with_their_community(
    books: Books, tmp_path: Path, request: pytest.FixtureRequest, target_db: str, taken: str
) -> None:
    """The four tables that carry their community's id since 0009 come back with it, from a
    backup taken now and from one taken before (its rows have no ``community_id``: restore
    gives them the backup's community)."""
    from tests.test_ledger_keyed import populate

    populate(books, "maple")
    before = _keyed_rows(books)
    assert all(before.values()), {name: len(rows) for name, rows in before.items()}
    archive = tmp_path / "maple.tar.gz"
    manifest = backup(books=books, slug="maple", out=archive)
    assert all(manifest["rows"][name] == len(before[name]) for name in before)
    if taken != "now":
        _strip_community(archive, tmp_path / "old.tar.gz")
        archive = tmp_path / "old.tar.gz"
    db = request.getfixturevalue("pg_database") if target_db == "postgresql" else None
    target = open_books(Settings(data=tmp_path / "restored", db=db))
    restore(books=target, archive=archive)
    assert _keyed_rows(target) == before
    assert verify(target, "maple").ok
    journal.post(books=target, slug="maple", draft=txn("5.00"), actor="t")
    target.engine.dispose()
