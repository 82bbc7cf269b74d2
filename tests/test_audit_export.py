"""The audit package's tables, read back the way an auditor reads them (csv, openpyxl) and
checked against the ledger. The books are ``export_fixtures`` (its docstring shows them)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from freezegun import freeze_time
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from sqlmodel import Session

from audit.export import FILES_PER_EXPORT, expected_entries, export, export_file
from audit.workbook import TITLED, display_width
from ledger import journal
from ledger.books import Books
from ledger.errors import ValidationFailed
from ledger.period import parse_period
from tests.export_fixtures import SLUG, TALLY, make_books

NOW = "2025-07-01 02:00:00"
SPAN = "2025Q1（2025-01-01 至 2025-03-31）"
TABLES = {
    "journal": "序时账",
    "general_ledger": "明细账",
    "trial_balance": "科目余额表",
    "balance_sheet": "资产负债表",
    "activities": "业务活动表",
    "cash_flows": "现金流量表",
    "distribution": "共有收益分配表",
    "notes": "附注",
    "allocations": "分配明细",
    "resolutions": "决议",
    "resolution_tally": "决议表决明细",
    "events": "审计日志",
    "units": "业主专有部分登记",
    "ballots": "表决票",
    "dividends_unpaid": "未付分红",
    "receivables": "应收账款",
    "budget": "预算执行情况表",
    "bank_reconciliation": "银行存款余额调节表",
    "documents": "单据",
    "objections": "异议",
}


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> Books:
    return make_books(tmp_path_factory.mktemp("books"))


@pytest.fixture(scope="module")
def package(books: Books, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("out") / "maple-2025Q1.zip"
    with freeze_time(NOW):
        export_file(books=books, slug=SLUG, period="2025Q1", path=path)
    return path


def read_csv(package: Path, name: str) -> list[dict[str, str]]:
    raw = zipfile.ZipFile(package).read(f"{name}.csv")
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, so Excel reads the Chinese"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def read_rows(package: Path, name: str) -> list[list[str]]:
    raw = zipfile.ZipFile(package).read(f"{name}.csv").decode("utf-8-sig")
    return list(csv.reader(io.StringIO(raw, newline="")))


def read_statement(raw: bytes | Path, name: str) -> dict[int, dict[str, str]]:
    """A statutory statement's lines by 行次 (its title row first, then its header row)."""
    data = raw if isinstance(raw, bytes) else zipfile.ZipFile(raw).read(f"{name}.csv")
    title, *rows = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    assert title[3] == "单位：元" and rows[0][:2] == ["项目", "行次"]
    lines = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    return {int(r["行次"]): r for r in lines if r["行次"]}


def money(text: str | None) -> Decimal:
    return Decimal(text) if text else Decimal("0.00")


def test_periods() -> None:
    assert (parse_period("2025").start.isoformat(), parse_period("2025").end.isoformat()) == (
        "2025-01-01",
        "2025-12-31",
    )
    q4 = parse_period("2025q4")
    assert (q4.label, q4.start.isoformat(), q4.end.isoformat()) == (
        "2025Q4",
        "2025-10-01",
        "2025-12-31",
    )
    span = parse_period("2025-01-01..2025-06-30")
    assert (span.start.month, span.end.day) == (1, 30)
    for bad in ("2025Q5", "25", "2025-06-30..2025-01-01", "2025-02-30..2025-03-01"):
        with pytest.raises(ValidationFailed) as caught:
            parse_period(bad)
        assert caught.value.problems[0].rule == "period-format"


def test_package_holds_every_file(package: Path) -> None:
    names = zipfile.ZipFile(package).namelist()
    expected = sorted(
        [f"{t}.csv" for t in TABLES]
        + ["ledger.beancount", "rules.toml", "rules_history.csv", "workbook.xlsx"]
        + ["chain.csv", "verify_package.py"]
    )
    assert names == [*expected, "manifest.json"]
    assert len(names) == FILES_PER_EXPORT


def test_journal_is_the_ledger_in_sequence(books: Books, package: Path) -> None:
    rows = read_csv(package, "journal")
    by_seq: dict[int, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_seq[int(row["序号"])].append(row)
    # Dated in 2025Q1: seqs 2, 3, 4, 5 and the late 7; not 1 (2024) nor 6 (April).
    assert list(by_seq) == [2, 3, 4, 5, 7]
    for seq, lines in by_seq.items():
        first = lines[0]
        entry = journal.get(books=books, slug=SLUG, entry_id=first["交易ID"])
        assert entry.seq == seq
        assert first["日期"] == entry.date.isoformat()
        assert first["摘要"] == entry.narration and first["往来单位"] == entry.payee
        assert first["哈希"] == entry.hash
        assert first["凭证号"] == f"记-{seq:06d}"
        signed = [money(r["借方金额"]) - money(r["贷方金额"]) for r in lines]
        assert signed == [p.amount for p in entry.postings]
    dividend = by_seq[4][0]
    assert (dividend["审批人"], dividend["决议"], dividend["类型"]) == ("chair", "R2025-01", "分红")


def test_trial_balance_balances_and_matches_the_ledger(books: Books, package: Path) -> None:
    rows = read_csv(package, "trial_balance")
    total = rows[-1]
    assert total["科目代码"] == "合计" and total["级次"] == ""
    lines = rows[:-1]
    assert {r["级次"] for r in lines} == {"1", "2"}
    tops = [r for r in lines if r["级次"] == "1"]
    assert all("-" not in r["科目代码"] for r in tops)
    for left, right in (
        ("期初借方", "期初贷方"),
        ("本期借方", "本期贷方"),
        ("期末借方", "期末贷方"),
    ):
        assert sum(money(r[left]) for r in tops) == sum(money(r[right]) for r in tops)
        assert money(total[left]) == money(total[right]) == sum(money(r[left]) for r in tops)
    # Each level-1 row sums its details; the accounts posted to are the details, or a
    # level-1 row without any.
    posted: list[dict[str, str]] = []
    for top in tops:
        at = lines.index(top)
        details = []
        for row in lines[at + 1 :]:
            if row["级次"] == "1":
                break
            details.append(row)
        assert all(d["科目代码"].startswith(top["科目代码"] + "-") for d in details)
        posted += details or [top]
        if details:
            for debit, credit in (("期初借方", "期初贷方"), ("期末借方", "期末贷方")):
                net = sum(money(d[debit]) - money(d[credit]) for d in details)
                assert money(top[debit]) - money(top[credit]) == net
            for moved in ("本期借方", "本期贷方"):
                assert money(top[moved]) == sum(money(d[moved]) for d in details)
    with Session(books.engine) as session:
        community = books.community(session, SLUG)
        period = parse_period("2025Q1")
        closing = books.balances(session, community.id, period.end)
        accounts = {a.code: a.name for a in books.accounts(session, community.id)}
    for row in posted:
        balance = money(row["期末借方"]) - money(row["期末贷方"])
        assert balance == closing.get(accounts[row["科目代码"]], Decimal("0.00"))
        opening = money(row["期初借方"]) - money(row["期初贷方"])
        assert opening + money(row["本期借方"]) - money(row["本期贷方"]) == balance
    shown = {accounts[r["科目代码"]] for r in posted}
    assert {a for a, n in closing.items() if n} <= shown
    bank = next(r for r in lines if r["科目代码"] == "1002-01")
    assert (bank["期初借方"], bank["本期借方"], bank["期末借方"], bank["级次"]) == (
        "50000.00",
        "13400.00",
        "62199.50",
        "2",
    )
    (level1,) = [r for r in tops if r["科目代码"] == "1002"]
    assert (level1["科目名称"], level1["期末借方"]) == ("银行存款", "62199.50")


def test_statements_tie_to_the_trial_balance(package: Path) -> None:
    """The 会民非01/02表's lines, read by 行次, against the 科目余额表's level-1 rows."""
    tb = {r["科目代码"]: r for r in read_csv(package, "trial_balance")[:-1] if r["级次"] == "1"}

    def closing(*prefixes: str) -> Decimal:
        return sum(
            (
                money(r["期末借方"]) - money(r["期末贷方"])
                for c, r in tb.items()
                if c.startswith(prefixes)
            ),
            Decimal("0.00"),
        )

    def moved(prefix: str) -> Decimal:
        return sum(
            (
                money(r["本期借方"]) - money(r["本期贷方"])
                for c, r in tb.items()
                if c.startswith(prefix)
            ),
            Decimal("0.00"),
        )

    sheet = read_statement(package, "balance_sheet")
    assert sheet[1]["项目"] == "货币资金" and sheet[60]["项目"] == "资产总计"
    assets = money(sheet[60]["期末数"])
    liabilities = money(sheet[100]["期末数"])
    net = money(sheet[110]["期末数"])
    assert money(sheet[1]["期末数"]) == closing("1001", "1002", "1009") == Decimal("62199.50")
    assert assets == closing("1") == Decimal("62199.50")
    assert liabilities == -closing("2") == Decimal("300.00")
    assert net == -(closing("3") + closing("4") + closing("5"))
    assert money(sheet[120]["期末数"]) == assets == liabilities + net
    assert money(sheet[60]["年初数"]) == money(sheet[120]["年初数"]) == Decimal("50000.00")

    activity = read_statement(package, "activities")
    assert activity[11]["项目"] == "收入合计" and activity[35]["项目"] == "费用合计"
    income, costs = money(activity[11]["本期数·合计"]), money(activity[35]["本期数·合计"])
    assert income == -moved("4") == Decimal("13400.00")
    assert costs == moved("5") == Decimal("1500.50")
    change = money(activity[45]["本期数·合计"])
    assert change == income - costs + money(activity[40]["本期数·合计"])
    opening_net = money(sheet[110]["年初数"])
    assert net - opening_net == change - moved("3")  # no direct net-asset postings in Q1
    assert money(activity[3]["本期数·非限定性"]) == Decimal("13400.00")  # 共有收益
    assert money(activity[15]["本期数·合计"]) == Decimal("300.00")  # of which the dividend
    for line in activity.values():  # Q1 starts the year: 本年累计数 = 本期数
        assert [line[f"本年累计数·{c}"] for c in ("非限定性", "限定性", "合计")] == [
            line[f"本期数·{c}"] for c in ("非限定性", "限定性", "合计")
        ]


def test_restricted_column_takes_restricted_accounts(books: Books, tmp_path: Path) -> None:
    out = io.BytesIO()
    with freeze_time(NOW):
        export(books=books, slug=SLUG, period="2025Q2", out=out)
    archive = zipfile.ZipFile(out)
    sheet = read_statement(archive.read("balance_sheet.csv"), "balance_sheet")
    # The 2,000.00 top-up is owed to the (restricted) maintenance fund: a liability (应付款项,
    # 2209), not restricted net assets; the activities show it as a distribution (行次 13).
    assert money(sheet[62]["期末数"]) == Decimal("2300.00")
    assert money(sheet[105]["期末数"]) == Decimal("0.00")
    assert money(sheet[60]["期末数"]) == money(sheet[120]["期末数"])
    activity = read_statement(archive.read("activities.csv"), "activities")
    assert money(activity[13]["本期数·非限定性"]) == Decimal("2000.00")
    assert money(activity[13]["本期数·限定性"]) == Decimal("0.00")


def test_general_ledger_runs_balances_in_date_order(package: Path) -> None:
    bank = [r for r in read_csv(package, "general_ledger") if r["科目代码"] == "1002-01"]
    assert bank[0]["摘要"] == "期初余额"
    assert [r["序号"] for r in bank[1:-2]] == ["2", "3", "7", "5"]  # the late entry by its date
    balance = money(bank[0]["余额"])
    for row in bank[1:-2]:
        balance += money(row["借方金额"]) - money(row["贷方金额"])
        assert money(row["余额"]) == balance and row["方向"] == "借"
    assert bank[-1]["摘要"] == "期末余额" and money(bank[-1]["余额"]) == balance


def test_allocations_resolutions_and_events(package: Path) -> None:
    allocations = read_csv(package, "allocations")
    assert [(r["单元"], r["面积(m²)"], r["金额"], r["决议"]) for r in allocations] == [
        ("1-1-0101", "127.38", "200.00", "R2025-01"),
        ("1-1-0102", "63.69", "100.00", "R2025-01"),
    ]
    raw = b"".join(zipfile.ZipFile(package).read(n) for n in zipfile.ZipFile(package).namelist())
    assert b"O0001" not in raw and b"O0002" not in raw, "no owner ids anywhere in the package"

    (resolution,) = read_csv(package, "resolutions")
    assert (resolution["编号"], resolution["表决结果"], resolution["预算"]) == (
        "R2025-01",
        "通过",
        "300.00",
    )
    assert "同意·面积=127.38" in resolution["表决计算"]
    tally = {r["键"]: r["数值"] for r in read_csv(package, "resolution_tally")}
    assert tally["total.area"] == TALLY["total"]["area"]  # type: ignore[index]
    assert tally["yes.heads"] == "1" and tally["passed"] == "通过"

    events = read_csv(package, "events")
    actions = [(e["操作人"], e["操作"]) for e in events]
    # On Q1's entries: seqs 2, 3, 5; the dividend entered then approved; and the late one,
    # dated in February though posted in April (what an event concerns, not when it was).
    assert actions == [
        ("treasurer", "post"),
        ("treasurer", "post"),
        ("treasurer", "enter"),
        ("chair", "approve"),
        ("treasurer", "post"),
        ("treasurer", "post"),
    ]
    assert events[-1]["时间(UTC)"].startswith("2025-04-05")
    assert [int(e["序号"]) for e in events] == sorted(int(e["序号"]) for e in events)


def test_workbook_sheets_formats_and_figures(package: Path, tmp_path: Path) -> None:
    path = tmp_path / "workbook.xlsx"
    path.write_bytes(zipfile.ZipFile(package).read("workbook.xlsx"))
    wb = load_workbook(path)
    assert wb.sheetnames == list(TABLES.values())
    for name, title in TABLES.items():
        ws = wb[title]
        # A sheet whose table has no title row of its own gets one (in the sheet only).
        top = 0 if name in TITLED else 1
        assert ws.freeze_panes == f"A{2 + top}"
        rows = read_rows(package, name)
        if top:
            heading = ws.cell(1, 1).value
            assert heading == f"编制单位：枫林苑业委会    {title}    {SPAN}    单位：元", heading
            assert all(c.value is None for c in ws[1][1:])
        headers = [c.value if c.value is not None else "" for c in ws[1 + top]]
        assert headers == rows[0]
        assert ws.max_row == len(rows) + top
        for index, header in enumerate(headers, start=1):
            width = ws.column_dimensions[ws.cell(1, index).column_letter].width
            assert width >= display_width(str(header)), (title, header)
    ws = wb["序时账"]
    codes = [ws.cell(r, 7) for r in range(3, ws.max_row + 1)]
    assert all(c.data_type == "s" and c.number_format == "@" for c in codes)
    day = ws.cell(3, 2)
    assert day.is_date and day.value.date().isoformat() == "2025-01-15"
    assert day.number_format == "yyyy-mm-dd"
    narrations = [ws.cell(r, 5).value for r in range(3, ws.max_row + 1)]
    assert "保洁 <A&B> 直接成本" in narrations  # escaped in the XML, intact in the cell
    assert wb["资产负债表"].cell(2, 2).value == "行次"  # the title row, then the header
    assert wb["共有收益分配表"].cell(5, 1).value.startswith("  物业服务人分成")  # spaces kept
    debit = ws.cell(3, 9)
    assert debit.data_type == "n" and debit.number_format == "#,##0.00"
    assert Decimal(str(debit.value)) == Decimal("9600.00")
    tb = wb["科目余额表"]
    last = tb.max_row
    assert tb.cell(last, 1).value == "合计"
    assert tb.cell(last, 3).value == tb.cell(last, 4).value == 50000
    level1 = [r for r in range(3, last) if tb.cell(r, 9).value == 1]
    assert round(sum(tb.cell(r, 5).value or 0 for r in level1), 2) == 14900.50
    assert wb.properties.created.isoformat().startswith("2025-07-01T02:00")


def test_every_sheet_prints_a4_landscape_one_page_wide_with_its_headings(
    package: Path, tmp_path: Path
) -> None:
    path = tmp_path / "workbook.xlsx"
    path.write_bytes(zipfile.ZipFile(package).read("workbook.xlsx"))
    wb = load_workbook(path)
    for name, title in TABLES.items():
        ws = wb[title]
        setup = ws.page_setup
        assert (setup.orientation, str(setup.paperSize)) == ("landscape", "9"), title
        assert (str(setup.fitToWidth), str(setup.fitToHeight)) == ("1", "0"), title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, title
        rows = read_rows(package, name)
        top = 0 if name in TITLED else 1
        last_column = get_column_letter(len(rows[0]))
        assert ws.print_area == f"'{title}'!$A$1:${last_column}${len(rows) + top}", title
        # The title and the header on every page: a statement's header is its second row.
        assert ws.print_title_rows == ("$1:$1" if name == "notes" else "$1:$2"), title
        assert ws.max_row == len(rows) + top and ws.max_column == len(rows[0])


def test_manifest_describes_the_package(package: Path) -> None:
    archive = zipfile.ZipFile(package)
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["period"] == {"label": "2025Q1", "start": "2025-01-01", "end": "2025-03-31"}
    assert manifest["seq_range"] == {"first": 2, "last": 7}
    assert manifest["entries"] == 5
    assert manifest["chain"]["from_seq"] == 2 and manifest["chain"]["head_seq"] == 7
    journal_rows = read_csv(package, "journal")
    assert manifest["chain"]["head_hash"] == journal_rows[-1]["哈希"]
    assert manifest["generated_at"] == "2025-07-01T02:00:00+00:00"
    assert manifest["software"]["version"]
    assert sorted(manifest["files"]) == sorted(set(archive.namelist()) - {"manifest.json"})


def test_progress_counts_every_unit_of_work(books: Books) -> None:
    done: list[int] = []
    with freeze_time(NOW):
        export(books=books, slug=SLUG, period="2025", out=io.BytesIO(), progress=done.append)
    assert sum(done) == expected_entries(books, SLUG) + FILES_PER_EXPORT


def test_unknown_community_is_a_404(books: Books) -> None:
    from ledger.errors import NotFound

    with pytest.raises(NotFound):
        export(books=books, slug="nowhere", period="2025", out=io.BytesIO())
