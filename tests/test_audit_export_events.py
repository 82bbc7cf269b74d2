"""The audit trail in an export holds the events of the period's CST days, to the microsecond
at either edge, on SQLite and PostgreSQL (the bounds are applied in SQL)."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from audit.export import export_file
from ledger.books import Books
from ledger.db import writer
from ledger.models import Event
from rules.community import create
from tests.conftest import BOOKS_START

#: (UTC moment, object id): Q1 2025 in CST runs from 2024-12-31 16:00 to 2025-03-31 15:59:59.
MOMENTS = [
    (datetime(2024, 12, 31, 15, 59, 59, 999999, tzinfo=UTC), "before"),
    (datetime(2024, 12, 31, 16, 0, 0, tzinfo=UTC), "first"),
    (datetime(2025, 2, 1, 8, 0, 0, tzinfo=UTC), "middle"),
    (datetime(2025, 3, 31, 15, 59, 59, 999999, tzinfo=UTC), "last"),
    (datetime(2025, 3, 31, 16, 0, 0, tzinfo=UTC), "after"),
]


def test_events_at_the_edges_of_the_period(any_books: Books, tmp_path: Path) -> None:
    create(books=any_books, slug="maple", name="枫林苑", start=BOOKS_START)
    with writer(any_books.engine) as session:
        community = any_books.community(session, "maple")
        for at, object_id in reversed(MOMENTS):
            session.add(
                Event(
                    community_id=community.id,
                    at=at,
                    actor="tester",
                    action="note",
                    object_type="edge",
                    object_id=object_id,
                )
            )
    path = tmp_path / "q1.zip"
    export_file(books=any_books, slug="maple", period="2025Q1", path=path)
    raw = zipfile.ZipFile(path).read("events.csv").decode("utf-8-sig")
    rows = [r for r in csv.DictReader(io.StringIO(raw, newline="")) if r["对象类型"] == "edge"]
    assert [(r["时间(UTC)"], r["对象"]) for r in rows] == [
        ("2024-12-31 16:00:00", "first"),
        ("2025-02-01 08:00:00", "middle"),
        ("2025-03-31 15:59:59", "last"),
    ]
