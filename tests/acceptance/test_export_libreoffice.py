"""An auditor's spreadsheet opens the package: books made and exported through the real
``commons`` command, then LibreOffice (headless) converts every sheet of ``workbook.xlsx`` to
CSV without errors, and the figures it reads equal the package's own CSV files."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import zipfile
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest

pytestmark = pytest.mark.acceptance

COMMONS = str(Path(sys.executable).with_name("commons"))
SHEETS = {
    "journal": "序时账",
    "general_ledger": "明细账",
    "trial_balance": "科目余额表",
    "balance_sheet": "资产负债表",
    "activities": "业务活动表",
    "allocations": "分配明细",
    "resolutions": "决议",
    "resolution_tally": "决议表决明细",
    "events": "审计日志",
}
ENTRIES = [
    (
        "2025-01-15",
        "income",
        "Assets:1002-银行存款:01-基本户",
        "Income:4301-共有收益:01-停车费",
        "9600.00",
    ),
    (
        "2025-02-10",
        "cost",
        "Expenses:5101-业务活动成本:02-直接成本",
        "Assets:1002-银行存款:01-基本户",
        "1200.50",
    ),
    (
        "2025-05-31",
        "income",
        "Assets:1002-银行存款:01-基本户",
        "Income:4301-共有收益:02-架空层租金",
        "30000.00",
    ),
]


def commons(*args: str, data: Path) -> str:
    done = subprocess.run(
        [COMMONS, "--data", str(data), *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def same(a: str, b: str) -> bool:
    """Cells agree: equal text, or equal numbers (LibreOffice drops trailing zeros)."""
    if a == b:
        return True
    try:
        return Decimal(a) == Decimal(b)
    except InvalidOperation:
        return False


def test_libreoffice_reads_every_sheet(tmp_path: Path) -> None:
    soffice = shutil.which("soffice")
    if soffice is None:
        print("SKIP: soffice not installed (make sysdeps installs libreoffice-calc-nogui)")
        pytest.skip("soffice (LibreOffice) is not installed; run make sysdeps")
    data = tmp_path / "data"
    commons("init", "maple", "--name", "枫林苑", "--start", "2025-01-01", data=data)
    for who, role in (("li", "treasurer"), ("wang", "auditor")):
        commons("user", "add", who, "--community", "maple", "--role", role, "--no-token", data=data)
    lines = [
        json.dumps(
            {
                "date": day,
                "payee": "物业服务中心",
                "narration": f"{kind} {day}",
                "kind": kind,
                "postings": [
                    {"account": debit, "amount": amount},
                    {"account": credit, "amount": f"-{amount}"},
                ],
                "documents": ["收据 0001"],
            },
            ensure_ascii=False,
        )
        for day, kind, debit, credit, amount in ENTRIES
    ]
    (tmp_path / "year.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    commons("post", "maple", "--file", str(tmp_path / "year.jsonl"), "--as", "li", data=data)
    package = tmp_path / "maple-2025.zip"
    commons("export", "maple", "2025", "--out", str(package), "--as", "wang", data=data)
    archive = zipfile.ZipFile(package)
    workbook = tmp_path / "workbook.xlsx"
    workbook.write_bytes(archive.read("workbook.xlsx"))

    out = tmp_path / "converted"
    done = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
            "--headless",
            "--convert-to",
            # comma, double quote, UTF-8, from row 1, ..., every sheet to its own file (-1)
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
            "--outdir",
            str(out),
            str(workbook),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Error" not in done.stderr, done.stderr
    for name, title in SHEETS.items():
        converted = out / f"workbook-{title}.csv"
        assert converted.exists(), f"{title} was not converted: {done.stdout}"
        theirs = list(csv.reader(converted.read_text(encoding="utf-8").splitlines()))
        ours = list(csv.reader(archive.read(f"{name}.csv").decode("utf-8-sig").splitlines()))
        if len(theirs) == len(ours) + 1:  # the sheet's own title row, which its CSV has not
            heading = theirs.pop(0)
            assert heading[0].startswith("编制单位：枫林苑") and title in heading[0], heading
        assert len(theirs) == len(ours), title
        for row_theirs, row_ours in zip(theirs, ours, strict=True):
            assert len(row_theirs) == len(row_ours)
            assert all(same(a, b) for a, b in zip(row_theirs, row_ours, strict=True)), (
                title,
                row_theirs,
                row_ours,
            )
