"""The posting path's prepared statements (``ledger.prepared``) write exactly what SQLAlchemy
writes, read back what it reads, and fail with SQLAlchemy's exceptions, on both backends."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from ledger import journal
from ledger.books import Books
from ledger.prepared import Prepared, Statements, batched, insert_of
from rules.community import create
from tests.conftest import BOOKS_START, txn

ENTRY = SQLModel.metadata.tables["entry"]
EVENT = SQLModel.metadata.tables["event"]


def _entry_row(community_id: str, key: str) -> dict[str, object]:
    return {
        "id": str(uuid.uuid4()),
        "community_id": community_id,
        "seq": None,
        "status": "pending",
        "date": date(2025, 2, 28),
        "payee": "停车场 \"东门\"\n'x'",
        "payee_key": "停车场\"东门\"'x'",
        "narration": "二月 ; 注释\\",
        "kind": "income",
        "entered_by": "treasurer",
        "approved_by": None,
        "resolution": None,
        "documents": "[]",
        "reverses": None,
        "idempotency_key": key,
        "request_hash": "f" * 64,
        "text": None,
        "prev_hash": None,
        "hash": None,
        "created_at": datetime(2025, 3, 1, 9, 30, 0, 0, tzinfo=UTC),
        "posted_at": datetime(2025, 3, 1, 9, 30, 0, 123456, tzinfo=UTC),
        "rejected_by": None,
        "rejected_reason": None,
        "contract": None,
    }


def _stored(books: Books, table_name: str, key_column: str, key: object) -> dict[str, object]:
    """A row as the driver returns it (no SQLAlchemy type processing): what is on disk, by
    column name (a migrated table's columns are not in the models' order: 0010 added
    ``entry.payee_key`` last)."""
    with books.engine.connect() as connection:
        row = connection.exec_driver_sql(
            f"SELECT * FROM {table_name} WHERE {key_column} = "
            + ("?" if connection.dialect.paramstyle == "qmark" else "%(k)s"),
            (key,) if connection.dialect.paramstyle == "qmark" else {"k": key},
        ).one()
    return dict(row._mapping)


def test_prepared_insert_stores_what_sqlalchemy_stores(any_books: Books) -> None:
    community_id = create(books=any_books, slug="maple", name="枫林苑", start=BOOKS_START).id
    ours, theirs = _entry_row(community_id, "ours"), _entry_row(community_id, "theirs")
    with any_books.engine.begin() as connection:
        Prepared(insert_of(ENTRY, journal.ENTRY_COLUMNS), connection.dialect).execute_many(
            connection, [ours]
        )
        connection.execute(insert(ENTRY), [theirs])
    a = _stored(any_books, "entry", "idempotency_key", "ours")
    b = _stored(any_books, "entry", "idempotency_key", "theirs")
    names = list(ENTRY.columns.keys())
    assert a.keys() == b.keys() == set(names)
    differ = [name for name in names if a[name] != b[name]]
    assert differ == ["id", "idempotency_key"]  # dates, times and text identical on disk
    # ...and both read back through SQLAlchemy's types as the values given
    with any_books.engine.connect() as connection:
        back = connection.execute(select(ENTRY).where(ENTRY.c.idempotency_key == "ours")).one()
    assert back.date == ours["date"]
    assert back.payee == ours["payee"]
    assert back.posted_at.replace(tzinfo=UTC) == ours["posted_at"]


def test_prepared_query_applies_result_types(any_books: Books) -> None:
    community_id = create(books=any_books, slug="maple", name="枫林苑", start=BOOKS_START).id
    row = _entry_row(community_id, "k1")
    with any_books.engine.begin() as connection:
        connection.execute(insert(ENTRY), [row])
        query = select(ENTRY.c.date, ENTRY.c.created_at, ENTRY.c.seq).where(
            ENTRY.c.idempotency_key == "k1"
        )
        found = Prepared(query, connection.dialect).rows(connection, {})
    assert found[0]["date"] == date(2025, 2, 28)
    assert found[0]["created_at"].replace(tzinfo=UTC) == row["created_at"]
    assert found[0]["seq"] is None


def test_prepared_errors_are_sqlalchemy_errors(any_books: Books) -> None:
    community_id = create(books=any_books, slug="maple", name="枫林苑", start=BOOKS_START).id
    row = _entry_row(community_id, "dup")
    statement = insert_of(ENTRY, journal.ENTRY_COLUMNS)
    with any_books.engine.begin() as connection:
        Prepared(statement, connection.dialect).execute(connection, row)
    with pytest.raises(IntegrityError), any_books.engine.begin() as connection:
        Prepared(statement, connection.dialect).execute(connection, {**row, "id": "other"})
    with any_books.engine.connect() as connection:  # the failed insert left nothing
        count = connection.execute(select(ENTRY.c.id).where(ENTRY.c.idempotency_key == "dup"))
        assert len(count.all()) == 1


def test_a_batch_writes_all_its_rows_or_fails_as_sqlalchemy_does(any_books: Books) -> None:
    """``batched`` sends a write's statements without waiting for each answer (PostgreSQL's
    pipeline): the rows all arrive, and a statement that fails inside still raises
    ``IntegrityError`` (when the batch ends) and leaves nothing of the transaction behind."""
    community_id = create(books=any_books, slug="maple", name="枫林苑", start=BOOKS_START).id
    statement = insert_of(ENTRY, journal.ENTRY_COLUMNS)
    good = [_entry_row(community_id, f"b{n}") for n in range(3)]
    with any_books.engine.begin() as connection:
        insert_entry = Prepared(statement, connection.dialect)
        with batched(connection):
            insert_entry.execute_many(connection, good[:2])
            insert_entry.execute(connection, good[2])
    first = _entry_row(community_id, "c0")
    with pytest.raises(IntegrityError), any_books.engine.begin() as connection:
        batch = batched(connection)
        with batch:
            insert_entry.execute(connection, first)
            insert_entry.execute(connection, {**first, "id": "again"})  # the same key
    with any_books.engine.connect() as connection:
        keys = connection.execute(
            select(ENTRY.c.idempotency_key).where(ENTRY.c.community_id == community_id)
        ).scalars()
        assert sorted(k for k in keys if k) == ["b0", "b1", "b2"]


def test_statements_compile_once_per_dialect(any_books: Books) -> None:
    built: list[int] = []

    def build() -> object:
        built.append(1)
        return select(EVENT.c.id)

    statements = Statements(ids=build)  # type: ignore[arg-type]
    dialect = any_books.engine.dialect
    assert statements("ids", dialect) is statements("ids", dialect)
    assert len(built) == 1


def test_posted_entry_reads_back_through_the_orm(any_books: Books) -> None:
    """End to end: an entry the prepared path posted is the one ``journal.get`` reads."""
    create(books=any_books, slug="maple", name="枫林苑", start=BOOKS_START)
    draft = txn("120.50", narration='含"引号" 与 ; 分号', key="k-1")
    posted = journal.post(books=any_books, slug="maple", draft=draft, actor="treasurer").entry
    again = journal.get(books=any_books, slug="maple", entry_id=posted.id)
    assert again == posted
