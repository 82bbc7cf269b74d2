"""The disclosure statement against the books, and its renderings.

The community is built in ``disclosure_books`` (its docstring shows the ledger). Figures are
checked against sums computed here, independently, from the beancount projection loaded with
beancount itself.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data
from click.testing import CliRunner
from sqlmodel import Session, select

from api.cli import main
from audit import disclosure, disclosure_checks
from audit import disclosure_render as render
from ledger import chart, journal
from ledger.errors import NotFound, StateConflict
from ledger.models import PeriodClose, Resolution
from ledger.txn import Leg, Txn
from rules import civil_defence as civil_defence_rule
from rules import committee as committee_rule
from rules import manager_share as manager_share_rule
from rules import overdraft as overdraft_rule
from rules import reserve as reserve_rule
from rules.config import RuleSettings as RulesSettings
from rules.engine import AccountSpec, Context
from rules.reserve import Reserve
from tests import disclosure_books as fixture

Q1 = (date(2025, 1, 1), date(2025, 3, 31))
XHTML = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture(scope="module")
def books_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[fixture.Community_]:
    community = fixture.build(fixture.open_at(tmp_path_factory.mktemp("disclosure")))
    yield community
    community.books.engine.dispose()


@pytest.fixture(scope="module")
def st(books_dir: fixture.Community_) -> disclosure.Statement:
    return disclosure.statement(books=books_dir.books, slug=fixture.SLUG, period="2025Q1")


class Beancount:
    """Balances from the projection, summed here with beancount's own loader."""

    def __init__(self, path: Path) -> None:
        entries, errors, _ = loader.load_file(str(path))
        assert not errors, errors
        self.txns = [e for e in entries if isinstance(e, data.Transaction)]
        self.restricted = {
            e.account
            for e in entries
            if isinstance(e, data.Open) and e.meta.get("restricted") == "true"
        }

    def sums(self, start: date | None, end: date) -> dict[str, Decimal]:
        out: dict[str, Decimal] = defaultdict(Decimal)
        for txn in self.txns:
            if (start is None or txn.date >= start) and txn.date <= end:
                for posting in txn.postings:
                    assert posting.units is not None
                    out[posting.account] += posting.units.number
        return out


def under(sums: dict[str, Decimal], prefix: str) -> Decimal:
    return sum(
        (v for k, v in sums.items() if k == prefix or k.startswith(prefix + ":")), Decimal(0)
    )


@pytest.fixture(scope="module")
def bc(books_dir: fixture.Community_) -> Beancount:
    return Beancount(books_dir.books.projection(fixture.SLUG).path)


# --- figures --------------------------------------------------------------------------------


def test_every_line_equals_the_beancount_sum_of_its_account(
    st: disclosure.Statement, bc: Beancount
) -> None:
    period = bc.sums(*Q1)
    for line in st.income:
        assert line.amount == -under(period, line.accounts[0]), line.key
    for line in (*st.costs, *st.uses):
        assert line.amount == under(period, line.accounts[0]), line.key
    assert st.total_income == -under(period, "Income") == Decimal("30723.45")
    costs = under(period, chart.COST_MANAGER_SHARE) + under(period, chart.COST_DIRECT)
    assert st.total_costs == costs == Decimal("3300.50")
    assert st.net_income == -under(period, "Income") - costs
    assert st.total_uses == under(period, "Expenses") - costs
    # bank charges are not a listed use but still appear, on their own line
    assert {line.key for line in st.uses} >= {"maintenance", "dividends", "5201-03"}


def test_opening_and_closing_funds_equal_the_beancount_balances(
    st: disclosure.Statement, bc: Beancount
) -> None:
    def funds(sums: dict[str, Decimal]) -> tuple[Decimal, Decimal, Decimal]:
        cash = sum((under(sums, a) for a in chart.CASH_ACCOUNTS), Decimal(0))
        restricted = -sum(
            (v for k, v in sums.items() if k in bc.restricted and not k.startswith("Assets")),
            Decimal(0),
        )
        unrestricted = -sum(
            (
                v
                for k, v in sums.items()
                if k.split(":")[0] in ("Income", "Expenses")
                or (k.startswith("Equity") and k not in bc.restricted)
            ),
            Decimal(0),
        )
        return cash, unrestricted, restricted

    opening = funds(bc.sums(None, date(2024, 12, 31)))
    closing = funds(bc.sums(None, Q1[1]))
    assert (st.opening.cash, st.opening.unrestricted, st.opening.restricted) == opening
    assert (st.closing.cash, st.closing.unrestricted, st.closing.restricted) == closing
    assert st.closing.cash == Decimal("43910.65")
    assert st.closing.restricted == Decimal("4000.00")  # 14,000 set aside, 10,000 paid over
    # the statement reconciles: opening + net income - uses + other movements = closing
    assert (
        st.opening.unrestricted + st.net_income - st.total_uses + st.other_movements
        == st.closing.unrestricted
    )
    assert st.other_movements == Decimal("50000.00")  # the opening balance booked on 1 January


def test_resolutions_spent_in_period_equal_the_books(
    st: disclosure.Statement, bc: Beancount
) -> None:
    spent: dict[str, Decimal] = defaultdict(Decimal)
    for txn in bc.txns:
        number = txn.meta.get("resolution")
        if number and Q1[0] <= txn.date <= Q1[1]:
            amounts = {p.account: p.units.number for p in txn.postings if p.units}
            charged = sum(v for k, v in amounts.items() if k.startswith("Expenses:"))
            cash_out = -sum(v for k, v in amounts.items() if k in chart.CASH_ACCOUNTS)
            spent[number] += charged or cash_out
    assert {r.number: r.spent_in_period for r in st.resolutions} == spent
    assert spent["2025-04"] == Decimal("10000.00")  # paid over to the maintenance fund
    upgrade = next(r for r in st.resolutions if r.number == "2025-02")
    assert (upgrade.title, upgrade.budget, upgrade.passed) == (
        "电梯轿厢监控改造",
        Decimal("20000.00"),
        True,
    )
    assert upgrade.tally["yes_area"] == "321.89" and upgrade.tally["quorum.met"] == "yes"
    assert render.vote_lines("zh", upgrade.tally)[:2] == [
        "同意面积 321.89 ㎡ / 参与 390.41 ㎡",
        "同意 3 人 / 参与 4 人",
    ]
    # the subsidy resolution spends only in Q2 (open): not on the Q1 statement
    assert "2025-03" not in {r.number for r in st.resolutions}


def test_schedule_adds_up_to_the_dividend_entry(st: disclosure.Statement, bc: Beancount) -> None:
    (schedule,) = st.schedules
    dividend = next(t for t in bc.txns if t.meta.get("kind") == "dividend")
    booked = sum(
        (p.units.number for p in dividend.postings if p.account == chart.USE_DIVIDEND and p.units),
        Decimal(0),
    )
    assert schedule.total == booked == Decimal("4000.00")
    assert [(line.unit, line.amount) for line in schedule.lines] == [
        ("1-1-0101", Decimal("1000.00")),
        ("1-1-0102", Decimal("1300.00")),
        ("2-1-0101", Decimal("1100.00")),
        ("10-2-1601", Decimal("600.00")),  # natural order: 10 after 2
    ]
    assert schedule.lines[1].area == Decimal("127.38")


def test_checks_carry_their_figures(st: disclosure.Statement) -> None:
    checks = {c.rule: c for c in st.checks}
    share = checks[reserve_rule.NAME]
    assert share.ok
    assert share.figures == {
        "net_income": "27422.95",
        "set_aside": "14000.00",
        "share": "51.05%",
        "required": "> 50.00%",
        "required_amount": "13711.48",  # the least fen amount more than half
    }
    assert share.source == "Shanghai 住宅物业管理规定 art. 51"
    # year to date: 2,880.00 of 30,600.00 service income (parking, pilotis, advertising)
    assert checks[manager_share_rule.NAME].figures["share"] == "9.41%"
    assert checks[committee_rule.NAME].figures == {
        "common_income": "30723.45",
        "committee": "1500.00",
        "share": "4.88%",
        "cap": "≤ 10.00%",
    }
    assert checks[civil_defence_rule.NAME].ok
    assert checks[overdraft_rule.NAME].ok


def test_quarters_and_posting_dates(st: disclosure.Statement, bc: Beancount) -> None:
    assert [q.period for q in st.quarters] == ["2024Q2", "2024Q3", "2024Q4", "2025Q1"]
    last = st.quarters[-1]
    assert (last.income, last.costs, last.uses) == (
        st.total_income,
        st.total_costs,
        st.total_uses,
    )
    assert st.posted_on == date(2025, 4, 3)  # closed 02:00 UTC = 10:00 in Beijing
    assert (st.posted_until - st.posted_on).days == 30
    assert st.head_seq == 14


def test_open_or_unknown_period_has_no_statement(books_dir: fixture.Community_) -> None:
    for period in ("2025Q2", "2099Q1"):
        with pytest.raises(NotFound) as caught:
            disclosure.statement(books=books_dir.books, slug=fixture.SLUG, period=period)
        assert caught.value.problems[0].rule == "closed-periods-only"


@pytest.mark.pg
def test_the_statement_is_the_same_on_postgresql(
    st: disclosure.Statement, pg_database: str, tmp_path: Path
) -> None:
    books = fixture.open_at(tmp_path, pg_database)
    try:
        fixture.build(books)
        on_pg = disclosure.statement(books=books, slug=fixture.SLUG, period="2025Q1").as_json()
    finally:
        books.engine.dispose()
    mine = st.as_json()
    for key in ("head_hash",):  # the chain starts from the community's random id
        mine.pop(key), on_pg.pop(key)
    assert on_pg == mine


def test_a_period_whose_rules_are_broken_says_so(tmp_path: Path) -> None:
    """Q2 sets nothing aside for the maintenance fund: the check fails, with its figures."""
    community = fixture.build(fixture.open_at(tmp_path))
    fixture.close(community.books, "2025Q2", date(2025, 4, 1), date(2025, 6, 30))
    st = disclosure.statement(books=community.books, slug=fixture.SLUG, period="2025Q2")
    share = next(c for c in st.checks if c.rule == reserve_rule.NAME)
    assert not share.ok
    assert share.figures["share"] == "0.00%"
    assert share.figures["net_income"] == "9500.00"
    assert share.figures["required_amount"] == "4750.01"
    assert st.opening.cash == Decimal("43910.65")  # Q1's closing
    (schedule,) = st.schedules
    assert schedule.kind == "subsidy" and schedule.total == Decimal("1000.00")
    text = render.markdown(st)
    assert "✘ 补充专项维修资金比例" in text and "不符合" in text


def test_a_reversed_allocation_is_neither_scheduled_nor_counted_for_the_unit(
    tmp_path: Path,
) -> None:
    community = fixture.build(fixture.open_at(tmp_path))
    books = community.books
    reversal = journal.reverse(
        reason="更正",
        books=books,
        slug=fixture.SLUG,
        entry_id=community.subsidy_id,
        actor="treasurer",
        on=date(2025, 4, 25),
    )
    assert reversal.pending  # a subsidy's reversal waits for a second member, like the subsidy
    journal.approve(books=books, slug=fixture.SLUG, entry_id=reversal.id, actor="chair")
    fixture.close(books, "2025Q2", date(2025, 4, 1), date(2025, 6, 30))
    st = disclosure.statement(books=books, slug=fixture.SLUG, period="2025Q2")
    assert st.schedules == ()
    assert next(line for line in st.uses if line.key == "subsidy").amount == Decimal("0.00")
    receipts = disclosure.unit_receipts(books=books, slug=fixture.SLUG, unit="1-1-0102")
    assert [r.period for r in receipts.receipts] == ["2025Q1"]
    # the reversal counts against the resolution of the entry it reverses
    (resolution,) = [r for r in st.resolutions if r.number == "2025-03"]
    assert (resolution.spent_in_period, resolution.spent_to_date) == (Decimal(0), Decimal(0))


def test_the_vote_shows_aggregates_never_how_a_unit_voted(tmp_path: Path) -> None:
    community = fixture.build(fixture.open_at(tmp_path))
    tally = {
        "passed": True,
        "area": {"for": "2100.55", "participating": 2900.1, "share": "72.43%"},
        "votes": {f"1-1-{n:04d}": "for" for n in range(20)},  # per unit: private
        "ballots": [{"unit": "1-1-0101", "owner": fixture.OWNERS[0], "vote": "for"}],
        "counted_by": "张三",
    }
    with Session(community.books.engine) as session:
        row = session.exec(select(Resolution).where(Resolution.number == "2025-02")).one()
        row.tally = json.dumps(tally, ensure_ascii=False)
        session.add(row)
        session.commit()
    st = disclosure.statement(books=community.books, slug=fixture.SLUG, period="2025Q1")
    (upgrade,) = [r for r in st.resolutions if r.number == "2025-02"]
    assert upgrade.tally == {
        "passed": "yes",
        "area.for": "2100.55",
        "area.participating": "2900.1",
        "area.share": "72.43%",
    }
    page = render.html(st)
    assert "张三" not in page and "1-1-0019" not in page
    _no_owner(page)


def test_a_tampered_chain_head_is_refused(tmp_path: Path) -> None:
    community = fixture.build(fixture.open_at(tmp_path))
    with Session(community.books.engine) as session:
        row = session.exec(select(PeriodClose)).one()
        row.head_hash = "0" * 64
        session.add(row)
        session.commit()
    with pytest.raises(StateConflict) as caught:
        disclosure.statement(books=community.books, slug=fixture.SLUG, period="2025Q1")
    assert caught.value.problems[0].rule == "chain-head"


def test_unit_receipts_only_from_closed_periods(tmp_path: Path) -> None:
    community = fixture.build(fixture.open_at(tmp_path))
    books = community.books
    before = disclosure.unit_receipts(books=books, slug=fixture.SLUG, unit="1-1-0102")
    assert [(r.period, r.kind, r.amount) for r in before.receipts] == [
        ("2025Q1", "dividend", Decimal("1300.00"))
    ]
    fixture.close(books, "2025Q2", date(2025, 4, 1), date(2025, 6, 30))
    after = disclosure.unit_receipts(books=books, slug=fixture.SLUG, unit="1-1-0102")
    assert [(r.period, r.amount) for r in after.receipts] == [
        ("2025Q1", Decimal("1300.00")),
        ("2025Q2", Decimal("350.00")),
    ]
    assert after.total == Decimal("1650.00") and after.area == Decimal("127.38")
    assert all(owner not in json.dumps(after.as_json()) for owner in fixture.OWNERS)
    with pytest.raises(NotFound):
        disclosure.unit_receipts(books=books, slug=fixture.SLUG, unit="9-9-9999")


# --- renderings -----------------------------------------------------------------------------


def _no_owner(text: str) -> None:
    for owner in fixture.OWNERS:
        assert owner not in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_html_is_well_formed_xhtml_without_owner_ids(st: disclosure.Statement, lang: str) -> None:
    page = render.html(st, lang=lang, base_url="/public/maple/disclosures/2025Q1")
    root = ET.fromstring(page)  # strict XML: every tag closed, every entity known
    assert root.tag == f"{XHTML}html"
    _no_owner(page)
    body_text = "".join(root.itertext())
    assert "¥27,422.95" in body_text and "¥43,910.65" in body_text
    assert ("共有收益净额" if lang == "zh" else "Net common income") in body_text
    assert st.head_hash in body_text and "commons verify-export" in body_text
    images = root.findall(f".//{XHTML}img")
    assert len(images) == 3 and all(
        i.get("src", "").startswith("data:image/svg+xml") for i in images
    )
    assert "@page" in page and "A4" in page and "width=device-width" in page


def test_charts_are_svg_drawn_with_hatching(st: disclosure.Statement) -> None:
    svgs = render.chart_svgs(st, "zh")
    for svg in svgs.values():
        root = ET.fromstring(svg)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert "<pattern" in svg  # hatches, not colours, tell the series apart
    assert render.chart_svgs(st, "zh") == svgs  # deterministic


def test_markdown_has_the_tables_and_the_schedule(st: disclosure.Statement) -> None:
    text = render.markdown(st)
    assert "| 停车费 | ¥9,600.00 |" in text
    assert "| **共有收益净额** | **¥27,422.95** |" in text
    assert "| 1-1-0102 | 127.38 | ¥1,300.00 |" in text
    assert (
        "| 2025-02 | 电梯轿厢监控改造 | ¥20,000.00 | ¥18,000.00 | ¥18,000.00 | 通过; 同意面积 321.89 ㎡"
        in text
    )
    assert "<" not in text
    _no_owner(text)


def test_markdown_cells_cannot_break_the_table() -> None:
    assert render.md_cell("a|b\nc") == "a\\|b c"


def test_json_round_trips_the_figures(st: disclosure.Statement) -> None:
    body = json.loads(render.as_json(st, lang="en"))
    assert body["net_income"] == "27422.95" and body["lang"] == "en"
    assert body["closing"] == {
        "cash": "43910.65",
        "unrestricted": "39910.65",
        "restricted": "4000.00",
    }
    assert body["schedules"][0]["lines"][1] == {
        "unit": "1-1-0102",
        "area": "127.38",
        "amount": "1300.00",
    }
    _no_owner(json.dumps(body))


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
def test_pdf_has_the_totals_in_chinese_with_fonts_embedded(
    st: disclosure.Statement, tmp_path: Path
) -> None:
    path = tmp_path / "st.pdf"
    path.write_bytes(render.pdf(st))
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    for needle in (
        "共有收益收支公示",
        "枫林苑小区业主委员会",
        "¥30,723.45",
        "¥27,422.95",
        "¥37,512.30",
    ):
        assert needle in text
    assert "¥43,910.65" in text and "业主监督委员会" in text
    _no_owner(text)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    rows = [line.split() for line in fonts.stdout.splitlines()[2:] if line.strip()]
    assert any("CJK" in row[0] for row in rows)
    assert all("yes" in row[-5:-2][0] for row in rows)  # the "emb" column


# --- the command ----------------------------------------------------------------------------


def test_commons_disclose_writes_each_format(books_dir: fixture.Community_, tmp_path: Path) -> None:
    data = str(books_dir.books.data_dir)
    runner = CliRunner()
    for fmt in ("md", "json", "html"):
        out = tmp_path / f"s.{fmt}"
        result = runner.invoke(
            main,
            [
                "--lang",
                "en",
                "--data",
                data,
                "disclose",
                "maple",
                "2025Q1",
                "--format",
                fmt,
                "--lang",
                "en",
                "--out",
                str(out),
            ],
        )
        assert result.exit_code == 0, result.output
        assert "¥27,422.95" in out.read_text() or '"27422.95"' in out.read_text()
    refused = runner.invoke(
        main,
        [
            "--lang",
            "en",
            "--data",
            data,
            "disclose",
            "maple",
            "2025Q2",
            "--format",
            "md",
            "--out",
            str(tmp_path / "x"),
        ],
    )
    assert refused.exit_code == 1
    assert "closed-periods-only" in refused.output and not (tmp_path / "x").exists()


# --- the checks' arithmetic under other rules files ------------------------------------------


def _reserve(net: str, set_aside: str, settings: RulesSettings, fund: str = "0.00") -> Reserve:
    """The reserve figures of 2025Q1 for ``net`` income and ``set_aside`` top-ups, with
    ``fund`` in the restricted fund before the quarter: computed by the rule itself."""

    def txn(day: date, debit: str, credit: str, amount: str) -> Txn:
        value = Decimal(amount)
        legs = (Leg(debit, value), Leg(credit, -value))
        return Txn(str(day), day, "", "", "income", legs, "treasurer")

    txns = [txn(date(2025, 2, 1), chart.BANK, chart.INCOME_PARKING, net)]
    if Decimal(set_aside):
        txns.append(txn(date(2025, 3, 1), chart.USE_MAINTENANCE, chart.BANK, set_aside))
    if Decimal(fund):
        txns.append(txn(date(2024, 12, 1), chart.BANK, chart.RESTRICTED, fund))
    restricted = {chart.RESTRICTED: AccountSpec(chart.RESTRICTED, "3102-01", True)}
    return reserve_rule.figures(
        Context("c", restricted),
        txns,
        period="2025Q1",
        start=date(2025, 1, 1),
        end=date(2025, 3, 31),
        settings=settings,
    )


def test_reserve_at_least_half_is_met_by_exactly_half() -> None:
    """Beijing art. 74: at least 50% while the fund is under 30% of its initial amount."""
    beijing = replace(
        RulesSettings(),
        reserve_comparison="at_least",
        reserve_condition="fund_below",
        maintenance_fund_initial=Decimal("1000000.00"),
    )
    low = "250000.00"  # under the 300,000.00 floor: the rule applies
    check = disclosure_checks.reserve(_reserve("1000.01", "500.01", beijing, low), beijing)
    assert check.ok and check.figures["required_amount"] == "500.01"  # ceiling of 500.005
    assert check.figures["required"] == "≥ 50.00%"
    assert check.source == "Beijing 物业管理条例 art. 74"
    assert not disclosure_checks.reserve(_reserve("1000.01", "500.00", beijing, low), beijing).ok
    # Shanghai's "more than" half: exactly half is not enough
    shanghai = RulesSettings()
    assert not disclosure_checks.reserve(_reserve("1000.00", "500.00", shanghai), shanghai).ok
    assert disclosure_checks.reserve(_reserve("1000.00", "500.01", shanghai), shanghai).ok


def test_reserve_does_not_apply_above_the_floor() -> None:
    above = replace(
        RulesSettings(),
        reserve_condition="fund_below",
        maintenance_fund_initial=Decimal("1000000.00"),
    )
    found = _reserve("1000.00", "0.00", above, fund="400000.00")
    check = disclosure_checks.reserve(found, above)
    assert check.ok and check.figures["required"] == "—"
    assert reserve_rule.check(found, above) is None  # the close agrees: nothing required
