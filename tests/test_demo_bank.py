"""The demo's monthly bank routine and its documents, on a demo built once for the module:
every month with a statement reconciles to 0.00 (over the API, as the auditor), both preset
layouts were read, the bank's own items (interest, fees) reached the books only by confirming
their proposals, every entry at or over the approval threshold has a document (uploaded before
its approval), and the open month's statement file imports through ``commons bank import`` and
reconciles to 0.00 once its proposals are confirmed."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from api.app import create_app
from api.books import open_books
from api.cli import main
from api.demo import SEED, build_demo
from api.demo_bank import (
    ACCOUNT,
    CSV_LAYOUT,
    FEE_MEMO,
    XLSX_LAYOUT,
    Routine,
    month_end,
    open_statement,
)
from api.settings import Settings
from ledger import chart
from ledger.books import Books
from ledger.models import BankLine, Entry, Event, Posting
from ledger.money import from_fen
from rules import bank, documents, resolution_register, rules_store, ruleset
from rules.bank_format import presets
from tests.api_helpers import SECRET, Login, login

SLUG = "demo"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo-bank") / "data"
    books = open_books(Settings(data=folder, secret=SECRET))
    assert build_demo(books=books, slug=SLUG)
    books.dispose()
    return folder


@pytest.fixture
def books(data: Path) -> Iterator[Books]:
    books = open_books(Settings(data=data, secret=SECRET))
    yield books
    books.dispose()


def _events(books: Books, action: str) -> list[Event]:
    with Session(books.engine) as session:
        return list(
            session.execute(
                select(Event).where(col(Event.action) == action).order_by(col(Event.seq))
            ).scalars()
        )


def _lines(books: Books) -> list[BankLine]:
    with Session(books.engine) as session:
        return list(
            session.execute(
                select(BankLine).order_by(col(BankLine.date), col(BankLine.position))
            ).scalars()
        )


def _months(first: date, last: date) -> list[date]:
    out, month = [], first.replace(day=1)
    while month <= last:
        out.append(month)
        month = month_end(month) + timedelta(days=1)
    return out


def _open_month(books: Books) -> date:
    path = open_statement(books)
    assert path is not None, "the demo wrote no statement for its open month"
    return date.fromisoformat(path.stem + "-01")


def test_every_month_up_to_the_open_one_reconciles_to_zero_over_the_api(
    books: Books, data: Path
) -> None:
    opened = _open_month(books)
    months = _months(date(2025, 1, 1), opened - timedelta(days=1))
    assert {(line.date.year, line.date.month) for line in _lines(books)} == {
        (m.year, m.month) for m in months
    }, "a month of the books has no statement, or the open month was imported"
    client = TestClient(create_app(Settings(data=data, secret=SECRET), books=books))
    login(client, Login("auditor", "auditor-demo", ""))
    for month in months:
        found = client.get(
            f"/api/v1/communities/{SLUG}/bank/reconciliation",
            params={"account": ACCOUNT, "date": str(month_end(month))},
        )
        assert found.status_code == 200, found.text
        shape = found.json()
        assert (shape["difference"], shape["open_lines"]) == ("0.00", 0), (month, shape)
        assert shape["bank_only"] == [], (month, shape)  # every bank line is in the books


def test_statements_came_in_both_preset_layouts_and_every_line_matched_its_entry(
    books: Books,
) -> None:
    imports = [json.loads(e.details) for e in _events(books, "bank-import")]
    by_layout: dict[str, set[str]] = {}
    for details in imports:
        by_layout.setdefault(details["layout"], set()).add(details["source"])
    assert set(by_layout) == {CSV_LAYOUT, XLSX_LAYOUT} <= set(presets())
    assert all(s.endswith(".csv") and int(s[5:7]) % 2 for s in by_layout[CSV_LAYOUT])
    assert all(s.endswith(".xlsx") and not int(s[5:7]) % 2 for s in by_layout[XLSX_LAYOUT])
    lines = _lines(books)
    assert sum(d["imported"] for d in imports) == len(lines)
    with Session(books.engine) as session:
        community = books.community(session, SLUG)
        bank_id = next(a.id for a in books.accounts(session, community.id) if a.name == ACCOUNT)
        for line in lines:
            assert line.status == "matched" and line.entry_id, line
            entry = session.get(Entry, line.entry_id)
            assert entry is not None and entry.status == "posted"
            legs = select(Posting).where(col(Posting.entry_id) == entry.id)
            on_bank = sum(
                p.amount_fen for p in session.execute(legs).scalars() if p.account_id == bank_id
            )
            assert on_bank == line.amount_fen
            assert abs((entry.date - line.date).days) <= 7
            assert entry.payee == line.counterparty and entry.narration == line.memo


def test_interest_and_fees_reached_the_books_only_by_confirming_their_proposals(
    books: Books,
) -> None:
    confirmed = {
        json.loads(e.details)["entry"]: int(e.object_id) for e in _events(books, "bank-confirm")
    }
    lines = {line.id: line for line in _lines(books)}
    with Session(books.engine) as session:
        community = books.community(session, SLUG)
        accounts = {a.id: a.name for a in books.accounts(session, community.id)}
        closing = {e.id for e in session.execute(select(Entry)).scalars() if e.kind == "closing"}
        legs = [
            (p.entry_id, accounts[p.account_id])
            for p in session.execute(select(Posting)).scalars()
            if p.entry_id not in closing  # the year's close empties income and expenses
        ]
    interest = {e for e, account in legs if account == chart.INCOME_INTEREST}
    bank_own = interest | {e for e, account in legs if account == chart.USE_BANK_FEES}
    assert len(interest) >= 4 and len(bank_own) > len(interest), "no interest or no fee"
    assert bank_own <= set(confirmed), "an interest or fee entry was posted by hand"
    for entry_id in bank_own:
        assert lines[confirmed[entry_id]].entry_id == entry_id


def test_every_entry_at_the_threshold_has_a_document_uploaded_before_its_approval(
    books: Books, tmp_path: Path
) -> None:
    in_force = rules_store.in_force(books=books, slug=SLUG).text
    assert "require_document_for_approval = true" in in_force
    listed = documents.listed(books=books, slug=SLUG)
    backed = {entry for item in listed for entry in item.entries}
    linked_at = {
        json.loads(e.details)["entry"]: e.seq for e in reversed(_events(books, "document-link"))
    }
    approved_at = {e.object_id: e.seq for e in _events(books, "approve")}
    checked = 0
    with Session(books.engine) as session:
        for entry in session.execute(select(Entry).where(col(Entry.status) == "posted")).scalars():
            if entry.kind in {"closing", "accrual"}:  # the close's own entries
                continue
            debits = from_fen(
                sum(
                    p.amount_fen
                    for p in session.execute(
                        select(Posting).where(col(Posting.entry_id) == entry.id)
                    ).scalars()
                    if p.amount_fen > 0
                )
            )
            if debits < ruleset.of(books).approval(SLUG, entry.date).threshold:
                continue
            checked += 1
            assert entry.id in backed, (entry.date, entry.kind, entry.narration, debits)
            if entry.id in approved_at:
                assert linked_at[entry.id] < approved_at[entry.id], entry.narration
    assert checked >= 40 and len(set(approved_at) & backed) >= 10
    numbers = {r.number for r in resolution_register.list_all(books=books, slug=SLUG)}
    assert numbers <= {r for item in listed for r in item.resolutions}
    # Each contract's scan backs the contract, and is found by it.
    scans = {i.name: i.contracts for i in listed if i.name.startswith("合同-C-2026-")}
    assert scans == {f"合同-C-2026-0{n}-扫描件.pdf": [f"C-2026-0{n}"] for n in range(1, 6)}
    (found,) = documents.listed(books=books, slug=SLUG, contract="C-2026-01")
    assert found.name == "合同-C-2026-01-扫描件.pdf"
    for item in listed[:3] + listed[-3:]:  # the real reader takes them as one-page PDFs
        _meta, body = documents.get(books=books, slug=SLUG, sha256=item.sha256)
        assert documents.sniff(body, item.name) == "application/pdf"
        path = tmp_path / f"{item.sha256}.pdf"
        path.write_bytes(body)
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
        assert "Pages:           1" in info.stdout and not info.stderr


def test_the_open_months_statement_holds_what_the_books_say_the_bank_did(books: Books) -> None:
    path = open_statement(books)
    assert path is not None
    month = _open_month(books)
    assert month > max(line.date for line in _lines(books))
    read = bank.read_file(path.read_bytes(), path.name, ACCOUNT, None)
    made = Routine(books, SLUG, SEED).statement(month, month_end(month))
    assert [(r.line.date, r.line.amount, r.line.balance, r.line.reference) for r in read] == [
        (m.date, m.amount, m.balance, m.reference) for m in made
    ]
    memos = {m.memo for m in made}
    assert FEE_MEMO in memos and len(memos) > 1


def _commons(data: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["--lang", "en", "--data", str(data), *args], catch_exceptions=False
    )
    return result.exit_code, result.output


def test_the_open_months_statement_imports_through_the_cli_and_reconciles(
    data: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    books = open_books(Settings(data=copy, secret=SECRET))
    try:
        path = open_statement(books)
        assert path is not None and path.parent == copy / "demo-statements"
        account = ["--account", ACCOUNT]
        code, out = _commons(copy, "bank", "import", SLUG, str(path), *account, "--as", "treasurer")
        assert code == 0, out
        assert "(0 already imported)" in out and "to confirm or dismiss" in out, out
        code, out = _commons(copy, "bank", "proposals", SLUG, *account)
        proposals = json.loads(out)
        assert proposals, "the open month has no bank-only item to confirm"
        last = max(line.date for line in _lines(books))
        day = ["--date", str(last), "--json"]
        before = json.loads(_commons(copy, "bank", "reconcile", SLUG, *account, *day)[1])
        assert before["open_lines"] == len(proposals) and before["difference"] == "0.00"
        for proposal in proposals:
            line = str(proposal["line"]["id"])
            code, out = _commons(copy, "bank", "confirm", SLUG, line, "--as", "treasurer")
            assert code == 0 and " posted" in out, out
        after = json.loads(_commons(copy, "bank", "reconcile", SLUG, *account, *day)[1])
        assert (after["difference"], after["open_lines"]) == ("0.00", 0), after
        assert after["bank_balance"] == after["book_balance"]
        again = _commons(copy, "bank", "import", SLUG, str(path), *account, "--as", "treasurer")
        assert "imported 0 line(s)" in again[1], again
    finally:
        books.dispose()
