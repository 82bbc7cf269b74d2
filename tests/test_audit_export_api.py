"""``GET /api/v1/communities/{slug}/exports/{period}``: the same zip as the library, for
auditors and supervisors only, recorded in the audit trail."""

from __future__ import annotations

import hashlib
import io
import zipfile

from fastapi.testclient import TestClient
from freezegun import freeze_time
from sqlalchemy import select
from sqlmodel import Session, col

from audit.export import export
from audit.verify_export import verify_export
from ledger import journal
from ledger.books import Books
from ledger.models import Event
from rules import documents
from tests.api_helpers import SLUG, Login, api
from tests.export_fixtures import BEFORE


def post_some(books: Books) -> None:
    for item in BEFORE:
        with freeze_time(f"{item.date} 04:00:00"):
            journal.post(books=books, slug=SLUG, draft=item, actor="treasurer")


def test_auditor_gets_the_library_zip(
    client: TestClient, api_books: Books, members: dict[str, Login]
) -> None:
    post_some(api_books)
    # FastAPI builds the app on the first request; let it see the real datetime classes.
    assert client.get(f"{api()}/exports/2025").status_code == 401
    with freeze_time("2026-01-05 02:00:00"):
        response = client.get(f"{api()}/exports/2025", headers=members["auditor"].bearer)
        expected = io.BytesIO()
        export(books=api_books, slug=SLUG, period="2025", out=expected)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert 'filename="maple-2025.zip"' in response.headers["content-disposition"]
    # The same books, but the second package's audit trail holds the first's export (an
    # export of the period is an event it concerns): only the trail and what holds it differ.
    got, again = (zipfile.ZipFile(io.BytesIO(b)) for b in (response.content, expected.getvalue()))
    differ = {n for n in got.namelist() if got.read(n) != again.read(n)}
    assert differ <= {"events.csv", "workbook.xlsx", "manifest.json"}
    assert b",auditor,export,period,2025," in again.read("events.csv")
    assert b",export," not in got.read("events.csv")
    report = verify_export(io.BytesIO(response.content))
    assert report.ok and report.entries == 2, report.problems
    journal_csv = zipfile.ZipFile(io.BytesIO(response.content)).read("journal.csv")
    assert "1月停车费" in journal_csv.decode("utf-8-sig")
    with Session(api_books.engine) as session:
        event = session.execute(select(Event).where(col(Event.action) == "export")).scalars().one()
    assert (event.actor, event.object_id, event.address) == ("auditor", "2025", "testclient")


def test_supervisor_may_export_others_may_not(
    client: TestClient, members: dict[str, Login]
) -> None:
    url = f"{api()}/exports/2025Q1"
    assert client.get(url, headers=members["supervisor"].bearer).status_code == 200
    for role in ("treasurer", "approver", "admin"):
        response = client.get(url, headers=members[role].bearer)
        assert response.status_code == 403
        assert response.json()["detail"][0]["rule"] == "role"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=members["outsider"].bearer).status_code == 404


def test_bad_period_is_a_422(client: TestClient, members: dict[str, Login]) -> None:
    response = client.get(f"{api()}/exports/2025Q7", headers=members["auditor"].bearer)
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["rule"] == "period-format" and "2025Q7" in problem["message"]


def test_with_documents_puts_their_files_in_the_zip(
    client: TestClient, api_books: Books, members: dict[str, Login]
) -> None:
    """``?with_documents=true``: the files of ``documents.csv`` come in ``documents/``, and
    the manifest says so; without it they are listed only."""
    ids = []
    for item in BEFORE:
        with freeze_time(f"{item.date} 04:00:00"):
            ids.append(journal.post(books=api_books, slug=SLUG, draft=item, actor="treasurer").id)
    body = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    with freeze_time("2025-02-01 02:00:00"):
        documents.add(
            books=api_books, slug=SLUG, body=body, name="收据.pdf", actor="treasurer", entry=ids[1]
        )
    url = f"{api()}/exports/2025Q1"
    plain = client.get(url, headers=members["auditor"].bearer)
    full = client.get(f"{url}?with_documents=true", headers=members["auditor"].bearer)
    assert (plain.status_code, full.status_code) == (200, 200), full.text
    digest = hashlib.sha256(body).hexdigest()
    with zipfile.ZipFile(io.BytesIO(full.content)) as archive:
        assert archive.read(f"documents/{digest}.pdf") == body
        assert b'"included": true' in archive.read("manifest.json")
    with zipfile.ZipFile(io.BytesIO(plain.content)) as archive:
        assert f"documents/{digest}.pdf" not in archive.namelist()
        assert digest in archive.read("documents.csv").decode("utf-8-sig")
        assert b'"included": false' in archive.read("manifest.json")
    for package in (plain.content, full.content):
        report = verify_export(io.BytesIO(package))
        assert report.ok, report.problems
