"""The statutory statements of the demo's 2025, checked against sums of the journal made here
(by account code, without the statements' code), and tied to each other; verify-export catches
an edited figure; the year's notice exists once its last quarter is closed."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import Session

from api.books import open_books
from api.demo import build_demo
from api.settings import Settings
from audit import disclosure
from audit.export import export_file, manifest_bytes
from audit.verify_export import verify_export
from ledger.books import Books

YEAR_START, YEAR_END = date(2025, 1, 1), date(2025, 12, 31)


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> Books:
    books = open_books(Settings(data=tmp_path_factory.mktemp("demo") / "data"))
    build_demo(books=books, slug="demo")
    return books


@pytest.fixture(scope="module")
def package(books: Books, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("out") / "demo-2025.zip"
    export_file(books=books, slug="demo", period="2025", path=path)
    return path


def statement(package: Path, name: str) -> tuple[list[str], dict[str, dict[str, str]]]:
    """(title row, rows by 行次 or first cell) of a statement CSV."""
    text = zipfile.ZipFile(package).read(f"{name}.csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    headers = rows[1]
    by: dict[str, dict[str, str]] = {}
    for row in rows[2:]:
        record = dict(zip(headers, row, strict=True))
        by[record.get("行次") or row[0].strip()] = record
    return rows[0], by


def sums(books: Books) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """By account code, in fen: balances before 2025, at its end, and the flows of 2025 outside
    the closing entry."""
    before: dict[str, int] = defaultdict(int)
    after: dict[str, int] = defaultdict(int)
    flows: dict[str, int] = defaultdict(int)
    with Session(books.engine) as session:
        community = books.community(session, "demo")
        codes = {a.name: a.code for a in books.accounts(session, community.id)}
        for item in books.chained(session, community.id, upto_seq=community.head_seq):
            t = item.txn
            for leg in t.legs:
                fen = int(leg.amount * 100)
                code = codes[leg.account]
                if t.date < YEAR_START:
                    before[code] += fen
                if t.date <= YEAR_END:
                    after[code] += fen
                    if t.date >= YEAR_START and t.kind != "closing":
                        flows[code] += fen
    return before, after, flows


def total(figures: dict[str, int], *prefixes: str) -> Decimal:
    return Decimal(sum(f for c, f in figures.items() if c.startswith(prefixes))) / 100


def money(text: str) -> Decimal:
    return Decimal(text)


def test_statements_recompute_from_the_journal_and_tie(books: Books, package: Path) -> None:
    before, after, flows = sums(books)
    title, sheet = statement(package, "balance_sheet")
    assert "会民非01表" in title[0] and title[-1] == "单位：元" and "2025" in title[2]
    cash = ("1001", "1002", "1009")
    # M1: the opening balances (dated the day before the books start) are the 年初数
    assert money(sheet["1"]["年初数"]) == total(before, *cash) == Decimal("50000.00")
    assert money(sheet["1"]["期末数"]) == total(after, *cash)
    for column in ("年初数", "期末数"):
        assert sheet["60"][column] == sheet["120"][column]
        assert money(sheet["110"][column]) == money(sheet["101"][column]) + money(
            sheet["105"][column]
        )
        assert money(sheet["20"][column]) == money(sheet["1"][column]) + money(sheet["3"][column])
    assert sheet["2"]["期末数"] == "0.00"  # a line without accounts
    net_assets = ("3", "4", "5")
    change = -(total(after, *net_assets) - total(before, *net_assets))
    assert money(sheet["110"]["期末数"]) - money(sheet["110"]["年初数"]) == change

    title, acts = statement(package, "activities")
    assert "会民非02表" in title[0]
    assert money(acts["3"]["本期数·合计"]) == -total(flows, "4301")
    # M4: distributions are lines of their own; 12 includes them, the closing entry is out
    assert money(acts["12"]["本期数·合计"]) == total(flows, "5101")
    assert money(acts["13"]["本期数·合计"]) == total(flows, "5101-03")
    assert money(acts["15"]["本期数·合计"]) == total(flows, "5101-06")
    assert money(acts["21"]["本期数·合计"]) == total(flows, "5201")
    assert money(acts["35"]["本期数·合计"]) == total(flows, "5")
    assert money(acts["45"]["本期数·合计"]) == change
    assert acts["45"]["本年累计数·合计"] == acts["45"]["本期数·合计"]

    title, cash_flows = statement(package, "cash_flows")
    assert "会民非03表" in title[0]
    assert money(cash_flows["61"]["金额"]) == total(after, *cash) - total(before, *cash)
    assert money(cash_flows["3"]["金额"]) == -total(flows, "4301")
    assert money(cash_flows["24"]["金额"]) == money(cash_flows["13"]["金额"]) - money(
        cash_flows["23"]["金额"]
    )

    _title, dist = statement(package, "distribution")
    retained = next(v for k, v in dist.items() if k.startswith("五"))
    assert money(retained["本期数"]) == money(acts["11"]["本期数·合计"]) - money(
        acts["35"]["本期数·合计"]
    )
    net = next(v for k, v in dist.items() if "第二百八十二条" in k)
    assert money(net["本期数"]) == -total(flows, "4301", "4901-01") - total(
        flows, "5101-01", "5101-02"
    )


def test_trial_balance_has_first_level_rows_that_sum_their_details(package: Path) -> None:
    text = zipfile.ZipFile(package).read("trial_balance.csv").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    ones = [r for r in rows if r["级次"] == "1"]
    assert "1002" in [r["科目代码"] for r in ones] and "5101" in [r["科目代码"] for r in ones]
    for top in ones:
        details = [
            r for r in rows if r["级次"] == "2" and r["科目代码"].startswith(top["科目代码"])
        ]
        for column in ("本期借方", "本期贷方"):
            assert money(top[column]) == sum((money(d[column] or "0") for d in details), Decimal())
    last = rows[-1]
    assert last["科目代码"] == "合计"
    assert last["本期借方"] == last["本期贷方"] and last["期末借方"] == last["期末贷方"]


def _edit(package: Path, out: Path, edits: dict[str, tuple[str, str]]) -> None:
    """Replace one cell text per file and rebuild the manifest's hashes."""
    with zipfile.ZipFile(package) as source:
        members = {n: source.read(n) for n in source.namelist()}
    manifest = json.loads(members.pop("manifest.json"))
    for name, (old, new) in edits.items():
        text = members[name].decode("utf-8")
        assert old in text
        members[name] = text.replace(old, new, 1).encode("utf-8")
        manifest["files"][name] = {
            "bytes": len(members[name]),
            "sha256": hashlib.sha256(members[name]).hexdigest(),
        }
    with zipfile.ZipFile(out, "w") as target:
        for name, body in members.items():
            target.writestr(name, body)
        target.writestr("manifest.json", manifest_bytes(manifest))


def test_verify_export_recomputes_the_statements(package: Path, tmp_path: Path) -> None:
    """H1: the bank line of the balance sheet and an audit fee in the trial balance edited,
    the manifest rebuilt: verify-export --bean-check names both cells."""
    assert verify_export(package, bean_check=True).ok
    _title, sheet = statement(package, "balance_sheet")
    cash = sheet["1"]["期末数"]
    more = f"{money(cash) + 10000:.2f}"
    edited = tmp_path / "edited.zip"
    _edit(
        package,
        edited,
        {
            "balance_sheet.csv": (f"货币资金,1,50000.00,{cash}", f"货币资金,1,50000.00,{more}"),
            "trial_balance.csv": ("5201-02,审计费,,,6000.00", "5201-02,审计费,,,16000.00"),
        },
    )
    report = verify_export(edited, bean_check=True)
    assert not report.ok
    assert f"balance_sheet.csv row 1 (货币资金) 期末数: {more} ≠ {cash}" in report.problems
    assert any(
        p.startswith("trial_balance.csv row 5201-02 (审计费) 本期借方: 16000.00 ≠ 6000.00")
        for p in report.problems
    )


def test_the_year_has_a_notice_once_its_last_quarter_is_closed(books: Books) -> None:
    """M12: `commons disclose demo 2025` was a 404 (the year was closed quarter by quarter)."""
    st = disclosure.statement(books=books, slug="demo", period="2025")
    assert (st.start, st.end) == (YEAR_START, YEAR_END)
    names = [t.name for t in st.statutory]
    assert names == ["balance_sheet", "activities", "cash_flows", "distribution"]
    assert any("会民非01表" in t.title[0] for t in st.statutory)
    quarter = disclosure.statement(books=books, slug="demo", period="2025Q1")
    assert quarter.statutory == ()


def test_public_annual_notice_html_and_json(books: Books) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app

    client = TestClient(create_app(books=books))
    page = client.get("/public/demo/disclosures/2025")
    assert page.status_code == 200, page.text
    assert "会民非01表" in page.text and "共有收益分配表" in page.text
    body = client.get("/public/demo/disclosures/2025?format=json").json()
    assert [t["name"] for t in body["statutory"]][:3] == [
        "balance_sheet",
        "activities",
        "cash_flows",
    ]
    assert client.get("/public/demo/disclosures/2024").status_code == 404


def notes_text(package: Path) -> str:
    return zipfile.ZipFile(package).read("notes.csv").decode("utf-8-sig")


def test_the_notes_disclose_the_restricted_funds_basis_from_the_rules(
    books: Books, package: Path, tmp_path: Path
) -> None:
    """M2/funds: the rules file names the restriction's basis, the 附注 discloses it; a new
    version of the rules changes the notes of the periods it governs, not those closed before."""
    from rules import rules_store
    from rules.config import DEFAULT_RESTRICTED_SOURCE

    assert f"限定性净资产的限制依据：法律法规规定，{DEFAULT_RESTRICTED_SOURCE}。" in notes_text(
        package
    )
    text = rules_store.in_force(books=books, slug="demo").text
    rules_store.set_rules(
        books=books,
        slug="demo",
        actor="admin",
        text=text
        + "\n[[version]]\neffective_from = 2026-12-01\n"
        + 'restricted_basis = "resolution"\nrestricted_source = "业主大会决议 2026-09（维修资金专项）"\n',
    )
    later = tmp_path / "demo-2026Q4.zip"
    export_file(books=books, slug="demo", period="2026Q4", path=later)
    assert (
        "限定性净资产的限制依据：业主大会决议（资源提供者的限制），业主大会决议 2026-09（维修资金专项）。"
        in (notes_text(later))
    )
    again = tmp_path / "demo-2025.zip"
    export_file(books=books, slug="demo", period="2025", path=again)
    assert "法律法规规定" in notes_text(again)
