"""The supervisory committee's dashboard (``api.fava_dashboard``), rendered by the real Fava from
the demo community's projection: every figure it shows is recomputed here from the database
(the book of record), not from the beancount file the dashboard reads, and the budget table
matches ``rules.budget.actuals``."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.books import FAVA_EXTENSIONS, open_books
from api.demo import build_demo
from api.fava_mount import FavaMount
from api.settings import Settings
from ledger import chart
from ledger.books import Books
from ledger.models import Account, Community, Entry, Posting, Resolution
from ledger.money import from_fen
from rules.budget import actuals

SLUG = "demo"
PAGE = f"/fava/{SLUG}/extension/CommitteeDashboard/"
ZERO = Decimal("0.00")


@dataclass
class Table:
    """The rows of each table in a section: cell texts, and each row's ``title`` attributes."""

    rows: list[list[str]] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)


class Sections(HTMLParser):
    """The dashboard's sections (by id), each a list of tables."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, list[Table]] = {}
        self._section: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._in_svg = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "section":
            self._section = found.get("id") or ""
            self.sections[self._section] = []
        elif tag == "table" and self._section is not None:
            self.sections[self._section].append(Table())
        elif tag == "tr" and self._section is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
            if found.get("title") and self._section is not None:
                self.sections[self._section][-1].titles.append(found["title"] or "")
        elif tag == "svg":
            self._in_svg += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._section is not None:
            self.sections[self._section][-1].rows.append(self._row)
            self._row = None
        elif tag == "section":
            self._section = None
        elif tag == "svg":
            self._in_svg -= 1

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def money(text: str) -> Decimal:
    return Decimal(text.split("（")[0].replace(",", "") or "0")


def yuan(amount: Decimal) -> str:
    return f"{amount:,.2f}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Books]:
    books = open_books(Settings(data=tmp_path_factory.mktemp("dashboard") / "data"))
    assert build_demo(books=books, slug=SLUG)
    yield books
    books.dispose()


@pytest.fixture(scope="module")
def client(demo: Books) -> TestClient:
    app = FastAPI()
    app.mount("/fava", FavaMount(demo))
    return TestClient(app)


@dataclass(frozen=True)
class Leg:
    entry: str
    date: date
    kind: str
    resolution: str | None
    contract: str | None
    account: str
    amount: Decimal


def postings(books: Books) -> list[Leg]:
    """Every posted leg, from the database."""
    with Session(books.engine) as session:
        community = books.community(session, SLUG)
        rows = session.execute(
            select(
                col(Entry.id),
                col(Entry.date),
                col(Entry.kind),
                col(Entry.resolution),
                col(Entry.contract),
                col(Account.name),
                col(Posting.amount_fen),
            )
            .join(Posting, col(Posting.entry_id) == col(Entry.id))
            .join(Account, col(Account.id) == col(Posting.account_id))
            .where(col(Entry.community_id) == community.id)
            .where(col(Entry.status) == "posted")
        ).all()
    return [Leg(*row[:6], from_fen(row[6])) for row in rows]


def page(client: TestClient, year: int | None = None) -> dict[str, list[Table]]:
    answer = client.get(PAGE, params={"year": year} if year else {})
    assert answer.status_code == 200, answer.text[:500]
    assert "<script>" not in answer.text  # no inline script: only Fava's JSON blocks
    parser = Sections()
    parser.feed(answer.text)
    return parser.sections


def test_the_projection_names_the_dashboard_and_fava_offers_it(
    demo: Books, client: TestClient
) -> None:
    text = demo.projection(SLUG).path.read_text(encoding="utf-8")
    for module in FAVA_EXTENSIONS:
        assert re.search(rf'^\d{{4}}-\d\d-\d\d custom "fava-extension" "{module}"$', text, re.M)
    landing = client.get(f"/fava/{SLUG}/income_statement/")
    assert landing.status_code == 200
    found = re.search(r'id="ledger-data">(.*?)</script>', landing.text, re.S)
    assert found is not None
    extensions = json.loads(found.group(1))["extensions"]  # what Fava's sidebar lists
    assert {"name": "CommitteeDashboard", "report_title": "监委会看板", "has_js_module": False} in (
        extensions
    )
    errors = client.get(f"/fava/{SLUG}/api/errors").json()["data"]
    assert not [e for e in errors if "xtension" in e["message"]], errors


def test_income_by_source_and_month_is_the_books(demo: Books, client: TestClient) -> None:
    legs = postings(demo)
    year = max(leg.date.year for leg in legs if leg.kind != "closing")
    expected: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO] * 12)
    for leg in legs:
        if leg.account.startswith("Income:") and leg.kind != "closing" and leg.date.year == year:
            expected[leg.account][leg.date.month - 1] -= leg.amount
    (table, months) = page(client)["committee-income"]
    assert table.titles == sorted(expected)  # one row per income account, by name
    for account, row in zip(table.titles, table.rows[1:], strict=False):
        cells = [money(c) for c in row[1:13]]
        assert cells == expected[account], account
        assert money(row[13]) == sum(expected[account], ZERO)
    total = sum((sum(v, ZERO) for v in expected.values()), ZERO)
    assert total > 0
    assert money(table.rows[-1][13]) == total
    by_month = [sum((v[m] for v in expected.values()), ZERO) for m in range(12)]
    assert [money(r[1]) for r in months.rows[1:]] == by_month


def test_spending_by_resolution_against_its_budget(demo: Books, client: TestClient) -> None:
    cash = set(chart.CASH_ACCOUNTS)
    by_entry: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
    cited: dict[str, str] = {}
    for leg in postings(demo):
        if leg.resolution and leg.kind != "closing":
            by_entry[leg.entry].append((leg.account, leg.amount))
            cited[leg.entry] = leg.resolution
    spent: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for entry_id, legs in by_entry.items():
        charged = sum((x for a, x in legs if a.startswith("Expenses:")), ZERO)
        paid = -sum((x for a, x in legs if a in cash), ZERO)
        spent[cited[entry_id]] += charged or paid
    with Session(demo.engine) as session:
        community = demo.community(session, SLUG)
        budgets = {
            r.number: from_fen(r.budget_fen)
            for r in session.execute(
                select(Resolution).where(col(Resolution.community_id) == community.id)
            ).scalars()
        }
    (table,) = page(client)["committee-resolutions"]
    shown = {row[0]: row for row in table.rows[1:]}
    assert set(shown) == set(budgets)
    assert any(spent.values())
    for number, budget in budgets.items():
        row = shown[number]
        assert money(row[2]) == budget
        assert money(row[3]) == spent.get(number, ZERO)
        assert money(row[4]) == budget - spent.get(number, ZERO)


def test_fund_balances_and_arrears_by_contract(demo: Books, client: TestClient) -> None:
    with Session(demo.engine) as session:
        restricted = {
            a.name
            for a in session.execute(
                select(Account)
                .join(Community, col(Community.id) == col(Account.community_id))
                .where(col(Community.slug) == SLUG)
            ).scalars()
            if a.restricted
        }
    free = ZERO
    owed: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for leg in postings(demo):
        if leg.account.startswith("Equity:3101-"):
            free -= leg.amount
        if leg.account.startswith(("Income:", "Expenses:")) and leg.account not in restricted:
            free -= leg.amount
        if leg.account.startswith((chart.RECEIVABLE, chart.OTHER_RECEIVABLE)):
            owed[leg.contract or "（未注明合同）"] += leg.amount
    sections = page(client)
    (funds,) = sections["committee-funds"]
    assert funds.rows[1][0] == "非限定性净资产"
    assert money(funds.rows[1][3]) == free != ZERO
    assert money(funds.rows[1][1]) + money(funds.rows[1][2]) == free
    (arrears,) = sections["committee-arrears"]
    behind = {c: x for c, x in owed.items() if x > 0}
    assert behind  # the demo's late tenant
    assert {row[0]: money(row[2]) for row in arrears.rows[1:]} == behind


def test_budget_against_actual_is_what_the_budget_report_says(
    demo: Books, client: TestClient
) -> None:
    legs = postings(demo)
    year = max(leg.date.year for leg in legs if leg.kind != "closing")
    report = actuals(books=demo, slug=SLUG, year=year).lines
    assert report
    (table,) = page(client, year)["committee-budget"]
    shown = [
        (account, row[1], money(row[3]), money(row[4]), money(row[5]))
        for account, row in zip(table.titles, table.rows[1:], strict=True)
    ]
    wanted = [
        (
            line["account"],
            line["period"],
            Decimal(line["budget"]),
            Decimal(line["actual"]),
            Decimal(line["variance"]),
        )
        for line in report
    ]
    assert sorted(shown) == sorted(wanted)


def test_ledger_text_on_the_dashboard_is_escaped(demo: Books, client: TestClient) -> None:
    """A resolution title is typed by a member; it reaches the page as text."""
    with Session(demo.engine) as session:
        community = demo.community(session, SLUG)
        row = (
            session.execute(select(Resolution).where(col(Resolution.community_id) == community.id))
            .scalars()
            .first()
        )
        assert row is not None
        row.title = "<script>alert(1)</script>改造"
        session.add(row)
        session.commit()
    demo.rebuild_projection(SLUG)
    answer = client.get(PAGE)
    assert answer.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;改造" in answer.text
    assert "<script>alert(1)" not in answer.text
    assert str(Path(demo.data_dir)) not in answer.text
