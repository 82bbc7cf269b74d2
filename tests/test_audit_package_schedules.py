"""The schedules of an audit package, on books that have each of them: a contract paid late,
a budget for the year, a bank statement imported and partly reconciled, documents behind an
entry, a resolution and a contract, and objections under the quarter's notice. Each schedule is read from
the real zip (its CSV) and the real workbook (openpyxl), checked against the rules' own
answers and the journal; the package with its documents carries their files, which both
verifiers check; two exports of the same period at the same clock are the same bytes."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from freezegun import freeze_time
from openpyxl import load_workbook

from api.books import open_books
from api.cli import main
from api.settings import Settings
from api.users import Role, add_member
from audit.export import MANIFEST, export, export_file, manifest_bytes
from audit.verify_export import verify_export
from ledger import chart, journal
from ledger.books import Books
from ledger.db import writer
from ledger.models import Unit
from ledger.schemas import PostingIn, TransactionIn
from rules import bank, documents, objections
from rules.budget import BudgetIn, set_budget
from rules.community import create
from rules.contracts import ContractIn, receivables
from rules.contracts import add as add_contract
from rules.periods import close
from tests.conftest import BOOKS_START, txn
from tests.rules_helpers import add_resolution, set_rules_text

SLUG = "maple"
PYTHON = "/usr/bin/python3"
STATEMENT = Path(__file__).parent / "fixtures" / "bank" / "bank-statement-gbk.csv"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
APRIL_PDF = PDF.replace(b"1.4", b"1.5")
CONTRACT_PDF = PDF.replace(b"1.4", b"1.6")
#: No reserve to set aside; the quarter closes with its bank lines still open.
RULES = (
    '[[version]]\neffective_from = 2000-01-01\nreserve_share_min = "0.00"\n'
    'reserve_comparison = "at_least"\nreconcile_before_close = false\n'
)
EXPORTED = "2025-05-10 02:00:00"
CONTACT = "owner-contact@example.com"


def _post(books: Books, draft: TransactionIn) -> str:
    return journal.post(books=books, slug=SLUG, draft=draft, actor="treasurer").id


def _receipt(day: date, amount: str) -> TransactionIn:
    return TransactionIn(
        date=day,
        payee="好邻居便利店",
        narration="架空层租金",
        kind="income",
        postings=[
            PostingIn(account=chart.CASH, amount=Decimal(amount)),
            PostingIn(account=chart.INCOME_PILOTIS, amount=-Decimal(amount)),
        ],
        contract="C-2025-01",
    )


def _build(books: Books) -> dict[str, Any]:
    """The books (see the module's docstring); what the tests compare against."""
    with freeze_time("2025-01-02 02:00:00"):
        create(books=books, slug=SLUG, name="枫林苑", start=BOOKS_START)
        set_rules_text(books, SLUG, RULES)
        with writer(books.engine) as session:
            community = books.community(session, SLUG)
            for code, area in (("1-1-0101", 12738), ("2-1-0102", 6369)):
                session.add(
                    Unit(community_id=community.id, code=code, owner=f"O{code}", area_centi=area)
                )
        add_resolution(books, SLUG, "2025-01", purpose=("cost",), voted_on=date(2024, 12, 20))
        add_resolution(
            books, SLUG, "2025-02", purpose=(), matter=8, budget="0.00", voted_on=date(2024, 12, 20)
        )
        add_contract(
            books=books,
            slug=SLUG,
            body=ContractIn.model_validate(
                {
                    "number": "C-2025-01",
                    "counterparty": "好邻居便利店",
                    "space": "3号楼架空层",
                    "kind": "pilotis",
                    "resolution": "2025-02",
                    "start": "2025-01-01",
                    "end": "2025-12-31",
                    "schedule": {"every": "month", "amount": "1000.00", "due_day": 5},
                    "income_account": chart.INCOME_PILOTIS,
                }
            ),
            actor="treasurer",
        )
        lines = [
            {"account": chart.COST_DIRECT, "period": "2025Q1", "amount": "2000.00"},
            {"account": chart.COST_DIRECT, "period": "2025Q2", "amount": "2000.00"},
            {"account": chart.INCOME_PILOTIS, "period": "2025", "amount": "12000.00"},
            {"account": chart.USE_BANK_FEES, "period": "2025", "amount": "100.00"},
        ]
        set_budget(
            books=books,
            slug=SLUG,
            body=BudgetIn.model_validate({"year": 2025, "resolution": "2025-01", "lines": lines}),
            actor="chair",
        )
    ids: dict[str, str] = {}
    with freeze_time("2025-04-01 02:00:00"):
        ids["opening"] = _post(
            books, txn("47822.65", credit=chart.OPENING, day=date(2024, 12, 31), kind="opening")
        )
        ids["rent"] = _post(books, _receipt(date(2025, 1, 6), "1000.00"))
        ids["parking"] = _post(
            books, txn("9600.00", day=date(2025, 3, 5), payee="枫林停车管理有限公司")
        )
        ids["ads"] = _post(
            books,
            txn(
                "6000.00",
                credit=chart.INCOME_ADS,
                day=date(2025, 3, 9),
                payee="某某传媒广告有限公司",
            ),
        )
        for key, amount, day in (("cleaning", "1200.00", 12), ("cheque", "300.00", 30)):
            ids[key] = _post(
                books,
                txn(
                    amount,
                    debit=chart.COST_DIRECT,
                    credit=chart.BANK,
                    day=date(2025, 3, day),
                    kind="cost",
                ),
            )
        reads = bank.read_file(STATEMENT.read_bytes(), STATEMENT.name, chart.BANK, None)
        out = bank.import_lines(
            books=books, slug=SLUG, account=chart.BANK, reads=reads, actor="treasurer"
        )
        fee, _greening, interest = (p.line.id for p in out.proposals)
        bank.confirm(books=books, slug=SLUG, line_id=fee, draft=None, actor="treasurer")
        bank.dismiss(
            books=books, slug=SLUG, line_id=interest, reason="利息=下季度入账", actor="treasurer"
        )
    with freeze_time("2025-04-02 02:00:00"):
        ids["april"] = _post(books, txn("500.00", day=date(2025, 4, 2)))
        for body, name, entry, resolution, contract in (
            (PDF, "停车费收据.pdf", ids["parking"], None, None),
            (PNG, "决议扫描.png", None, "2025-01", None),
            (APRIL_PDF, "四月.pdf", ids["april"], None, None),
            (CONTRACT_PDF, "经营合同.pdf", ids["rent"], None, "C-2025-01"),
        ):
            documents.add(
                books=books,
                slug=SLUG,
                body=body,
                name=name,
                actor="treasurer",
                entry=entry,
                resolution=resolution,
                contract=contract,
            )
    with freeze_time("2025-04-05 02:00:00"):
        close(books=books, slug=SLUG, period="2025Q1", actor="chair")
    with freeze_time("2025-04-06 02:00:00"):
        filed = [
            objections.file(
                books=books,
                slug=SLUG,
                period="2025Q1",
                body=objections.ObjectionIn(
                    unit=unit, contact=CONTACT, concerns="停车费", text=f"=HYPERLINK({n})"
                ),
            ).id
            for n, unit in enumerate(("1-1-0101", "2-1-0102"))
        ]
    with freeze_time("2025-04-08 02:00:00"):
        objections.answer(
            books=books,
            slug=SLUG,
            objection_id=filed[0],
            body=objections.AnswerIn(answer="已核对，金额无误"),
            actor="chair",
        )
    return {"ids": ids, "filed": filed}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Any:
    data = tmp_path_factory.mktemp("schedules") / "data"
    books = open_books(Settings(data=data))
    facts = _build(books)
    out = tmp_path_factory.mktemp("packages")
    with freeze_time(EXPORTED):
        facts["plain"] = out / "plain.zip"
        facts["full"] = out / "full.zip"
        export_file(books=books, slug=SLUG, period="2025Q1", path=facts["plain"])
        export_file(
            books=books, slug=SLUG, period="2025Q1", path=facts["full"], with_documents=True
        )
        facts["receivables"] = receivables(books=books, slug=SLUG, on=date(2025, 3, 31))
        facts["reconciliation"] = bank.reconcile(
            books=books, slug=SLUG, account=chart.BANK, day=date(2025, 3, 31)
        )
    facts["books"] = books
    yield facts
    books.dispose()


def read_csv(path: Path, name: str) -> list[list[str]]:
    with zipfile.ZipFile(path) as archive:
        return list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"), newline="")))


def sheet(path: Path, title: str) -> list[tuple[Any, ...]]:
    with zipfile.ZipFile(path) as archive:
        workbook = load_workbook(io.BytesIO(archive.read("workbook.xlsx")), read_only=True)
    return [tuple(c for c in row) for row in workbook[title].iter_rows(values_only=True)]


def title_and_header(rows: list[tuple[Any, ...]], csv_rows: list[list[str]]) -> None:
    """The sheet opens with its title row, then the CSV's (Chinese) header, then its rows."""
    assert rows[0][0].startswith("编制单位：枫林苑") and "2025Q1" in rows[0][0]
    assert list(rows[1]) == csv_rows[0]
    assert len(rows) == len(csv_rows) + 1


def test_receivables_are_the_contracts_arrears_at_the_period_end(world: Any) -> None:
    table = read_csv(world["plain"], "receivables.csv")
    assert table[0][:2] == ["合同编号", "对方单位"] and table[0][-1] == "合规"
    (want,) = world["receivables"]["contracts"]
    (row,) = table[1:]
    assert row[:3] == ["C-2025-01", "好邻居便利店", "2025-03-31"]
    assert row[3:7] == [want["due"], want["received"], want["overdue"], want["ahead"]]
    assert row[7:11] == [want["ageing"][k] for k in ("0-30", "31-90", "91-180", "180+")]
    assert row[11] == ("是" if want["compliant"] else "否")
    # Three months fell due, one was paid in January: two are overdue, in two buckets.
    assert Decimal(row[5]) == Decimal("2000.00") and Decimal(row[7]) and Decimal(row[8])
    rows = sheet(world["plain"], "应收账款")
    title_and_header(rows, table)
    assert rows[2][2].date() == date(2025, 3, 31)  # a date, not text
    assert all(isinstance(v, int | float) for v in rows[2][3:11])  # numbers, not text
    assert sum(Decimal(str(v)) for v in rows[2][7:11]) == Decimal(row[5])


def test_budget_is_the_year_to_the_period_end(world: Any) -> None:
    table = read_csv(world["plain"], "budget.csv")
    journal_rows = read_csv(world["plain"], "journal.csv")[1:]
    direct = sum(
        Decimal(r[8] or 0) - Decimal(r[9] or 0) for r in journal_rows if r[6].startswith("5101-02")
    )
    lines = {(r[0], r[3]): r for r in table[1:]}
    # Q2's line has not begun by 31 March; the year's line counts up to it.
    assert (chart.COST_DIRECT, "2025Q2") not in lines
    q1 = lines[chart.COST_DIRECT, "2025Q1"]
    assert Decimal(q1[7]) == direct == Decimal("1500.00")
    assert Decimal(q1[8]) == direct - Decimal(q1[6])
    year = lines[chart.INCOME_PILOTIS, "2025"]
    # The rent received in January and the two months the close accrued, as credits.
    rent = sum(Decimal(r[9] or 0) - Decimal(r[8] or 0) for r in journal_rows if r[6] == year[1])
    assert year[4:6] == ["2025-01-01", "2025-03-31"] and Decimal(year[7]) == rent
    assert rent == Decimal("3000.00")
    rows = sheet(world["plain"], "预算执行情况表")
    title_and_header(rows, table)
    assert all(isinstance(v, int | float) for r in rows[2:] for v in r[6:9])


def test_bank_reconciliation_at_each_month_end_with_statements(world: Any) -> None:
    table = read_csv(world["plain"], "bank_reconciliation.csv")
    want = world["reconciliation"]
    # The statement begins in March: January and February have none.
    assert {r[0] for r in table[1:]} == {"2025-03-31"}
    assert {r[1] for r in table[1:]} == {chart.BANK}
    items = {r[4]: r for r in table[1:]}
    assert Decimal(items["企业账面余额"][8]) == want.book_balance
    assert Decimal(items["银行对账单余额"][8]) == want.bank_balance == Decimal("61436.27")
    assert Decimal(items["差额"][8]) == want.difference
    paid = [r for r in table[1:] if r[4] == "企业已付、银行未记"]
    assert [(Decimal(r[8]), r[7]) for r in paid] == [(Decimal("-300.00"), "银行尚未入账")]
    bank_side = {r[7] for r in table[1:] if r[4].startswith("银行已")}
    assert "待确认或排除" in bank_side and "已排除：利息=下季度入账" in bank_side
    book = sum(
        (Decimal(r[8] or 0) - Decimal(r[9] or 0))
        for r in read_csv(world["plain"], "journal.csv")[1:]
        if r[6] == items["企业账面余额"][2]
    )
    assert Decimal(items["企业账面余额"][8]) == Decimal("47822.65") + book
    rows = sheet(world["plain"], "银行存款余额调节表")
    title_and_header(rows, table)
    assert isinstance(rows[2][8], int | float) and rows[2][4] == "企业账面余额"


def test_documents_are_listed_and_come_with_the_files_when_asked(world: Any) -> None:
    plain = read_csv(world["plain"], "documents.csv")
    full = read_csv(world["full"], "documents.csv")
    assert plain == full
    listed = {r[0]: r for r in plain[1:]}
    # The April entry's document is not the quarter's.
    assert set(listed) == {hashlib.sha256(b).hexdigest() for b in (PDF, PNG, CONTRACT_PDF)}
    pdf = listed[hashlib.sha256(PDF).hexdigest()]
    assert pdf[1:4] == ["停车费收据.pdf", str(len(PDF)), "application/pdf"]
    assert pdf[4].startswith("记-") and pdf[5] == f"documents/{pdf[0]}.pdf"
    assert listed[hashlib.sha256(PNG).hexdigest()][4] == "决议 2025-01"
    # The signed contract backs the contract and the rent it brought in.
    rent = listed[hashlib.sha256(CONTRACT_PDF).hexdigest()][4]
    assert rent == "合同 C-2025-01; 记-000002"
    with zipfile.ZipFile(world["plain"]) as archive:
        assert not [n for n in archive.namelist() if n.startswith("documents/")]
        manifest = json.loads(archive.read(MANIFEST))
    assert manifest["documents"] == {"included": False, "count": 3}
    with zipfile.ZipFile(world["full"]) as archive:
        manifest = json.loads(archive.read(MANIFEST))
        assert manifest["documents"] == {"included": True, "count": 3}
        for row in plain[1:]:
            body = archive.read(row[5])
            assert hashlib.sha256(body).hexdigest() == row[0] == manifest["files"][row[5]]["sha256"]
    rows = sheet(world["full"], "单据")
    title_and_header(rows, plain)
    assert isinstance(rows[2][2], int)
    for path in (world["plain"], world["full"]):
        report = verify_export(path)
        assert report.ok, report.problems


def test_objections_show_the_building_never_the_unit_or_contact(world: Any) -> None:
    table = read_csv(world["plain"], "objections.csv")
    assert table[0] == [
        "编号", "公示期间", "楼栋", "涉及事项", "异议内容", "状态", "答复", "答复日期", "答复期限",
        "逾期",
    ]  # fmt: skip
    answered, still_open = table[1:]
    assert [answered[0], still_open[0]] == [str(i) for i in world["filed"]]
    assert answered[1:6] == ["2025Q1", "1", "停车费", "'=HYPERLINK(0)", "已答复"]
    assert answered[6:8] == ["已核对，金额无误", "2025-04-08"] and answered[9] == "否"
    # Due 15 days after 6 April, still open on 10 May: overdue.
    assert still_open[2] == "2" and still_open[5] == "待答复"
    assert (still_open[8], still_open[9]) == ("2025-04-21", "是")
    with zipfile.ZipFile(world["full"]) as archive:
        for name in archive.namelist():
            body = archive.read(name)
            assert CONTACT.encode() not in body, name
            if name.endswith(".csv") and name not in ("units.csv", "ballots.csv"):
                assert b"1-1-0101" not in body and b"2-1-0102" not in body, name
    rows = sheet(world["plain"], "异议")
    title_and_header(rows, table)
    assert rows[3][4] == "=HYPERLINK(1)" and rows[3][8].date() == date(2025, 4, 21)


def test_two_exports_of_the_period_are_the_same_bytes(world: Any) -> None:
    outs = []
    for _ in range(2):
        out = io.BytesIO()
        with freeze_time(EXPORTED):
            export(books=world["books"], slug=SLUG, period="2025Q1", out=out, with_documents=True)
        outs.append(out.getvalue())
    assert outs[0] == outs[1] == world["full"].read_bytes()


def files_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def reseal(files: dict[str, bytes], *names: str) -> dict[str, bytes]:
    manifest = json.loads(files[MANIFEST])
    for name in names:
        if name in files:
            manifest["files"][name] = {
                "bytes": len(files[name]),
                "sha256": hashlib.sha256(files[name]).hexdigest(),
            }
        else:
            manifest["files"].pop(name, None)
    return {**files, MANIFEST: manifest_bytes(manifest)}


def run_verifier(files: dict[str, bytes], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "package.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    (tmp_path / "verify_package.py").write_bytes(files["verify_package.py"])
    return subprocess.run(
        [PYTHON, "-I", "verify_package.py", path.name],
        cwd=tmp_path,
        env={},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_verifiers_check_each_document_file(world: Any, tmp_path: Path) -> None:
    files = files_of(world["full"])
    assert run_verifier(files, tmp_path).returncode == 0
    (row,) = [r for r in read_csv(world["full"], "documents.csv")[1:] if r[3] == "image/png"]
    changed = reseal({**files, row[5]: files[row[5]] + b"\x00"}, row[5])
    done = run_verifier(changed, tmp_path)
    assert done.returncode == 1 and f"{row[5]}: its SHA-256 is not" in done.stdout
    # Absent from a package that says it came with its documents: refused; from one that
    # says it did not, fine.
    missing = reseal({k: v for k, v in files.items() if k != row[5]}, row[5])
    done = run_verifier(missing, tmp_path)
    assert done.returncode == 1 and "missing from a package made with its documents" in done.stdout
    manifest = json.loads(missing[MANIFEST])
    manifest["documents"]["included"] = False
    done = run_verifier({**missing, MANIFEST: manifest_bytes(manifest)}, tmp_path)
    assert done.returncode == 0, done.stdout
    path = tmp_path / "changed.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, body in changed.items():
            archive.writestr(name, body)
    report = verify_export(path)
    assert any(p.startswith(f"{row[5]}: its SHA-256") for p in report.problems), report.problems


def test_a_document_backing_a_contract_the_package_lacks_fails_both_verifiers(
    world: Any, tmp_path: Path
) -> None:
    name = "documents.csv"
    files = files_of(world["plain"])
    edited = [list(r) for r in read_csv(world["plain"], name)]
    row = next(r for r in edited[1:] if "合同 C-2025-01" in r[4])
    row[4] = row[4].replace("合同 C-2025-01", "合同 C-2099-09")
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(edited)
    changed = reseal({**files, name: "\ufeff".encode() + text.getvalue().encode()}, name)
    done = run_verifier(changed, tmp_path)
    assert done.returncode == 1, done.stdout
    assert "contract C-2099-09 is not in receivables.csv" in done.stdout, done.stdout
    path = tmp_path / "changed.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for member, body in changed.items():
            archive.writestr(member, body)
    report = verify_export(path)
    assert any("contract C-2099-09 is not in receivables.csv" in p for p in report.problems)


@pytest.mark.parametrize(
    ("name", "label", "column", "expect"),
    [
        ("receivables.csv", "C-2025-01", 8, "the ageing adds up"),
        ("budget.csv", chart.COST_DIRECT, 7, "差异"),
        ("bank_reconciliation.csv", "企业账面余额", 8, "企业账面余额"),
        ("objections.csv", "待答复", 9, "逾期"),
    ],
)
def test_a_changed_schedule_cell_fails_both_verifiers(
    world: Any, tmp_path: Path, name: str, label: str, column: int, expect: str
) -> None:
    files = files_of(world["plain"])
    table = read_csv(world["plain"], name)
    edited = [list(r) for r in table]
    row = next(r for r in edited[1:] if label in r)
    row[column] = "否" if row[column] == "是" else f"{Decimal(row[column]) + 1:.2f}"
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(edited)
    changed = reseal({**files, name: "\ufeff".encode() + text.getvalue().encode()}, name)
    done = run_verifier(changed, tmp_path)
    assert done.returncode == 1, done.stdout
    assert name in done.stdout and expect in done.stdout, done.stdout
    path = tmp_path / "changed.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for member, body in changed.items():
            archive.writestr(member, body)
    report = verify_export(path)
    assert any(p.startswith(name) and expect in p for p in report.problems), report.problems


def test_cli_export_with_documents(world: Any, tmp_path: Path) -> None:
    books = world["books"]
    add_member(books=books, username="auditor", slug=SLUG, role=Role.AUDITOR, token=False)
    out = tmp_path / "q1.zip"
    args = ["--data", str(books.data_dir), "export", SLUG, "2025Q1", "--out", str(out)]
    with freeze_time(EXPORTED):
        result = CliRunner().invoke(
            main, ["--lang", "en", *args, "--as", "auditor", "--with-documents"]
        )
    assert result.exit_code == 0, result.output
    assert "3 document(s) listed in documents.csv, their files in documents/" in result.output
    with zipfile.ZipFile(out) as archive:
        assert len([n for n in archive.namelist() if n.startswith("documents/")]) == 3
