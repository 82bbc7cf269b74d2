"""The audit package verifies itself: ``verify_package.py`` (standard library only) runs with a
bare Python on a real package of the demo's 2025 and catches any changed cell of the journal
or a statement, with the manifest left alone and with it resealed (M8); the package carries
the chain links up to its close's head (M5), the audit trail of what it concerns (M6), the
unit register and the ballots (M9) and the unpaid dividends (M10)."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import io
import json
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from api.books import open_books
from api.demo import build_demo
from api.settings import Settings
from audit.export import MANIFEST, export_file, manifest_bytes

PYTHON = "/usr/bin/python3"
SOURCE = Path(__file__).parent.parent / "audit" / "verify_package.py"
STATEMENTS = ("journal.csv", "trial_balance.csv", "general_ledger.csv")
SECTIONED = ("balance_sheet.csv", "activities.csv")


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    data = tmp_path_factory.mktemp("demo")
    data.chmod(0o700)
    books = open_books(Settings(data=data))
    try:
        assert build_demo(books=books, slug="demo")
        out = tmp_path_factory.mktemp("packages")
        paths = {}
        for period in ("2025", "2025Q1", "2025Q3"):
            paths[period] = out / f"demo-{period}.zip"
            export_file(books=books, slug="demo", period=period, path=paths[period])
        return paths
    finally:
        books.dispose()


@pytest.fixture(scope="module")
def verifier() -> ModuleType:
    spec = importlib.util.spec_from_file_location("verify_package_under_test", SOURCE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def files_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rows(files: dict[str, bytes], name: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(files[name].decode("utf-8-sig"), newline="")))


def csv_bytes(table: list[list[str]]) -> bytes:
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(table)
    return "\ufeff".encode() + text.getvalue().encode("utf-8")


def reseal(files: dict[str, bytes], name: str) -> dict[str, bytes]:
    """The package with ``name`` changed and the manifest recomputed to match it."""
    manifest = json.loads(files[MANIFEST])
    manifest["files"][name] = {
        "bytes": len(files[name]),
        "sha256": hashlib.sha256(files[name]).hexdigest(),
    }
    return {**files, MANIFEST: manifest_bytes(manifest)}


def write_zip(files: dict[str, bytes], path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The verifier under a bare system Python: isolated mode, no site packages, no venv."""
    return subprocess.run(
        [PYTHON, "-I", *args], cwd=cwd, env={}, capture_output=True, text=True, timeout=120
    )


def changed(cell: str) -> str:
    try:
        return f"{Decimal(cell) + 1:.2f}"
    except InvalidOperation:
        return "1.00" if not cell else cell + "X"


def test_the_package_verifies_itself_with_a_bare_python(
    packages: dict[str, Path], tmp_path: Path
) -> None:
    year = tmp_path / "demo-2025.zip"
    shutil.copy(packages["2025"], year)
    with zipfile.ZipFile(year) as archive:
        archive.extract("verify_package.py", tmp_path)
        archive.extractall(tmp_path / "unpacked")
    done = run("verify_package.py", "demo-2025.zip", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, ""), done.stdout
    closed = json.loads(files_of(packages["2025"])[MANIFEST])["closed"]["head_seq"]
    assert done.stdout.startswith("OK: ") and f"close head #{closed} " in done.stdout
    assert "journal.csv, trial_balance.csv, general_ledger.csv" in done.stdout
    assert "cash_flows.csv, distribution.csv" in done.stdout
    inside = run("verify_package.py", cwd=tmp_path / "unpacked")
    assert inside.returncode == 0, inside.stdout
    # The verifier shipped is the repo's, and imports nothing but the standard library.
    assert (tmp_path / "verify_package.py").read_bytes() == SOURCE.read_bytes()


def test_a_changed_cell_fails_under_a_bare_python(
    packages: dict[str, Path], tmp_path: Path
) -> None:
    files = files_of(packages["2025"])
    for name, row, column in (("journal.csv", 5, 8), ("trial_balance.csv", 2, 4)):
        table = rows(files, name)
        table[row][column] = changed(table[row][column])
        edited = {**files, name: csv_bytes(table)}
        for label, package in (("alone", edited), ("resealed", reseal(edited, name))):
            path = write_zip(package, tmp_path / f"{name}-{label}.zip")
            shutil.copy(SOURCE, tmp_path / "verify_package.py")
            done = run("verify_package.py", path.name, cwd=tmp_path)
            assert done.returncode == 1, (name, label, done.stdout)
            assert name in done.stdout


def sweep(
    verifier: ModuleType,
    files: dict[str, bytes],
    name: str,
    cells: Callable[[list[list[str]]], list[tuple[int, int]]],
) -> list[tuple[str, int, int, str]]:
    """Each chosen cell of ``name`` changed in turn: the (cell, how) the verifier missed."""
    table = rows(files, name)
    missed = []
    for row, column in cells(table):
        edited_table = [list(r) for r in table]
        edited_table[row][column] = changed(table[row][column])
        edited = {**files, name: csv_bytes(edited_table)}
        for how, package in (("alone", edited), ("resealed", reseal(edited, name))):
            problems, _summary = verifier.check(package)
            if not problems:
                missed.append((name, row, column, how))
    return missed


def test_any_changed_cell_of_the_journal_or_a_statement_fails(
    packages: dict[str, Path], verifier: ModuleType
) -> None:
    """Q1 starts the year, so every figure of the balance sheet (年初数 and 期末数), of the
    activities (本期数 and 本年累计数), of the cash flow statement and of the distribution
    statement is recomputed from ledger.beancount: each figure cell and each 行次 of a line is
    swept, and the title row. ``notes.csv`` is guarded by the manifest's SHA-256 alone, which
    a resealed package passes."""
    files = files_of(packages["2025Q1"])
    assert verifier.check(files)[0] == []
    missed = []
    for name in STATEMENTS:
        missed += sweep(
            verifier,
            files,
            name,
            lambda t: [(r, c) for r in range(len(t)) for c in range(len(t[r]))],
        )
    for name in SECTIONED:  # the title, the 行次 and the figures of each line and total
        missed += sweep(
            verifier,
            files,
            name,
            lambda t: (
                [(0, c) for c in range(3)]
                + [(r, c) for r in range(2, len(t)) for c in range(1, len(t[r])) if t[r][1]]
            ),
        )
    missed += sweep(
        verifier,
        files,
        "cash_flows.csv",
        lambda t: [(0, c) for c in range(3)] + [(r, c) for r in range(2, len(t)) for c in (1, 2)],
    )
    missed += sweep(
        verifier,
        files,
        "distribution.csv",
        lambda t: [(r, c) for r in range(len(t)) for c in range(len(t[r]))],
    )
    assert missed == []


@pytest.mark.parametrize(
    ("name", "line"),
    [("cash_flows.csv", "现金流入小计"), ("distribution.csv", "三、可供分配的收益")],
)
def test_a_changed_cash_flow_or_distribution_cell_is_named_under_a_bare_python(
    packages: dict[str, Path], tmp_path: Path, name: str, line: str
) -> None:
    """One cell of the 现金流量表 or the 共有收益分配表 changed and the manifest resealed: the
    verifier exits 1 naming the file, the row and the column, with both figures."""
    files = files_of(packages["2025"])
    table = rows(files, name)
    number = next(i for i, r in enumerate(table) if r[0] == line)
    was = table[number][-1 if name == "cash_flows.csv" else 1]
    table[number][-1 if name == "cash_flows.csv" else 1] = changed(was)
    edited = reseal({**files, name: csv_bytes(table)}, name)
    path = write_zip(edited, tmp_path / "edited.zip")
    shutil.copy(SOURCE, tmp_path / "verify_package.py")
    done = run("verify_package.py", path.name, cwd=tmp_path)
    assert done.returncode == 1, done.stdout
    header = "金额" if name == "cash_flows.csv" else "本期数"
    expected = (
        f"{name}: row {number + 1} ({line}), column {header}: {changed(was)}, the ledger gives "
        f"{was}"
    )
    assert expected in done.stdout, done.stdout


def test_a_later_quarter_checks_the_year_by_its_sums(
    packages: dict[str, Path], verifier: ModuleType
) -> None:
    """The year's start is not in a package of the year's third quarter (its opening entry
    holds the balances before the quarter), so the balance sheet's 年初数, the activities' and
    the distribution's 本年累计数 are checked by the statements' sums: a changed total fails;
    期末数 and 本期数 are still recomputed from the ledger."""
    files = files_of(packages["2025Q3"])
    assert verifier.check(files)[0] == []
    sheet = rows(files, "balance_sheet.csv")
    activities = rows(files, "activities.csv")
    for name, table, line, column in (
        ("balance_sheet.csv", sheet, "60", 2),
        ("balance_sheet.csv", sheet, "1", 3),
        ("activities.csv", activities, "45", 5),
        ("activities.csv", activities, "11", 7),
        ("activities.csv", activities, "3", 2),
    ):
        edited = [list(r) for r in table]
        (row,) = [r for r in edited if r[1:2] == [line]]
        row[column] = changed(row[column])
        problems, _ = verifier.check(reseal({**files, name: csv_bytes(edited)}, name))
        assert any(name in p for p in problems), (name, line, column)
    distribution = rows(files, "distribution.csv")
    for label in ("二、共有收益净额（民法典第二百八十二条）", "  分配合计"):
        edited = [list(r) for r in distribution]
        (row,) = [r for r in edited if r[0] == label]
        row[2] = changed(row[2])
        name = "distribution.csv"
        problems, _ = verifier.check(reseal({**files, name: csv_bytes(edited)}, name))
        assert any(p.startswith(f"{name}: {label.strip()}, column 3") for p in problems), problems


def test_a_broken_link_or_a_false_head_fails(
    packages: dict[str, Path], verifier: ModuleType
) -> None:
    files = files_of(packages["2025Q1"])
    table = rows(files, "chain.csv")
    table[5][2] = "0" * 64
    edited = reseal({**files, "chain.csv": csv_bytes(table)}, "chain.csv")
    problems, _ = verifier.check(edited)
    assert any("does not link" in p for p in problems), problems
    manifest = json.loads(files[MANIFEST])
    manifest["closed"]["head_hash"] = "f" * 64
    problems, _ = verifier.check({**files, MANIFEST: manifest_bytes(manifest)})
    assert any(f"closed head #{manifest['closed']['head_seq']}" in p for p in problems), problems


def test_a_quarter_carries_its_close_head_and_every_link_to_it(
    packages: dict[str, Path],
) -> None:
    """M5: Q1's close recorded head #55 (the notices print it: the demo closes 2025 at once,
    after its last entry before the closing one); the Q1 package used to end at #14, its last
    entry (the March interest, confirmed from the bank statement), and could not show it."""
    files = files_of(packages["2025Q1"])
    manifest = json.loads(files[MANIFEST])
    assert manifest["chain"]["head_seq"] == 14
    assert manifest["closed"]["head_seq"] == 55 == manifest["chain"]["links_upto"]
    links = {int(r[0]): (r[1], r[2]) for r in rows(files, "chain.csv")[1:]}
    assert sorted(links) == [1, *range(15, 56)]
    assert links[55][1] == manifest["closed"]["head_hash"]


def test_the_audit_trail_is_what_the_period_concerns(packages: dict[str, Path]) -> None:
    """M6: the demo was made in 2026, so by clock time its 2025 package had no event; and a
    quarter's close was in the package of the quarter it happened in."""
    year = rows(files_of(packages["2025"]), "events.csv")
    header, events = year[0], [dict(zip(year[0], r, strict=True)) for r in year[1:]]
    assert header[0] == "序号" and header[-2:] == ["前哈希", "哈希"]
    closes = [e["对象"] for e in events if e["操作"] == "close"]
    assert closes == ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]
    voted = [e["对象"] for e in events if e["操作"] == "resolution"]
    resolutions = rows(files_of(packages["2025"]), "resolutions.csv")[1:]
    assert voted == [r[0] for r in resolutions if r[3].startswith("2025-")]
    assert {"2025-01", "2025-02", "2025-03", "2025-04"} <= set(voted)
    assert sum(e["对象类型"] == "entry" for e in events) > 43
    quarter = rows(files_of(packages["2025Q1"]), "events.csv")[1:]
    assert [r[5] for r in quarter if r[3] == "close"] == ["2025Q1"]


def retally(units: list[list[str]], ballots: list[list[str]], matter: int) -> dict[str, Any]:
    """Art. 278 from the package alone: heads per pseudonymous owner, the developer's unsold
    units as one head, an owner's head counted only when their units agree."""
    area = {u[0]: Decimal(u[1]) for u in units}
    head = {u[0]: "developer" if u[2] == "是" else u[3] for u in units}
    heads = set(head.values())
    votes: dict[str, set[str]] = {}
    for unit, vote in ballots:
        votes.setdefault(head[unit], set()).add(vote)
    part_area = sum(area[u] for u, _v in ballots)
    yes_area = sum(area[u] for u, v in ballots if v == "同意")
    yes_heads = sum(v == {"同意"} for v in votes.values())
    quorum = 3 * part_area >= 2 * sum(area.values()) and 3 * len(votes) >= 2 * len(heads)
    share = Fraction(3, 4) if matter in (6, 7, 8) else Fraction(1, 2)

    def meets(part: Decimal | int, whole: Decimal | int) -> bool:
        left, right = part * share.denominator, whole * share.numerator
        return left >= right if matter in (6, 7, 8) else left > right

    passed = quorum and meets(yes_area, part_area) and meets(yes_heads, len(votes))
    return {"yes_heads": yes_heads, "participating_heads": len(votes), "passed": passed}


def test_an_auditor_can_retally_every_vote(packages: dict[str, Path]) -> None:
    """M9: the register (with owner pseudonyms, never an id) and every ballot are there."""
    files = files_of(packages["2025"])
    units = rows(files, "units.csv")[1:]
    assert len(units) == 620 and all(u[3].startswith("O-") for u in units)
    ballots = rows(files, "ballots.csv")[1:]
    tally: dict[str, dict[str, str]] = {}
    for number, _label, key, value in rows(files, "resolution_tally.csv")[1:]:
        tally.setdefault(number, {})[key] = value
    matters = {r[0]: int(r[2]) for r in rows(files, "resolutions.csv")[1:]}
    assert sorted(tally) == sorted(matters) and len(matters) >= 4
    for number, figures in tally.items():
        mine = retally(units, [b[1:] for b in ballots if b[0] == number], matters[number])
        assert mine["yes_heads"] == int(figures["yes_heads"])
        assert mine["participating_heads"] == int(figures["participating_heads"])
        assert mine["passed"] == (figures["passed"] == "通过")
    owners = {u.owner for u in __import__("api.demo", fromlist=["x"]).demo_units()}
    raw = b"".join(files.values())
    assert not [o for o in owners if o.encode() in raw]


def test_the_year_lists_the_dividends_still_owed(packages: dict[str, Path]) -> None:
    """M10: the demo's dividend of December 2025 is not paid by the year's end."""
    files = files_of(packages["2025"])
    owed = rows(files, "dividends_unpaid.csv")
    assert owed[0] == ["决议编号", "单元", "应分红", "已支付", "未支付"]
    allocated = sum(Decimal(r[2]) for r in owed[1:])
    assert owed[1:] and allocated == sum(Decimal(r[4]) for r in owed[1:]) > 0
    dividends = [r for r in rows(files, "allocations.csv")[1:] if r[3] == "分红"]
    assert allocated == sum(Decimal(r[7]) for r in dividends)
