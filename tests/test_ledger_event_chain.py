"""The audit trail is a hash chain per community (``ledger.events``, docs/chain.md): chained
when written on every path, serialised by the community's row lock, backfilled by migration
0002, checked link by link by ``commons verify``. Editing or deleting events used to pass
``commons verify``; now each is named."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, text
from sqlmodel import Session, col

from api.books import open_books
from api.settings import Settings
from api.users import Role, add_member, issue_token
from audit.export import export, record_export
from audit.verify import verify
from ledger import chart, events, journal
from ledger.books import Books
from ledger.db import make_engine, schema_revision, writer
from ledger.models import Community, Event
from ledger.render import chain_hash
from rules.community import create
from tests.chain_attacks import community_id, rechain_events
from tests.conftest import BOOKS_START, txn

FIXTURE = Path(__file__).parent / "fixtures" / "release-0001"


def chain_of(books: Books, cid: str) -> list[Event]:
    with Session(books.engine) as session:
        return list(
            session.execute(
                select(Event).where(col(Event.community_id) == cid).order_by(col(Event.seq))
            ).scalars()
        )


def assert_chained(books: Books, cid: str) -> list[Event]:
    """Every event of the community linked as docs/chain.md says, the head on the row."""
    chain = chain_of(books, cid)
    prev = events.genesis_hash(cid)
    for number, event in enumerate(chain, 1):
        assert (event.seq, event.prev_hash) == (number, prev)
        body = events.text_of(event)
        assert event.hash == hashlib.sha256((prev + body).encode("utf-8")).hexdigest()
        prev = event.hash
    with Session(books.engine) as session:
        community = session.get(Community, cid)
        assert community is not None
        assert (community.event_seq, community.event_head) == (
            len(chain),
            chain[-1].hash if chain else None,
        )
    return chain


def test_the_canonical_text_and_hash_are_frozen() -> None:
    """The rule docs/chain.md publishes; a change here breaks every chain ever written."""
    body = events.text(
        seq=7,
        at=datetime(2025, 3, 31, 8, 5, 1, 20, tzinfo=UTC),
        actor="会计",
        action="post",
        object_type="entry",
        object_id="e1",
        address=None,
        details='{"kind": "income", "seq": 3}',
    )
    assert body == (
        '{"action":"post","actor":"会计","address":null,"at":"2025-03-31T08:05:01.000020+00:00",'
        '"details":"{\\"kind\\": \\"income\\", \\"seq\\": 3}","object_id":"e1",'
        '"object_type":"entry","seq":7}'
    )
    genesis = events.genesis_hash("c1")
    assert genesis == hashlib.sha256(b"commons-ledger events c1").hexdigest()
    assert chain_hash(genesis, body) == hashlib.sha256((genesis + body).encode()).hexdigest()
    assert chain_hash(genesis, body) == (
        "d890ef2508438cf64c16a5c4ee0de57088b651b59059c61f2529e70adbcda808"
    )


def test_every_write_path_chains_its_events(any_books: Books) -> None:
    books = any_books
    create(books=books, slug="maple", name="枫林苑", start=BOOKS_START)
    cid = community_id(books, "maple")
    journal.post(books=books, slug="maple", draft=txn("9000.00"), actor="t")
    reserve = txn("5000.00", debit=chart.USE_MAINTENANCE, credit=chart.BANK, kind="reserve")
    pending = journal.post(books=books, slug="maple", draft=reserve, actor="t")
    assert pending.pending
    journal.approve(books=books, slug="maple", entry_id=pending.entry.id, actor="chair")
    small = journal.post_many(
        books=books, slug="maple", drafts=[txn("1.00"), txn("2.00")], actor="t"
    )
    journal.reverse(books=books, slug="maple", entry_id=small[0].id, actor="t", reason="更正")
    add_member(books=books, username="treasurer", slug="maple", role=Role.TREASURER)
    issue_token(books=books, username="treasurer")  # no community: the separate log
    manifest = export(books=books, slug="maple", period="2025", out=io.BytesIO())
    record_export(books, "maple", manifest, actor="auditor")

    chain = assert_chained(books, cid)
    assert [e.action for e in chain] == [
        "create", "rules-set", "post", "enter", "approve", "post", "post", "reverse",
        "add-member", "export",
    ]  # fmt: skip
    with Session(books.engine) as session:
        loose = session.execute(select(Event).where(col(Event.community_id).is_(None))).scalars()
        assert [(e.action, e.seq, e.hash) for e in loose] == [("issue-token", None, None)]
    report = verify(books, "maple")
    assert report.ok, report.problems
    assert report.events == 10


def test_concurrent_writers_of_events_take_turns(any_books: Books) -> None:
    """``record()`` locks the community row itself: writers that did not lock it first still
    get one contiguous chain (without the lock two would read the same head)."""
    books = any_books
    create(books=books, slug="maple", name="枫林苑", start=BOOKS_START)
    cid = community_id(books, "maple")
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for number in range(5):
                with writer(books.engine) as session:
                    books.community(session, "maple")  # read, not locked
                    events.record(
                        session,
                        community_id=cid,
                        actor=f"w{worker}",
                        action="note",
                        object_type="test",
                        object_id=str(number),
                    )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(assert_chained(books, cid)) == 2 + 4 * 5  # create, rules-set, then theirs


def _post_three(books: Books, slug: str) -> None:
    for amount in ("100.00", "200.00", "300.00"):
        journal.post(books=books, slug=slug, draft=txn(amount), actor="t")


def test_an_edited_event_is_named_with_its_seq(books: Books, community: str) -> None:
    _post_three(books, community)  # events: create 1, rules-set 2, post 3..5
    with Session(books.engine) as session:
        session.execute(text("UPDATE event SET actor = 'someone else' WHERE seq = 4"))
        session.commit()
    report = verify(books, community)
    assert [p for p in report.problems if p.startswith("event seq")] == [
        f"event seq 4 (post entry {chain_of(books, community_id(books, community))[3].object_id})"
        ": hash does not match its text (edited after it was written)"
    ], report.problems


def test_a_deleted_event_is_named_with_its_seq(books: Books, community: str) -> None:
    _post_three(books, community)
    with Session(books.engine) as session:
        session.execute(text("DELETE FROM event WHERE seq = 3"))
        session.commit()
    report = verify(books, community)
    assert "event seq 3: missing from the audit trail (deleted; the next is seq 4)" in (
        report.problems
    )
    assert any(p.startswith("seq 1 (entry ") and "no event" in p for p in report.problems)


def test_the_last_event_deleted_is_named(books: Books, community: str) -> None:
    _post_three(books, community)
    with Session(books.engine) as session:
        session.execute(text("DELETE FROM event WHERE seq = 5"))
        session.commit()
    report = verify(books, community)
    assert "the community's event head says seq 5, the audit trail ends at seq 4" in report.problems


def test_deleted_events_rechained_still_leave_an_entry_without_its_event(
    books: Books, community: str
) -> None:
    """A whole chain again (the head moved back, every hash recomputed): the journal still
    holds the entry whose posting event is gone."""
    _post_three(books, community)
    with Session(books.engine) as session:
        session.execute(text("DELETE FROM event WHERE seq = 4"))
        session.commit()
    rechain_events(books, community)
    report = verify(books, community)
    assert not any(p.startswith("event seq") for p in report.problems), report.problems
    assert any(
        p.startswith("seq 2 (entry ")
        and p.endswith("no event of the audit trail records it being posted")
        for p in report.problems
    ), report.problems


def test_an_event_outside_the_chain_is_named(books: Books, community: str) -> None:
    cid = community_id(books, community)
    with Session(books.engine) as session:
        session.add(
            Event(
                community_id=cid,
                at=datetime.now(UTC),
                actor="x",
                action="post",
                object_type="entry",
                object_id="made-up",
            )
        )
        session.commit()
    report = verify(books, community)
    assert any("not in the audit trail's chain" in p for p in report.problems), report.problems


def test_migration_0002_chains_the_events_of_a_first_release_database(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(FIXTURE, data)
    old = make_engine(f"sqlite:///{data / 'commons.db'}")
    assert schema_revision(old) == "0001"
    with Session(old) as session:
        before = [
            tuple(r)
            for r in session.execute(
                text("SELECT id, community_id, action, object_id, details FROM event ORDER BY id")
            )
        ]
    old.dispose()

    books = open_books(Settings(data=data))
    try:
        (cid,) = {r[1] for r in before}
        chain = assert_chained(books, cid)
        # In the order they were written, nothing else changed.
        assert [(e.id, e.community_id, e.action, e.object_id, e.details) for e in chain] == before
        assert len(chain) == 7
        report = verify(books, "maple")
        assert report.ok, report.problems
        # Writing continues the chain.
        journal.post(books=books, slug="maple", draft=txn("1.00"), actor="t")
        (posted,) = [e for e in assert_chained(books, cid)[7:] if e.action == "post"]
        assert json.loads(posted.details)["seq"] == 5
    finally:
        books.dispose()
