"""A post reads what it needs of a community's history through an index, never the whole of
it: on SQLite (no statistics, so the planner goes by the indexes alone), no statement of the
posting path scans ``entry`` or ``posting``, and ``posting`` is only ever found by its entry.

Found by the export benchmark: when migration 0009 put the community before the entry in
``posting``'s index, the four-eyes window's query started from all of the community's
postings, one scan per spending post (bulk posting at 100,000 entries slowed to tens a
second)."""

from __future__ import annotations

import re
import sqlite3
from datetime import date, timedelta
from typing import Any

from sqlalchemy import event
from sqlmodel import Session

from ledger import chart, journal
from ledger.books import Books
from ledger.documents import placed
from rules import documents
from tests.conftest import txn


def _plans(books: Books, statements: list[tuple[str, Any]]) -> list[tuple[str, list[str]]]:
    path = books.engine.url.database
    assert path
    with sqlite3.connect(path) as connection:
        return [
            (sql, [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", params)])
            for sql, params in statements
            if sql.lstrip().upper().startswith("SELECT")
        ]


def test_a_spending_post_reads_its_window_through_the_indexes(books: Books, community: str) -> None:
    start = date(2025, 1, 2)
    history = [
        txn("300.00", day=start + timedelta(days=n % 300), key=f"in-{n}") for n in range(150)
    ] + [
        txn(
            "20.00",
            debit=chart.USE_AUDIT,
            credit=chart.BANK,
            kind="cost",
            payee=f"供应商{n % 7}",
            day=start + timedelta(days=n % 300),
            key=f"cost-{n}",
        )
        for n in range(150)
    ]
    journal.post_many(books=books, slug=community, drafts=history, actor="treasurer")

    statements: list[tuple[str, Any]] = []

    def before(_conn: Any, _cursor: Any, statement: str, params: Any, *_rest: Any) -> None:
        statements.append((statement, params))

    event.listen(books.engine, "before_cursor_execute", before)
    try:
        spend = txn(
            "30.00",
            debit=chart.USE_AUDIT,
            credit=chart.BANK,
            kind="cost",
            payee="供应商3",
            day=date(2025, 6, 1),
        )
        journal.post(books=books, slug=community, draft=spend, actor="treasurer")
    finally:
        event.remove(books.engine, "before_cursor_execute", before)

    plans = _plans(books, statements)
    assert any("posting" in sql and "GROUP BY" in sql for sql, _ in plans), "no window query"
    for sql, plan in plans:
        for step in plan:
            assert not re.match(r"SCAN (entry|posting)\b", step), (step, sql)
            if re.match(r"SEARCH posting\b", step):
                assert "(entry_id=?" in step, (step, sql)


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def test_the_projections_documents_are_found_from_their_links(books: Books, community: str) -> None:
    """Found by the cold-start benchmark: the projection's header looked for documents by
    going through every posted entry's legs (a second at 100,000 entries, on every start,
    for a community without a single document)."""
    history = [txn("300.00", day=date(2025, 1, 2), key=f"in-{n}") for n in range(200)]
    journal.post_many(books=books, slug=community, drafts=history, actor="treasurer")
    receipt = journal.post(books=books, slug=community, draft=txn("88.00"), actor="treasurer")
    documents.add(
        books=books, slug=community, body=PDF, name="r.pdf", actor="t", entry=receipt.entry.id
    )

    statements: list[tuple[str, Any]] = []

    def before(_conn: Any, _cursor: Any, statement: str, params: Any, *_rest: Any) -> None:
        statements.append((statement, params))

    with Session(books.engine) as session:
        community_id = books.community(session, community).id
        event.listen(books.engine, "before_cursor_execute", before)
        try:
            found = placed(session, community_id)
        finally:
            event.remove(books.engine, "before_cursor_execute", before)

    assert {(p.entry_id, p.account) for p in found} == {
        (receipt.entry.id, chart.BANK),
        (receipt.entry.id, chart.INCOME_PARKING),
    }
    for sql, plan in _plans(books, statements):
        for step in plan:
            if re.match(r"(SEARCH|SCAN) entry\b", step):
                assert "(id=?)" in step or "(rowid=?)" in step, (step, sql)
