"""The schema is Alembic's: migrations match the models on both backends, and a database made
at an older revision upgrades in place with nothing lost."""

from __future__ import annotations

import shutil
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import select
from sqlmodel import Session, SQLModel

from api.books import open_books
from api.settings import Settings
from audit.verify import verify
from ledger import journal
from ledger.books import Books
from ledger.db import SCHEMA_HEAD, alembic_config, make_engine, schema_revision
from ledger.models import Community
from tests.conftest import txn


def _diff(books: Books) -> list[object]:
    with books.engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), SQLModel.metadata))


def test_migrations_match_the_models(any_books: Books) -> None:
    head = ScriptDirectory.from_config(alembic_config(any_books.engine)).get_current_head()
    assert head == SCHEMA_HEAD
    assert schema_revision(any_books.engine) == head
    assert _diff(any_books) == []


FIXTURE = Path(__file__).parent / "fixtures" / "release-0001"


def test_data_directory_of_the_first_release_upgrades_in_place(tmp_path: Path) -> None:
    """``tests/fixtures/release-0001`` was written by revision 0001 (five posted entries,
    a reversal, an approval). Opening it with this version migrates it to head; nothing is
    lost, the chain verifies and posting continues the chain."""
    data = tmp_path / "data"
    shutil.copytree(FIXTURE, data)
    old = make_engine(f"sqlite:///{data / 'commons.db'}")
    assert schema_revision(old) == "0001"
    with Session(old) as session:
        head = session.execute(select(Community.head_seq, Community.head_hash)).one()
    old.dispose()

    books = open_books(Settings(data=data))
    assert (
        schema_revision(books.engine)
        == ScriptDirectory.from_config(alembic_config(books.engine)).get_current_head()
    )
    report = verify(books, "maple")
    assert report.ok, report.problems
    assert (report.entries, report.head) == tuple(head)
    posted = journal.post(books=books, slug="maple", draft=txn("88.00"), actor="t")
    assert posted.entry.seq == head[0] + 1 and posted.entry.prev_hash == head[1]
    assert verify(books, "maple").ok
