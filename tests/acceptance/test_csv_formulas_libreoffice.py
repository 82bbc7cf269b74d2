"""A spreadsheet opening the audit package's CSV runs no formula: an entry whose payee and
narration are formulas is exported through the real ``commons`` command, LibreOffice (headless)
imports ``journal.csv`` and ``general_ledger.csv`` and writes them back out, and the cells are
the text typed (with its quote), not what a formula computed; amounts are numbers."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from ledger import chart

pytestmark = pytest.mark.acceptance

COMMONS = str(Path(sys.executable).with_name("commons"))
PAYEE = '=HYPERLINK("http://evil.example","点我")'
NARRATION = "=1+1"


def commons(*args: str, data: Path) -> None:
    done = subprocess.run(
        [COMMONS, "--data", str(data), *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_libreoffice_imports_the_csv_as_text(tmp_path: Path) -> None:
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("soffice (LibreOffice) is not installed; run make sysdeps")
    data = tmp_path / "data"
    commons("init", "maple", "--name", "枫林苑", "--start", "2025-01-01", data=data)
    for who, role in (("li", "treasurer"), ("wang", "auditor")):
        commons("user", "add", who, "--community", "maple", "--role", role, "--no-token", data=data)
    body = {
        "date": "2025-01-05",
        "payee": PAYEE,
        "narration": NARRATION,
        "kind": "income",
        "postings": [
            {"account": chart.BANK, "amount": "9600.00"},
            {"account": chart.INCOME_PARKING, "amount": "-9600.00"},
        ],
    }
    draft = tmp_path / "entry.json"
    draft.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    commons("post", "maple", "--file", str(draft), "--as", "li", data=data)
    package = tmp_path / "maple-2025.zip"
    commons("export", "maple", "2025", "--out", str(package), "--as", "wang", data=data)
    commons("verify-export", str(package), data=data)
    archive = zipfile.ZipFile(package)
    out = tmp_path / "converted"
    for name in ("journal", "general_ledger"):
        source = tmp_path / f"{name}.csv"
        source.write_bytes(archive.read(f"{name}.csv"))
        done = subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
                "--headless",
                "--infilter=CSV:44,34,76,1",
                "--convert-to",
                "csv:Text - txt - csv (StarCalc):44,34,76,1",
                "--outdir",
                str(out),
                str(source),
            ],
            capture_output=True,
            text=True,
            timeout=180,
            env={**os.environ, "HOME": str(tmp_path)},
        )
        assert done.returncode == 0, done.stdout + done.stderr

    def rows(name: str) -> list[list[str]]:
        text = (out / f"{name}.csv").read_text(encoding="utf-8-sig")
        return list(csv.reader(text.splitlines()))[1:]

    entry = [r for r in rows("journal") if r[0] == "1"]
    assert len(entry) == 2  # its two legs
    assert {(r[3], r[4]) for r in entry} == {(f"'{PAYEE}", f"'{NARRATION}")}
    assert [Decimal(r[8]) for r in entry if r[8]] == [Decimal("9600")]  # a number
    ledger = [r for r in rows("general_ledger") if r[3] == "1"]
    assert ledger and {r[5] for r in ledger} == {f"'{NARRATION}"}
