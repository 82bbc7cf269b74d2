"""The schema is Alembic's: migrations match the models on both backends, and a database made
at an older revision upgrades in place with nothing lost."""

from __future__ import annotations

import shutil
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text
from sqlmodel import Session, SQLModel

from api.books import open_books
from api.settings import Settings
from audit.verify import verify
from ledger import chart, journal
from ledger.books import Books
from ledger.db import SCHEMA_HEAD, alembic_config, make_engine, migrate, schema_revision
from ledger.models import Community
from rules import documents
from rules.community import create
from rules.contracts import ContractIn
from rules.contracts import add as add_contract
from rules.documents import add
from tests.conftest import BOOKS_START, txn
from tests.test_rules_contracts import ADS

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


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
    assert _diff(books) == []  # the upgraded schema is the models' (0008's unnamed constraint)
    assert _keyed(books) == _owners(books)  # 0009: each leg has its entry's community
    assert len(_keyed(books)["posting"]) >= 2 * head[0]
    report = verify(books, "maple")
    assert report.ok, report.problems
    assert (report.entries, report.head) == tuple(head)
    posted = journal.post(books=books, slug="maple", draft=txn("88.00"), actor="t")
    assert posted.entry.seq == head[0] + 1 and posted.entry.prev_hash == head[1]
    assert verify(books, "maple").ok


def _links(books: Books) -> list[tuple[object, ...]]:
    with books.engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                text("SELECT document_id, entry_id, resolution FROM documentlink ORDER BY id")
            )
        ]


def test_0008_adds_document_contracts_and_keeps_the_links_both_ways(any_books: Books) -> None:
    """0008 gives a document link its contract: down to 0007 the contract links go (the old
    schema cannot say what they back) and the others stay; up again, they are as they were,
    with no contract, and the schema is the models' (the constraint PostgreSQL named or
    SQLite left unnamed is replaced on either)."""
    create(books=any_books, slug="maple", name="枫林苑", start=BOOKS_START)
    posted = journal.post(books=any_books, slug="maple", draft=txn("80.00"), actor="t")
    body = ContractIn.model_validate({**ADS, "resolution": None})
    add_contract(books=any_books, slug="maple", body=body, actor="t")
    add(books=any_books, slug="maple", body=PDF, name="a.pdf", actor="t", entry=posted.id)
    add(books=any_books, slug="maple", body=PDF, name="a.pdf", actor="t", contract="C-2025-01")
    before = _links(any_books)
    assert len(before) == 2

    command.downgrade(alembic_config(any_books.engine), "0007")
    assert schema_revision(any_books.engine) == "0007"
    with any_books.engine.connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("documentlink")}
    assert "contract" not in columns
    assert _links(any_books) == before[:1]

    migrate(any_books.engine)
    assert schema_revision(any_books.engine) == SCHEMA_HEAD
    assert _diff(any_books) == []
    assert _links(any_books) == before[:1]
    listed = documents.listed(books=any_books, slug="maple")
    assert [(d.entries, d.contracts) for d in listed] == [([posted.id], [])]
    add(books=any_books, slug="maple", body=PDF, name="a.pdf", actor="t", contract="C-2025-01")
    (again,) = documents.listed(books=any_books, slug="maple", contract="C-2025-01")
    assert again.contracts == ["C-2025-01"]


#: The tables 0009 gives their community's id, each with its parent: (column, parent table).
KEYED = {
    "posting": ("entry_id", "entry"),
    "allocationline": ("entry_id", "entry"),
    "ballot": ("resolution_id", "resolution"),
    "documentlink": ("document_id", "document"),
}


def _owners(books: Books) -> dict[str, list[tuple[object, object]]]:
    """Each keyed table's rows as (id, the community of its parent), by id."""
    with books.engine.connect() as conn:
        return {
            table: [
                tuple(row)
                for row in conn.execute(
                    text(
                        f"SELECT {table}.id, {parent}.community_id FROM {table} "
                        f"JOIN {parent} ON {parent}.id = {table}.{column} ORDER BY {table}.id"
                    )
                )
            ]
            for table, (column, parent) in KEYED.items()
        }


def _keyed(books: Books) -> dict[str, list[tuple[object, object]]]:
    """Each keyed table's rows as (id, its own community_id), by id."""
    with books.engine.connect() as conn:
        return {
            table: [
                tuple(row)
                for row in conn.execute(text(f"SELECT id, community_id FROM {table} ORDER BY id"))
            ]
            for table in KEYED
        }


def test_0009_gives_postings_lines_ballots_and_links_their_community(any_books: Books) -> None:
    """Down to 0008 the four tables lose ``community_id`` (nothing else: every row stays);
    up again each row gets its parent's community back (two communities, so a wrong fill
    shows), the column is NOT NULL, and the schema is the models' on either backend."""
    from tests.test_ledger_keyed import populate

    maple, oak = populate(any_books, "maple"), populate(any_books, "oak")
    owners = _owners(any_books)
    assert all(len({c for _, c in rows}) == 2 for rows in owners.values()), owners
    assert _keyed(any_books) == owners

    command.downgrade(alembic_config(any_books.engine), "0008")
    with any_books.engine.connect() as conn:
        for table in KEYED:
            assert "community_id" not in {c["name"] for c in inspect(conn).get_columns(table)}
    assert _owners(any_books) == owners

    migrate(any_books.engine)
    assert schema_revision(any_books.engine) == SCHEMA_HEAD
    assert _diff(any_books) == []
    assert _keyed(any_books) == owners
    with any_books.engine.connect() as conn:
        for table in KEYED:
            (column,) = [c for c in inspect(conn).get_columns(table) if c["name"] == "community_id"]
            assert column["nullable"] is False
    # the books work on: the legs of an entry, a reversal of the dividend with its lines
    url = any_books.engine.url.render_as_string(hide_password=False)
    books = open_books(Settings(data=any_books.data_dir, db=url))
    for slug, ids in (("maple", maple), ("oak", oak)):
        assert [
            leg.amount
            for leg in journal.get(books=books, slug=slug, entry_id=ids["income"]).postings
        ] == [50000, -50000]
        journal.reverse(books=books, slug=slug, entry_id=ids["dividend"], actor="t", reason="错")
        assert verify(books, slug).ok
    books.dispose()


def test_0010_gives_each_entry_its_payee_key_and_the_window_finds_it(any_books: Books) -> None:
    """Down to 0009 and up again: every entry gets its payee's key (folded as the four-eyes
    rule folds it), so spending to "Acme  Repairs" before the upgrade counts with spending to
    "ACME REPAIRS" after it."""
    slug = "maple"
    create(books=any_books, slug=slug, name="枫林苑", start=BOOKS_START)
    journal.post(books=any_books, slug=slug, draft=txn("20000.00", key="in"), actor="t")
    first = txn(
        "3000.00", debit=chart.USE_AUDIT, credit=chart.BANK, kind="cost", payee="Acme  Repairs"
    )
    journal.post(books=any_books, slug=slug, draft=first, actor="t")

    command.downgrade(alembic_config(any_books.engine), "0009")
    migrate(any_books.engine)
    assert _diff(any_books) == []
    with any_books.engine.connect() as conn:
        keys = dict(conn.execute(text("SELECT payee, payee_key FROM entry")).all())
    assert keys == {"停车场": "停车场", "Acme  Repairs": "acmerepairs"}

    url = any_books.engine.url.render_as_string(hide_password=False)
    books = open_books(Settings(data=any_books.data_dir, db=url))
    second = txn(
        "2500.00", debit=chart.USE_AUDIT, credit=chart.BANK, kind="cost", payee="ACME REPAIRS"
    )
    assert journal.post(books=books, slug=slug, draft=second, actor="t").pending
    books.dispose()
