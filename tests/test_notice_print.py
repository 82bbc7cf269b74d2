"""The owners' notice as people read it, on the demo community (620 units, api/demo.py): the
printed quarter fits on four A4 pages with the summary and the signatures on page 1, a running
header and "第 N 页 共 M 页" on every page, a QR code to its web page; the 620-unit schedule is
an appendix in four columns on at most six pages; the year's notice (with its statutory
statements) is at most eight pages before its appendices. The web page folds the schedule
behind the unit lookup; the text summary stays under 1,500 characters. Pages are counted with
pdfinfo (poppler) where installed, else pypdf; text is read with pypdf.

Before: the quarter printed on 23 pages with the signatures last and no page numbers; the year
on 47.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pypdf
import pytest

from api.books import open_books
from api.demo import build_demo
from api.settings import Settings
from audit import disclosure, notices
from audit import disclosure_render as render
from ledger.books import Books
from rules import budget, contracts

SITE = "https://ledger.example.org"
XHTML = "{http://www.w3.org/1999/xhtml}"
APPENDIX = render.labels("zh")["schedules"]


@dataclass
class Printed:
    statement: disclosure.Statement
    pdf: bytes
    pages: list[str]  # each page's text, whitespace removed

    @property
    def appendix_from(self) -> int:
        """The 1-based page the per-unit appendix starts on."""
        heading = re.sub(r"\s+", "", APPENDIX)
        return next(i for i, text in enumerate(self.pages, 1) if heading in text)


def _page_count(pdf: bytes, tmp: Path) -> int:
    if shutil.which("pdfinfo") is None:
        return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
    path = tmp / "notice.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))  # type: ignore[union-attr]


def _links(slug: str, period: str) -> dict[str, str]:
    return {
        "base_url": notices.base_url(slug, period),
        "units_url": notices.units_url(slug),
        "site": SITE,
    }


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Books]:
    books = open_books(Settings(data=tmp_path_factory.mktemp("demo") / "data"))
    build_demo(books=books, slug="demo")
    yield books
    books.dispose()


def _print(books: Books, period: str, tmp: Path) -> Printed:
    st = disclosure.statement(books=books, slug="demo", period=period)
    pdf = render.pdf(st, **_links("demo", period))
    pages = [
        re.sub(r"\s+", "", page.extract_text()) for page in pypdf.PdfReader(io.BytesIO(pdf)).pages
    ]
    assert _page_count(pdf, tmp) == len(pages)
    return Printed(st, pdf, pages)


@pytest.fixture(scope="module")
def quarter(demo: Books, tmp_path_factory: pytest.TempPathFactory) -> Printed:
    """2025Q4: the quarter of the demo's dividend to all 620 units."""
    return _print(demo, "2025Q4", tmp_path_factory.mktemp("q"))


@pytest.fixture(scope="module")
def year(demo: Books, tmp_path_factory: pytest.TempPathFactory) -> Printed:
    return _print(demo, "2025", tmp_path_factory.mktemp("y"))


@pytest.mark.timeout(1200)
def test_a_quarter_prints_on_four_pages_with_summary_and_signatures_first(
    quarter: Printed,
) -> None:
    st = quarter.statement
    (dividend,) = st.schedules
    assert len(dividend.lines) == 620
    statement_pages = quarter.appendix_from - 1
    assert 1 <= statement_pages <= 4
    assert len(quarter.pages) - statement_pages <= 6
    first = quarter.pages[0]
    for words in ("资金余额", "共有收益净额", "使用与分配", "签章", "业主委员会（盖章）"):
        assert words in first
    assert re.sub(r"\s", "", render.fmt_cny(st.net_income)) in first
    assert "经营合同" not in first  # the details start on page 2
    total = len(quarter.pages)
    community = re.sub(r"\s+", "", st.community)
    for number, text in enumerate(quarter.pages, 1):
        assert f"第{number}页共{total}页" in text
        assert community in text and "2025Q4" in text and f"#{st.head_seq}" in text
    appendix = "".join(quarter.pages[statement_pages:])
    for line in dividend.lines:
        assert line.unit in appendix


@pytest.mark.timeout(1200)
def test_the_year_prints_its_statutory_statements_on_at_most_eight_pages(year: Printed) -> None:
    st = year.statement
    assert len(st.statutory) == 4
    statement_pages = year.appendix_from - 1
    assert statement_pages <= 8
    assert "签章" in year.pages[0]
    before_appendix = "".join(year.pages[:statement_pages])
    for table in st.statutory:
        assert re.sub(r"\s+", "", table.title[0]) in before_appendix
    assert f"第1页共{len(year.pages)}页" in year.pages[0]


def test_the_printed_qr_code_is_inline_and_leads_to_the_notice_page(demo: Books) -> None:
    st = disclosure.statement(books=demo, slug="demo", period="2025Q4")
    page = render.html(st, **_links("demo", "2025Q4"), for_print=True)
    root = ET.fromstring(page)
    images = [img.get("src") or "" for img in root.iter(f"{XHTML}img")]
    assert images and all(src.startswith("data:image/svg+xml") for src in images)
    (figure,) = [f for f in root.iter(f"{XHTML}figure") if "qr" in (f.get("class") or "")]
    (qr,) = figure.iter(f"{XHTML}img")
    url = f"{SITE}/public/demo/disclosures/2025Q4?lang=zh"
    assert qr.get("src") == render.qr_data_uri(url)
    assert render.qr_data_uri(url) != render.qr_data_uri(url + "x")
    assert url in "".join(figure.itertext())
    # without a configured public address there is nothing to point a phone at
    bare = render.html(st, base_url="/public/demo/disclosures/2025Q4", for_print=True)
    assert 'class="qr' not in bare


def test_the_web_page_folds_the_schedule_behind_the_unit_lookup(demo: Books) -> None:
    st = disclosure.statement(books=demo, slug="demo", period="2025")
    page = render.html(st, **_links("demo", "2025"))
    assert "<script" not in page
    root = ET.fromstring(page)
    (section,) = [s for s in root.iter(f"{XHTML}section") if s.get("id") == "schedules"]
    folded = list(section.iter(f"{XHTML}details"))
    assert len(folded) == len(st.schedules) == 2
    assert all(d.get("open") is None for d in folded)
    for details, schedule in zip(folded, st.schedules, strict=True):
        assert len(list(details.iter(f"{XHTML}li"))) == len(schedule.lines) == 620
        assert "620" in "".join(details.find(f"{XHTML}summary").itertext())  # type: ignore[union-attr]
    (form,) = section.iter(f"{XHTML}form")
    assert (form.get("method"), form.get("action")) == ("get", "/public/demo/units")
    names = {i.get("name") for i in form.iter(f"{XHTML}input")}
    assert names == {"unit", "lang"}
    printed = ET.fromstring(render.html(st, **_links("demo", "2025"), for_print=True))
    assert all(d.get("open") == "open" for d in printed.iter(f"{XHTML}details"))


@pytest.mark.parametrize("period", ["2025Q4", "2025"])
def test_the_text_summary_of_620_units_is_short_and_links_the_lookup(
    demo: Books, period: str
) -> None:
    st = disclosure.statement(books=demo, slug="demo", period=period)
    assert st.units == 620
    for lang in ("zh", "en"):
        text = render.text(st, lang=lang, **_links("demo", period))
        assert len(text) < render.TEXT_LIMIT
        assert "|" not in text and "<" not in text
        assert f"{SITE}/public/demo/disclosures/{period}?lang={lang}" in text
        assert f"{SITE}/public/demo/units/" in text
        assert "620" in text
        assert render.fmt_cny(st.net_income) in text
        named = {line.unit for s in st.schedules for line in s.lines if line.unit in text}
        assert len(named) <= 1  # the lookup's example, never the schedule


def test_the_contracts_arrears_and_the_budget_of_a_quarter(demo: Books) -> None:
    """2026Q3: rent of C-2026-02 paid late, C-2026-05 under a failed resolution; the budget's
    Q3 lines against actual. The notice prints what the rule modules give."""
    st = disclosure.statement(books=demo, slug="demo", period="2026Q3")
    due = {
        c["number"]: c
        for c in contracts.receivables(books=demo, slug="demo", on=st.end)["contracts"]
    }
    assert {c.number for c in st.contracts} == set(due)
    for line in st.contracts:
        found = due[line.number]
        assert (str(line.due), str(line.received), str(line.overdue)) == (
            found["due"],
            found["received"],
            found["overdue"],
        )
        assert line.compliant is found["compliant"]
        assert dict(line.ageing) == {k: type(line.due)(v) for k, v in found["ageing"].items()}
    late = [c for c in st.contracts if c.overdue > 0]
    assert late and st.overdue == sum(c.overdue for c in late)
    flagged = [c.number for c in st.contracts if not c.compliant]
    assert flagged == ["C-2026-05"]
    assert sum(c.received_in_period for c in st.contracts) > 0
    page = render.html(st)
    section = page[page.index('id="contracts"') : page.index('id="budget"')]
    assert "不合规" in section and "C-2026-05" in section
    for line in late:
        assert render.fmt_cny(line.overdue) in section
    q3 = [
        line
        for line in budget.actuals(books=demo, slug="demo", year=2026).lines
        if line["period"] in ("2026Q3", "2026-07", "2026-08", "2026-09")
    ]
    assert q3 and [(b.account, b.period, str(b.budget), str(b.actual)) for b in st.budget] == [
        (line["account"], line["period"], line["budget"], line["actual"]) for line in q3
    ]
    budget_section = page[page.index('id="budget"') : page.index('id="bank"')]
    assert "预算执行情况表" in budget_section
    for row in st.budget:
        assert render.fmt_cny(row.actual) in budget_section
    assert st.as_json()["contracts"][0]["number"] == st.contracts[0].number
