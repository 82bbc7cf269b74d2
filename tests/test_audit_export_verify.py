"""Proof that the package is the books: byte-identical exports under one clock, bean-check on
the included ledger (the plugin re-verifies the stretch of the chain from ``chain-from``), and
``verify-export`` naming any file that changed."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from beancount import loader
from click.testing import CliRunner
from freezegun import freeze_time
from sqlalchemy import select
from sqlmodel import Session, col

from api.cli import main
from api.users import Role, add_member, roles_in
from audit.export import FILES_PER_EXPORT, export, manifest_bytes
from audit.verify_export import verify_export
from ledger.books import Books
from ledger.models import Event
from tests.export_fixtures import SLUG, make_books

NOW = "2025-07-01 02:00:00"


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> Books:
    return make_books(tmp_path_factory.mktemp("books"))


@pytest.fixture(scope="module")
def package(books: Books) -> bytes:
    out = io.BytesIO()
    with freeze_time(NOW):
        export(books=books, slug=SLUG, period="2025Q1", out=out)
    return out.getvalue()


def rewrite(package: bytes, changes: dict[str, bytes]) -> bytes:
    """The package with some members' contents replaced (same names, order and times)."""
    source = zipfile.ZipFile(io.BytesIO(package))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, changes.get(info.filename, source.read(info)))
    return out.getvalue()


def reseal(package: bytes, changes: dict[str, bytes]) -> bytes:
    """Replace members and rewrite the manifest to match, as a forger would."""
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(package)).read("manifest.json"))
    for name, data in changes.items():
        manifest["files"][name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    return rewrite(package, {**changes, "manifest.json": manifest_bytes(manifest)})


def test_same_books_same_clock_same_bytes(books: Books, package: bytes) -> None:
    again = io.BytesIO()
    with freeze_time(NOW):
        export(books=books, slug=SLUG, period="2025Q1", out=again)
    assert again.getvalue() == package
    info = zipfile.ZipFile(io.BytesIO(package)).infolist()
    assert {i.date_time for i in info} == {(2025, 7, 1, 10, 0, 0)}  # the clock, in CST
    later = io.BytesIO()
    with freeze_time("2025-07-02 02:00:00"):
        export(books=books, slug=SLUG, period="2025Q1", out=later)
    assert later.getvalue() != package


def test_clean_package_verifies(package: bytes) -> None:
    report = verify_export(io.BytesIO(package))
    assert report.ok, report.problems
    assert (report.files, report.entries) == (FILES_PER_EXPORT - 1, 6)  # all but the manifest


@pytest.mark.parametrize(
    "name",
    [
        "activities.csv",
        "allocations.csv",
        "balance_sheet.csv",
        "bank_reconciliation.csv",
        "budget.csv",
        "documents.csv",
        "events.csv",
        "general_ledger.csv",
        "journal.csv",
        "ledger.beancount",
        "manifest.json",
        "objections.csv",
        "receivables.csv",
        "resolution_tally.csv",
        "resolutions.csv",
        "rules.toml",
        "rules_history.csv",
        "trial_balance.csv",
        "workbook.xlsx",
    ],
)
def test_one_changed_byte_is_named(package: bytes, name: str) -> None:
    data = bytearray(zipfile.ZipFile(io.BytesIO(package)).read(name))
    data[len(data) // 2] ^= 0x01
    report = verify_export(io.BytesIO(rewrite(package, {name: bytes(data)})))
    assert not report.ok
    assert any(p.startswith(f"{name}:") for p in report.problems), report.problems


def test_chain_is_recomputed_even_when_the_manifest_is_forged(package: bytes) -> None:
    text = zipfile.ZipFile(io.BytesIO(package)).read("ledger.beancount").decode()
    forged = text.replace("  800.00 CNY", "  880.00 CNY").replace("-800.00 CNY", "-880.00 CNY")
    assert forged != text
    report = verify_export(io.BytesIO(reseal(package, {"ledger.beancount": forged.encode()})))
    assert any(
        p == "ledger.beancount: seq 7: the entry does not match its hash (edited?)"
        for p in report.problems
    ), report.problems
    checked = verify_export(
        io.BytesIO(reseal(package, {"ledger.beancount": forged.encode()})), bean_check=True
    )
    assert any(
        p.startswith("ledger.beancount: bean-check: line ")
        and p.endswith("哈希链在第 7 笔断开：分录文本与其哈希不符（记账后被修改？）")
        for p in checked.problems
    ), checked.problems


def test_journal_is_checked_against_the_chain(package: bytes) -> None:
    raw = zipfile.ZipFile(io.BytesIO(package)).read("journal.csv").decode("utf-8-sig")
    forged = raw.replace(",9600.00,", ",9700.00,", 1)
    assert forged != raw
    report = verify_export(io.BytesIO(reseal(package, {"journal.csv": forged.encode("utf-8-sig")})))
    assert report.problems == ["journal.csv: seq 2: the postings differ from ledger.beancount"]


def extract(package: bytes, directory: Path) -> Path:
    zipfile.ZipFile(io.BytesIO(package)).extractall(directory)
    return directory / "ledger.beancount"


def test_bean_check_passes_on_the_included_ledger(package: bytes, tmp_path: Path) -> None:
    entries, errors, _options = loader.load_file(str(extract(package, tmp_path)))
    assert errors == []
    chained = [e for e in entries if "hash" in (getattr(e, "meta", None) or {})]
    assert sorted(int(e.meta["seq"]) for e in chained) == [2, 3, 4, 5, 6, 7]
    text = (tmp_path / "ledger.beancount").read_text()
    assert re.search(
        r'plugin "rules.plugin" "community=[0-9a-f-]+;rules=rules.toml;chain-from=2:', text
    )
    assert 'kind: "opening"' in text
    assert (tmp_path / "rules.toml").exists()


def test_bean_check_catches_an_edit_and_a_false_start(package: bytes, tmp_path: Path) -> None:
    path = extract(package, tmp_path)
    text = path.read_text()
    path.write_text(text.replace("  9600.00 CNY", "  9700.00 CNY").replace("-9600.00", "-9700.00"))
    _entries, errors, _options = loader.load_file(str(path))
    assert [e.message for e in errors] == [  # in the community default language, as in Fava
        "哈希链在第 2 笔断开：分录文本与其哈希不符（记账后被修改？）"
    ]
    path.write_text(text.replace(";chain-from=2:", ";chain-from=3:"))
    _entries, errors, _options = loader.load_file(str(path))
    assert "哈希链：应为第 3 笔，实际为第 2 笔" in [e.message for e in errors]


def test_cli_export_verify_and_audit_trail(books: Books, tmp_path: Path) -> None:
    if roles_in(books, "auditor", SLUG) is None:
        add_member(books=books, username="auditor", slug=SLUG, role=Role.AUDITOR, token=False)
    runner = CliRunner()
    out = tmp_path / "q1.zip"
    data = str(books.data_dir)
    args = [
        "--lang",
        "en",
        "--data",
        data,
        "export",
        SLUG,
        "2025Q1",
        "--out",
        str(out),
        "--as",
        "auditor",
    ]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "5 entries of 2025Q1" in result.output
    result = runner.invoke(main, ["--lang", "en", "verify-export", "--bean-check", str(out)])
    assert result.exit_code == 0 and f"OK, {FILES_PER_EXPORT - 1} files" in result.output
    with Session(books.engine) as session:
        event = (
            session.execute(
                select(Event).where(col(Event.action) == "export").order_by(col(Event.id).desc())
            )
            .scalars()
            .first()
        )
    assert event is not None and (event.actor, event.object_id) == ("auditor", "2025Q1")

    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(rewrite(out.read_bytes(), {"rules.toml": b"# edited\n"}))
    result = runner.invoke(main, ["--lang", "en", "verify-export", str(damaged)])
    assert result.exit_code == 1
    assert result.output == (
        f"{damaged}: 2 problem(s)\n"
        "  - rules.toml: SHA-256 differs from the manifest (file changed)\n"
        "  - rules.toml: not the last setting of rules_history.csv (#1)\n"
    )
    # Chinese by default (no language in the locale), the file names as they are.
    chinese = CliRunner(env={"LC_ALL": None, "LC_MESSAGES": None, "LANG": "C.UTF-8"}).invoke(
        main, ["verify-export", str(damaged)]
    )
    assert chinese.exit_code == 1
    assert chinese.output == (
        f"{damaged}：2 个问题\n"
        "  - rules.toml：SHA-256 与清单不符（文件被修改）\n"
        "  - rules.toml：不是 rules_history.csv 的最后一次设置（第 1 次）\n"
    )
    clean = CliRunner().invoke(main, ["--lang", "zh", "verify-export", str(out)])
    assert clean.exit_code == 0
    assert clean.output.startswith(f"{out}：通过，{FILES_PER_EXPORT - 1} 个文件与清单一致，")

    args = [
        "--lang",
        "en",
        "--data",
        data,
        "export",
        SLUG,
        "2025Q9",
        "--out",
        str(out),
        "--as",
        "auditor",
    ]
    result = runner.invoke(main, args)
    assert result.exit_code == 1 and "period-format" in result.output


@pytest.mark.parametrize(("period", "opening"), [("2023", False), ("2026Q1", True)])
def test_a_period_without_entries(books: Books, tmp_path: Path, period: str, opening: bool) -> None:
    out = io.BytesIO()
    with freeze_time("2026-11-01 02:00:00"):
        manifest = export(books=books, slug=SLUG, period=period, out=out)
    assert manifest["entries"] == 0 and manifest["seq_range"] is None
    assert manifest["chain"]["head_hash"] is None
    assert verify_export(io.BytesIO(out.getvalue())).ok
    path = extract(out.getvalue(), tmp_path)
    _entries, errors, _options = loader.load_file(str(path))
    assert errors == []
    assert ('kind: "opening"' in path.read_text()) is opening
    assert "chain-from" not in path.read_text()
    archive = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    rows = archive.read("trial_balance.csv").decode("utf-8-sig").splitlines()
    total = rows[-1].split(",")
    assert total[0] == "合计" and total[2:4] == total[6:8]  # opening = closing
