"""The audit trail in an export holds the events of what the period concerns, whenever they
happened: an entry dated in the period but posted after it, and the period's close made in
the next quarter, are in the period's package and not in the next one's (M6)."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from freezegun import freeze_time

from audit.export import export_file
from ledger import events as trail
from ledger.db import writer
from tests.export_fixtures import SLUG, make_books


def read_events(path: Path) -> list[dict[str, str]]:
    raw = zipfile.ZipFile(path).read("events.csv").decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(raw, newline="")))


def test_events_by_what_they_concern(tmp_path: Path) -> None:
    books = make_books(tmp_path / "books")
    try:
        with freeze_time("2025-07-02 02:00:00"):
            with writer(books.engine) as session:  # the close's event, as a close writes it
                trail.record(
                    session,
                    community_id=books.community(session, SLUG).id,
                    actor="chair",
                    action="close",
                    object_type="period",
                    object_id="2025Q1",
                    details={"head_seq": 7},
                )
            for period in ("2025Q1", "2025Q2"):
                export_file(books=books, slug=SLUG, period=period, path=tmp_path / f"{period}.zip")
    finally:
        books.dispose()
    q1, q2 = read_events(tmp_path / "2025Q1.zip"), read_events(tmp_path / "2025Q2.zip")
    assert [e["对象"] for e in q1 if e["操作"] == "close"] == ["2025Q1"]
    assert not [e for e in q2 if e["操作"] == "close"]
    late = [e for e in q1 if e["时间(UTC)"].startswith("2025-04-05")]
    assert [e["操作"] for e in late] == ["post"]  # seq 7, dated 2025-02-28
    assert all(e["时间(UTC)"] >= "2025-04" for e in q2)
    assert {e["序号"] for e in q1}.isdisjoint({e["序号"] for e in q2})
