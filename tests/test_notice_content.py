"""What the owners' notice carries beyond the fund statement, and how its refusals read.

- the bank reconciliation at the period's end, per account, as ``rules.bank.reconcile`` gives it;
- rule checks of a period with nothing to judge say "not applicable" (an empty quarter printed
  "比例 0.00%; 要求 > 50.00% … ✔ 符合");
- the plain-text summary (``?format=text``) for a chat group;
- public refusals as pages for a browser (unknown community, open period, unknown unit, bad unit
  format), the JSON problem list for programs, both under the public pages' CSP.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import anyio
import httpx
import pytest
from fastapi import FastAPI

from audit import disclosure
from audit import disclosure_render as render
from ledger import chart
from ledger.books import Books
from ledger.money import fmt_cny
from rules import bank, periods
from rules import reserve as reserve_rule
from tests import disclosure_books as fixture

XHTML = "{http://www.w3.org/1999/xhtml}"


def _get(app: FastAPI, url: str, headers: dict[str, str] | None = None) -> httpx.Response:
    async def fetch() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(url, headers=headers or {})

    return anyio.run(fetch)


@pytest.fixture(scope="module")
def maple(tmp_path_factory: pytest.TempPathFactory) -> Iterator[fixture.Community_]:
    community = fixture.build(fixture.open_at(tmp_path_factory.mktemp("notice")))
    yield community
    community.books.dispose()


@pytest.fixture(scope="module")
def app(maple: fixture.Community_) -> FastAPI:
    from api.routes_public import router

    app = FastAPI()
    app.state.books = maple.books
    app.include_router(router)
    return app


# --- the bank reconciliation ------------------------------------------------------------------


def test_the_notice_shows_the_bank_reconciliation_at_the_period_end(
    maple: fixture.Community_,
) -> None:
    """The statement's first line (the January parking income) is on the bank statement; the
    rest are still book-only: the notice prints the reconciliation the treasurer sees."""
    before = disclosure.statement(books=maple.books, slug=fixture.SLUG, period="2025Q1")
    assert before.bank == ()
    assert "未导入银行对账单" in render.html(before)
    statement = bank.StatementIn(
        account=chart.BANK,
        lines=[
            bank.LineIn(
                date=date(2025, 1, 1),
                amount=Decimal("50000.00"),
                balance=Decimal("50000.00"),
                memo="上年结转",
            ),
            bank.LineIn(
                date=date(2025, 1, 5),
                amount=Decimal("9600.00"),
                balance=Decimal("59600.00"),
                memo="1月停车费",
            ),
        ],
    )
    reads = bank.lines_of_json(statement, today=date(2025, 4, 2))
    bank.import_lines(
        books=maple.books, slug=fixture.SLUG, account=chart.BANK, reads=reads, actor="treasurer"
    )
    st = disclosure.statement(books=maple.books, slug=fixture.SLUG, period="2025Q1")
    found = bank.reconcile(books=maple.books, slug=fixture.SLUG, account=chart.BANK, day=st.end)
    (row,) = st.bank
    assert row.account == chart.BANK
    assert (row.book_balance, row.bank_balance, row.difference) == (
        found.book_balance,
        found.bank_balance,
        found.difference,
    )
    assert row.bank_balance == Decimal("59600.00")
    assert row.book_balance == st.closing.cash  # the only cash account: the notice agrees
    page = render.html(st)
    section = page[page.index('id="bank"') : page.index('id="resolutions"')]
    for amount in (row.book_balance, row.bank_balance, row.difference):
        assert fmt_cny(amount) in section
    assert st.as_json()["bank"][0]["bank_balance"] == "59600.00"


# --- rule checks with nothing to judge ---------------------------------------------------------


@pytest.fixture
def empty_quarter(books: Books, community: str) -> disclosure.Statement:
    """A community whose first quarter closed with nothing posted."""
    periods.close(books=books, slug=community, period="2025Q1", actor="chair")
    return disclosure.statement(books=books, slug=community, period="2025Q1")


def test_share_checks_of_an_empty_period_read_not_applicable(
    empty_quarter: disclosure.Statement,
) -> None:
    by_rule = {c.rule: c for c in empty_quarter.checks}
    reserve = by_rule[reserve_rule.NAME]
    assert reserve.ok and reserve.not_applicable == "no_common_income"
    page = render.html(empty_quarter)
    checks = page[page.index('id="checks"') : page.index('id="charts"')]
    assert "本期无共有收益，不适用" in checks
    assert "比例 0.00%" not in checks and "要求 &gt; 50.00%" not in checks
    assert checks.count("不适用") >= 3  # the reserve, the manager's and the committee's caps
    english = render.html(empty_quarter, lang="en")
    checks_en = english[english.index('id="checks"') : english.index('id="charts"')]
    assert "No common income this period: not applicable" in checks_en
    assert "share 0.00%" not in checks_en
    assert "全部符合或不适用" in render.text(empty_quarter)


def test_a_cost_against_no_income_is_still_a_breach_not_not_applicable(
    maple: fixture.Community_,
) -> None:
    """Only a rule that is met can be 'not applicable': the maple quarter has income, so each
    check carries its figures."""
    st = disclosure.statement(books=maple.books, slug=fixture.SLUG, period="2025Q1")
    assert all(not c.not_applicable for c in st.checks)
    assert "不适用" not in render.html(st).split('id="checks"')[1].split('id="charts"')[0]


# --- the text summary -------------------------------------------------------------------------


def test_the_text_format_is_a_short_plain_summary_with_the_links(app: FastAPI) -> None:
    answer = _get(app, "/public/maple/disclosures/2025Q1?format=text")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert (
        answer.headers["etag"] and "default-src 'none'" in answer.headers["content-security-policy"]
    )
    text = answer.text
    assert len(text) < render.TEXT_LIMIT
    assert "|" not in text and "<" not in text  # no tables, no markup
    assert "/public/maple/disclosures/2025Q1?lang=zh" in text
    assert "/public/maple/units/" in text
    assert "¥27,422.95" in text  # the closing cash, as on the page
    assert _get(app, "/public/maple/disclosures/2025Q1?format=text").content == answer.content
    english = _get(app, "/public/maple/disclosures/2025Q1?format=text&lang=en").text
    assert "Full notice" in english and "?lang=en" in english


# --- refusals for people and for programs -----------------------------------------------------

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def _page(answer: httpx.Response, status: int) -> ET.Element:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    csp = answer.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script" not in csp
    assert "<script" not in answer.text
    return ET.fromstring(answer.text)


def _links(root: ET.Element) -> list[str]:
    return [a.get("href") or "" for a in root.iter(f"{XHTML}a")]


@pytest.mark.parametrize(
    ("url", "status", "says"),
    [
        ("/public/nowhere/disclosures/2025Q1", 404, "没有这个小区"),
        ("/public/maple/disclosures/2025Q2", 404, "尚未结账或不存在"),
        ("/public/maple/units/9-9-9999", 404, "不在本小区的房屋登记中"),
        ("/public/maple/units/1-1-0101%20x", 422, "房号格式不对"),
        ("/public/maple/units?unit=%3Cb%3E", 422, "房号格式不对"),
    ],
)
def test_public_refusals_are_chinese_pages_for_a_browser(
    app: FastAPI, url: str, status: int, says: str
) -> None:
    root = _page(_get(app, url, BROWSER), status)
    assert root.get("lang") == "zh-CN"
    text = "".join(root.itertext())
    assert says in text
    if "nowhere" not in url:
        assert "/public/maple/disclosures?lang=zh" in _links(root)
    if "/units" in url:
        assert "1-1-0101" in text and "字母、数字" in text  # the expected format
        (form,) = root.iter(f"{XHTML}form")
        assert (form.get("method"), form.get("action")) == ("get", "/public/maple/units")
    assert "<b>" not in _get(app, url, BROWSER).text  # what was typed stays text


def test_public_refusals_in_english_and_as_json_for_programs(app: FastAPI) -> None:
    root = _page(_get(app, "/public/maple/units/9-9-9999?lang=en", BROWSER), 404)
    assert root.get("lang") == "en"
    assert "No such unit" in "".join(root.itertext())
    for url in ("/public/maple/units/9-9-9999", "/public/maple/disclosures/2025Q2"):
        answer = _get(app, url, {"Accept": "application/json"})
        assert answer.status_code == 404
        assert isinstance(answer.json()["detail"], list) and answer.json()["detail"]
    bad = _get(app, "/public/maple/units/a%20b")
    assert bad.status_code == 422
    (problem,) = bad.json()["detail"]
    assert problem["rule"] == "unit-format" and "1-1-0101" in problem["message"]
    fmt = _get(app, "/public/maple/disclosures/2025Q1?format=xls", BROWSER)
    root = _page(fmt, 422)
    assert "format" in "".join(root.itertext())


def test_the_markdown_carries_the_registers_and_reads_not_applicable(
    empty_quarter: disclosure.Statement,
) -> None:
    text = render.markdown(empty_quarter)
    assert "本期无共有收益，不适用" in text and "比例 0.00%" not in text
    for heading in ("经营合同", "预算执行情况表", "银行存款余额调节"):
        assert f"## {heading}" in text
