"""The bank statement and the documents over HTTP and the command line: import, re-import,
refusals with their line, the reconciliation's shape; documents uploaded, deduplicated by
SHA-256, linked, served to members only as sandboxed attachments; empty, oversized, fake and
scripted files refused with nothing written; an approval waiting for its document; and the
projection naming the document by relative path, so bean-check and Fava load it."""

from __future__ import annotations

import json
import zlib
from collections.abc import MutableMapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from beancount import loader
from click.testing import CliRunner
from fastapi.testclient import TestClient
from freezegun import freeze_time
from sqlalchemy import func, select
from sqlmodel import Session

from api.cli import main
from api.upload_limit import RouteBodyLimit
from ledger import chart, clock, journal
from ledger.books import Books
from ledger.models import BankLine, Document, DocumentLink
from ledger.schemas import TransactionIn
from rules import documents
from tests.api_helpers import SLUG, Login, api, spend, txn
from tests.rules_helpers import set_rules_text

BANK = chart.BANK
FIXTURES = Path(__file__).parent / "fixtures" / "bank"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _line(day: str, amount: str, balance: str, ref: str, **extra: str) -> dict[str, str]:
    return {"date": day, "amount": amount, "balance": balance, "reference": ref, **extra}


def _statement(*lines: dict[str, str]) -> dict[str, Any]:
    return {"account": BANK, "lines": list(lines)}


def _count(books: Books, table: Any) -> int:
    with Session(books.engine) as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def test_statement_import_and_reconciliation_over_http(
    client: TestClient, members: dict[str, Login], api_books: Books
) -> None:
    treasurer = members["treasurer"].bearer
    opening = txn("50000.00", "opening", kind="opening", credit=chart.OPENING, day="2024-12-31")
    assert client.post(f"{api()}/transactions", json=opening, headers=treasurer).status_code == 201
    parking = txn("9600.00", "parking", day="2025-03-05")
    assert client.post(f"{api()}/transactions", json=parking, headers=treasurer).status_code == 201
    body = _statement(
        _line("2025-03-05", "9600.00", "59600.00", "202503050001", counterparty="停车场管理公司"),
        _line("2025-03-31", "12.50", "59612.50", "202503310001", memo="结息"),
    )
    answer = client.post(f"{api()}/bank/statements", json=body, headers=treasurer)
    assert answer.status_code == 201, answer.text
    found = answer.json()
    assert (found["imported"], found["duplicates"], found["matched"]) == (2, 0, 1)
    assert [p["line"]["reference"] for p in found["proposals"]] == ["202503310001"]
    again = client.post(f"{api()}/bank/statements", json=body, headers=treasurer).json()
    assert (again["imported"], again["duplicates"], again["proposals"]) == (0, 2, [])

    reconciliation = client.get(
        f"{api()}/bank/reconciliation",
        params={"account": BANK, "date": "2025-03-31"},
        headers=members["auditor"].bearer,
    )
    assert reconciliation.status_code == 200
    shape = reconciliation.json()
    assert list(shape)[:9] == [
        "account",
        "date",
        "book_balance",
        "bank_balance",
        "book_only",
        "bank_only",
        "adjusted_book_balance",
        "adjusted_bank_balance",
        "difference",
    ]
    assert (shape["book_balance"], shape["bank_balance"]) == ("59600.00", "59612.50")
    assert [i["amount"] for i in shape["bank_only"]] == ["12.50"]
    assert shape["difference"] == "0.00"

    line = found["proposals"][0]["line"]["id"]
    confirmed = client.post(f"{api()}/bank/lines/{line}/confirm", headers=treasurer)
    assert confirmed.status_code == 201, confirmed.text
    assert confirmed.json()["entry"]["postings"][1]["account"] == chart.INCOME_INTEREST
    after = client.get(
        f"{api()}/bank/reconciliation",
        params={"account": BANK, "date": "2025-03-31"},
        headers=treasurer,
    ).json()
    assert (after["book_balance"], after["bank_only"], after["difference"]) == (
        "59612.50",
        [],
        "0.00",
    )


def test_bad_statements_are_refused_naming_the_line(
    client: TestClient, members: dict[str, Login], api_books: Books
) -> None:
    treasurer = members["treasurer"].bearer
    broken = _statement(
        _line("2025-03-05", "9600.00", "59600.00", "A1"),
        _line("2025-03-06", "100.00", "59600.00", "A2"),
    )
    answer = client.post(f"{api()}/bank/statements", json=broken, headers=treasurer)
    assert answer.status_code == 422
    problem = answer.json()["detail"][0]
    assert (problem["field"], problem["rule"]) == ("lines[1]", "bank-balance")
    assert "59700.00" in problem["message"]
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    future = _statement(_line(tomorrow, "1.00", "1.00", "F"))
    answer = client.post(f"{api()}/bank/statements", json=future, headers=treasurer)
    assert answer.status_code == 422 and answer.json()["detail"][0]["field"] == "lines[0]"
    assert _count(api_books, BankLine) == 0


# --- documents -----------------------------------------------------------------------------


def _upload(client: TestClient, who: Login, body: bytes, name: str, **form: str) -> Any:
    return client.post(
        f"{api()}/documents", files={"file": (name, body)}, data=form, headers=who.bearer
    )


def test_documents_are_stored_once_linked_and_served_to_members_only(
    client: TestClient, members: dict[str, Login], api_books: Books
) -> None:
    entry = client.post(
        f"{api()}/transactions", json=txn("80.00", "doc"), headers=members["treasurer"].bearer
    ).json()
    first = _upload(client, members["treasurer"], PDF, "发票 0032.pdf", entry=entry["id"])
    assert first.status_code == 201, first.text
    out = first.json()
    assert set(out) == {"sha256", "name", "bytes", "type"}
    assert (out["name"], out["bytes"], out["type"]) == (
        "发票 0032.pdf",
        len(PDF),
        "application/pdf",
    )
    again = _upload(client, members["approver"], PDF, "copy.pdf")
    assert (again.status_code, again.json()["sha256"]) == (200, out["sha256"])
    assert _count(api_books, Document) == 1 and _count(api_books, DocumentLink) == 1

    served = client.get(f"{api()}/documents/{out['sha256']}", headers=members["auditor"].bearer)
    assert served.status_code == 200 and served.content == PDF
    assert served.headers["content-type"] == "application/pdf"
    assert served.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E5%8F%91%E7%A5%A8" in served.headers["content-disposition"]
    assert served.headers["content-security-policy"] == "sandbox"
    assert served.headers["x-content-type-options"] == "nosniff"
    outsider = client.get(f"{api()}/documents/{out['sha256']}", headers=members["outsider"].bearer)
    assert outsider.status_code == 404
    assert client.get(f"{api()}/documents/{out['sha256']}").status_code == 401
    listed = client.get(f"{api()}/documents", headers=members["supervisor"].bearer).json()
    assert [(d["sha256"], d["entries"]) for d in listed] == [(out["sha256"], [entry["id"]])]

    # Fava: the projection names the file by its path relative to the ledger, beside it.
    ledger = api_books.projection(SLUG).path
    text = ledger.read_text(encoding="utf-8")
    directive = f'document {BANK} "documents/{out["sha256"]}.pdf"'
    assert directive in text and str(ledger.parent) not in text
    assert (ledger.parent / "documents" / f"{out['sha256']}.pdf").read_bytes() == PDF
    entries, errors, _ = loader.load_file(str(ledger))
    assert errors == []
    docs = [e for e in entries if type(e).__name__ == "Document"]
    assert {(d.account, Path(d.filename).name) for d in docs} == {
        (BANK, f"{out['sha256']}.pdf"),
        (chart.INCOME_PARKING, f"{out['sha256']}.pdf"),
    }
    from fava.core import FavaLedger

    fava = FavaLedger(str(ledger))
    assert not [e for e in fava.errors if "ocument" in str(e)]
    assert len(fava.all_entries_by_type.Document) == 2


JS_PDFS = {
    "javascript": PDF.replace(
        b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>"
    ),
    "escaped": PDF.replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /J#61vaScript >>"),
    "compressed": PDF
    + b"2 0 obj << /Filter /FlateDecode >> stream\n"
    + zlib.compress(b"<< /S /JS /JS (app.alert(1)) >>")
    + b"\nendstream endobj\n",
}


@pytest.mark.parametrize(
    ("body", "name", "rule"),
    [
        (b"", "empty.pdf", "document-size"),
        (b"<html><script>alert(1)</script></html>", "receipt.png", "document-type"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 32, "receipt.png", "document-type"),  # a JPEG named .png
        (b"MZ\x90\x00", "invoice.exe", "document-type"),
        *[(body, f"{kind}.pdf", "document-script") for kind, body in JS_PDFS.items()],
    ],
)
def test_bad_documents_are_refused_and_nothing_is_written(
    client: TestClient,
    members: dict[str, Login],
    api_books: Books,
    body: bytes,
    name: str,
    rule: str,
) -> None:
    answer = _upload(client, members["treasurer"], body, name)
    assert answer.status_code == 422, answer.text
    problem = answer.json()["detail"][0]
    assert (problem["field"], problem["rule"]) == ("file", rule)
    assert _count(api_books, Document) == 0


def test_a_pdf_that_only_goes_to_a_page_is_accepted() -> None:
    goto = PDF.replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction [3 0 R /Fit]")
    assert documents.sniff(goto, "ok.pdf") == "application/pdf"
    assert documents.sniff(PNG, "scan.png") == "image/png"
    with pytest.raises(Exception, match="over the limit"):
        documents.sniff(b"%PDF-" + b"\x00" * documents.MAX_BYTES, "big.pdf")


def test_an_upload_may_be_larger_than_other_bodies_but_no_larger_than_its_lane() -> None:
    """The per-route limit: 200 MB announced is refused before any byte is read; a body over
    ``max_body`` is still refused on every other route."""
    import anyio

    def run(path: str, length: int, limit: int = 1000) -> int:
        statuses: list[int] = []

        async def inner(scope: Any, receive: Any, send: Any) -> None:
            await receive()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b""})

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"x" * min(length, 5000), "more_body": False}

        async def send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        scope = {
            "type": "http",
            "method": "POST",
            "path": path,
            "headers": [(b"content-length", str(length).encode())],
        }

        async def call() -> None:
            await RouteBodyLimit(inner, limit)(scope, receive, send)

        anyio.run(call)
        return statuses[0]

    assert run(f"{api()}/documents", 5000) == 200
    assert run(f"{api()}/documents", 200 * 1024 * 1024) == 413
    assert run(f"{api()}/transactions", 5000) == 413
    assert run(f"{api()}/documents/x", 5000) == 413


def test_an_approval_waits_for_its_document_when_the_rules_say_so(
    client: TestClient, members: dict[str, Login], api_books: Books
) -> None:
    set_rules_text(
        api_books,
        SLUG,
        "[[version]]\neffective_from = 2000-01-01\nrequire_document_for_approval = true\n",
    )
    journal.post(
        books=api_books,
        slug=SLUG,
        draft=TransactionIn.model_validate(txn("20000.00", "in")),
        actor="treasurer",
    )
    pending = client.post(
        f"{api()}/transactions",
        json=spend("6000.00", "repair"),
        headers=members["treasurer"].bearer,
    ).json()
    assert pending["status"] == "pending"
    refused = client.post(
        f"{api()}/transactions/{pending['id']}/approve", headers=members["approver"].bearer
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["rule"] == "document-required"
    assert "6000.00" in refused.json()["detail"][0]["message"]
    assert (
        _upload(client, members["treasurer"], PNG, "发票.png", entry=pending["id"]).status_code
        == 201
    )
    approved = client.post(
        f"{api()}/transactions/{pending['id']}/approve", headers=members["approver"].bearer
    )
    assert approved.status_code == 200, approved.text
    text = api_books.projection(SLUG).path.read_text(encoding="utf-8")
    assert f'document {BANK} "documents/' in text  # the approval wrote it into the projection
    _entries, errors, _ = loader.load_file(str(api_books.projection(SLUG).path))
    assert errors == []


def test_a_document_for_an_unknown_entry_writes_nothing(
    client: TestClient, members: dict[str, Login], api_books: Books
) -> None:
    answer = _upload(client, members["treasurer"], PDF, "a.pdf", entry="no-such-entry")
    assert answer.status_code == 404 and answer.json()["detail"][0]["field"] == "entry"
    assert _count(api_books, Document) == 0


# --- the command line ----------------------------------------------------------------------


def _commons(data: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["--lang", "en", "--data", str(data), *args], catch_exceptions=False
    )
    return result.exit_code, result.output


def test_the_monthly_routine_on_the_command_line(tmp_path: Path) -> None:
    with freeze_time("2025-05-10 10:00:00"):
        _monthly_routine(tmp_path)


def _monthly_routine(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert _commons(data, "init", "maple", "--name", "枫林苑", "--start", "2025-01-01")[0] == 0
    for role in ("treasurer", "approver"):
        added = ["user", "add", role, "--community", "maple", "--role", role, "--no-token"]
        assert _commons(data, *added)[0] == 0
    draft = tmp_path / "opening.json"
    draft.write_text(
        json.dumps(
            {
                "date": "2024-12-31",
                "payee": "",
                "narration": "期初",
                "kind": "opening",
                "postings": [
                    {"account": BANK, "amount": "47822.65"},
                    {"account": chart.OPENING, "amount": "-47822.65"},
                ],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    assert _commons(data, "post", "maple", "--file", str(draft), "--as", "treasurer")[0] == 0
    csv = FIXTURES / "bank-statement-gbk.csv"
    code, output = _commons(
        data, "bank", "import", "maple", str(csv), "--account", BANK, "--as", "treasurer"
    )
    assert code == 0, output
    assert "imported 6 line(s)" in output and "6 to confirm or dismiss" in output
    code, output = _commons(
        data, "bank", "import", "maple", str(csv), "--account", BANK, "--as", "treasurer"
    )
    assert "imported 0 line(s)" in output and "(6 already imported)" in output
    code, output = _commons(
        data, "bank", "reconcile", "maple", "--account", BANK, "--date", "2025-03-31"
    )
    assert code == 1 and "6 line(s) to confirm or dismiss" in output  # not yet reconciled
    proposals = json.loads(_commons(data, "bank", "proposals", "maple")[1])
    ids = _commons(data, "bank", "proposals", "maple", "--ids")[1].split()
    assert ids == [str(p["line"]["id"]) for p in proposals] and len(ids) == 6
    for proposal in proposals:
        line = str(proposal["line"]["id"])
        code, output = _commons(data, "bank", "confirm", "maple", line, "--as", "treasurer")
        assert code == 0, output
    code, output = _commons(
        data, "bank", "reconcile", "maple", "--account", BANK, "--date", "2025-03-31", "--json"
    )
    assert code == 0, output
    assert json.loads(output)["difference"] == "0.00"
    assert json.loads(output)["book_balance"] == "61436.27"

    receipt = tmp_path / "receipt.pdf"
    receipt.write_bytes(PDF)
    entry = proposals[0]["line"]["id"]
    code, output = _commons(data, "documents", "add", "maple", str(receipt), "--as", "treasurer")
    assert code == 0 and "stored" in output, output
    fake = tmp_path / "fake.png"
    fake.write_bytes(b"not an image")
    code, output = _commons(data, "documents", "add", "maple", str(fake), "--as", "treasurer")
    assert code == 1 and "document-type" in output
    code, output = _commons(data, "documents", "add", "maple", str(receipt))
    assert code == 2 and "--as" in output
    assert entry
