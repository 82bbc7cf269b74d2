"""Invariants of the package for any period over the same books (hypothesis picks the date
ranges): the trial balance balances, the general ledger ends where the trial balance does,
the statements tie, the package verifies (``verify-export`` and its own ``verify_package.py``)
and its ledger loads in beancount without errors."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pytest
from beancount import loader
from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit import verify_package
from audit.export import export
from audit.verify_export import verify_export
from ledger.books import Books
from tests.export_fixtures import SLUG, make_books

DAYS = st.dates(min_value=date(2024, 12, 1), max_value=date(2025, 5, 31))


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> Books:
    return make_books(tmp_path_factory.mktemp("books"))


def table(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    text = archive.read(f"{name}.csv").decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def statement(archive: zipfile.ZipFile, name: str) -> dict[int, dict[str, str]]:
    """A statutory statement's lines by 行次 (after its title row and its header row)."""
    text = archive.read(f"{name}.csv").decode("utf-8-sig")
    _title, header, *rows = csv.reader(io.StringIO(text, newline=""))
    return {int(r[1]): dict(zip(header, r, strict=True)) for r in rows if r[1]}


def d(text: str | None) -> Decimal:
    return Decimal(text) if text else Decimal("0.00")


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(start=DAYS, length=st.integers(min_value=0, max_value=120))
def test_any_period_ties_and_verifies(
    books: Books, tmp_path_factory: pytest.TempPathFactory, start: date, length: int
) -> None:
    end = start + timedelta(days=length)
    out = io.BytesIO()
    with freeze_time("2026-01-01 00:00:00"):
        export(books=books, slug=SLUG, period=f"{start}..{end}", out=out)
    package = out.getvalue()
    report = verify_export(io.BytesIO(package))
    assert report.ok, report.problems
    archive = zipfile.ZipFile(io.BytesIO(package))

    problems, _summary = verify_package.check(
        {name: archive.read(name) for name in archive.namelist()}
    )
    assert problems == []

    tb = table(archive, "trial_balance")
    *lines, total = tb
    tops = [r for r in lines if r["级次"] == "1"]
    for left, right in (
        ("期初借方", "期初贷方"),
        ("本期借方", "本期贷方"),
        ("期末借方", "期末贷方"),
    ):
        assert d(total[left]) == d(total[right]) == sum((d(r[left]) for r in tops), Decimal(0))
    # The accounts posted to: the details (级次 2), and each level-1 row without any.
    posted = [
        r
        for i, r in enumerate(lines)
        if r["级次"] == "2" or i + 1 == len(lines) or lines[i + 1]["级次"] == "1"
    ]
    closing = {r["科目代码"]: d(r["期末借方"]) - d(r["期末贷方"]) for r in posted}
    gl_end = {
        r["科目代码"]: d(r["余额"]) * (1 if r["方向"] == "借" else -1)
        for r in table(archive, "general_ledger")
        if r["摘要"] == "期末余额"
    }
    assert gl_end == closing

    sheet = statement(archive, "balance_sheet")
    for column in ("年初数", "期末数"):
        assets = d(sheet[60][column])
        assert assets == d(sheet[120][column])
        assert assets == d(sheet[100][column]) + d(sheet[110][column])
    assert d(sheet[60]["期末数"]) == sum(
        (v for c, v in closing.items() if c.startswith("1")), Decimal(0)
    )
    assert d(sheet[1]["期末数"]) == sum(
        (v for c, v in closing.items() if c.startswith(("1001", "1002", "1009"))), Decimal(0)
    )
    activity = statement(archive, "activities")
    moved_income = sum(
        (d(r["本期贷方"]) - d(r["本期借方"]) for r in tops if r["科目代码"][0] == "4"), Decimal(0)
    )
    assert d(activity[11]["本期数·合计"]) == moved_income
    for column in ("本期数·合计", "本年累计数·合计"):
        change = d(activity[11][column]) - d(activity[35][column]) + d(activity[40][column])
        assert d(activity[45][column]) == change

    directory = tmp_path_factory.mktemp("ledger")
    archive.extractall(directory)
    _entries, errors, _options = loader.load_file(str(directory / "ledger.beancount"))
    assert errors == []


def test_a_range_over_all_the_books_lists_every_entry(books: Books) -> None:
    """The property above runs on these books: seven entries, 2024-12-31 to 2025-04-02."""
    out = io.BytesIO()
    export(books=books, slug=SLUG, period="2024-12-01..2025-05-31", out=out)
    archive = zipfile.ZipFile(out)
    assert len({r["序号"] for r in table(archive, "journal")}) == 7
