"""The statement's rule checks agree with the posting path and the close.

Each check on a disclosure statement restates a rule that posting (or closing) enforces; here
the books are built through the journal, so posting decides, the quarter is closed with
``rules.periods.close``, and the statement of that quarter must print the verdict and the
figures the rule itself used, under the rule's own name.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from audit import disclosure, disclosure_checks
from audit import disclosure_render as render
from audit.disclosure_model import Check
from ledger import chart, journal
from ledger.books import Books
from ledger.errors import RuleViolations
from ledger.schemas import PostingIn, TransactionIn
from ledger.txn import Leg, Txn
from rules import civil_defence, periods, reserve
from rules.civil_defence import CivilDefence
from rules.committee import CommitteeExpenses
from rules.community import create
from rules.config import DEFAULT_TEXT, parse
from rules.engine import Context, RuleState
from rules.manager_share import ManagerShare
from rules.shares import ShareCap, ShareFigures
from tests import disclosure_books as fixture
from tests.conftest import BOOKS_START
from tests.rules_helpers import set_rules_text

SLUG = "birch"
Q1_END = date(2025, 3, 31)
OWNED = DEFAULT_TEXT.replace("civil_defence_owned = false", "civil_defence_owned = true")
COMMITTEE_EN = "Committee expenses as a share of common income (year to date)"


@pytest.fixture
def books(tmp_path: Path) -> Iterator[Books]:
    opened = fixture.open_at(tmp_path)
    create(books=opened, slug=SLUG, name="白桦苑", start=BOOKS_START)
    yield opened
    opened.engine.dispose()


def _draft(day: str, kind: str, debit: str, credit: str, amount: str) -> TransactionIn:
    return TransactionIn(
        date=date.fromisoformat(day),
        payee="",
        narration=kind,
        kind=kind,
        postings=[
            PostingIn(account=debit, amount=Decimal(amount)),
            PostingIn(account=credit, amount=-Decimal(amount)),
        ],
    )


def _post(books: Books, day: str, kind: str, debit: str, credit: str, amount: str) -> None:
    draft = _draft(day, kind, debit, credit, amount)
    posted = journal.post(books=books, slug=SLUG, draft=draft, actor="treasurer")
    if posted.pending:
        journal.approve(books=books, slug=SLUG, entry_id=posted.entry.id, actor="chair")


def _refused(
    books: Books, day: str, kind: str, debit: str, credit: str, amount: str
) -> dict[str, tuple[str, dict[str, object]]]:
    """Post and expect a refusal: the rules that refused, with their details."""
    with pytest.raises(RuleViolations) as caught:
        _post(books, day, kind, debit, credit, amount)
    return {p.rule or "": (p.text.render("en"), p.details) for p in caught.value.problems}


def _check(st: disclosure.Statement, rule: str) -> Check:
    (found,) = [c for c in st.checks if c.rule == rule]
    return found


# --- the reported finding ------------------------------------------------------------------


def test_owned_civil_defence_income_counts_as_common_income_on_the_statement(
    books: Books,
) -> None:
    """With 人防 parking owned, 1,500.00 of committee allowance against 10,000.00 parking and
    10,000.00 人防 income is 7.5% of 20,000.00: posting accepts it, and the statement must not
    print it as 15% of 10,000.00 and failed."""
    set_rules_text(books, SLUG, OWNED)
    _post(books, "2025-01-05", "income", chart.BANK, chart.INCOME_PARKING, "10000.00")
    _post(books, "2025-01-06", "income", chart.BANK, chart.INCOME_CIVIL_DEFENCE, "10000.00")
    _post(books, "2025-02-01", "cost", chart.USE_COMMITTEE, chart.BANK, "1500.00")  # accepted
    # more than half of the 20,000.00 net income set aside, or the quarter cannot close
    _post(
        books, "2025-03-28", "reserve", chart.USE_MAINTENANCE, chart.MAINTENANCE_PAYABLE, "10000.01"
    )
    periods.close(books=books, slug=SLUG, period="2025Q1", actor="chair")

    st = disclosure.statement(books=books, slug=SLUG, period="2025Q1")
    (committee,) = [c for c in st.checks if c.name_en == COMMITTEE_EN]
    assert committee.figures == {
        "common_income": "20000.00",
        "committee": "1500.00",
        "share": "7.50%",
        "cap": "≤ 10.00%",
    }
    assert committee.ok
    assert committee.rule == CommitteeExpenses.name  # the name posting's refusals carry
    # what the public reads: the JSON of the statement
    body = json.loads(render.as_json(st, lang="en"))
    (published,) = [c for c in body["checks"] if c["rule"] == CommitteeExpenses.name]
    assert published["ok"] is True and published["figures"]["share"] == "7.50%"
    # the 人防 income is the owners' here: nothing booked that was not theirs
    cd = _check(st, civil_defence.NAME)
    assert cd.ok and cd.figures == {"civil_defence_income": "0.00"}
    # the manager's share is measured against 4301 only: 10,000.00 of parking
    assert _check(st, ManagerShare.name).figures["service_income"] == "10000.00"


# --- borderline cases: what posting refuses, the statement cannot pass ------------------------


def test_each_check_gives_the_verdict_posting_and_the_close_gave_at_the_fen(
    books: Books,
) -> None:
    """Every cap hit to the fen: one fen more is refused (by posting or by the close), the
    amount at the cap is accepted, and the statement shows exactly the cap, passed, with the
    figures the refusal quoted."""
    _post(books, "2025-01-05", "income", chart.BANK, chart.INCOME_PARKING, "10000.00")
    _post(books, "2025-01-06", "income", chart.BANK, chart.INCOME_INTEREST, "10000.00")

    # manager's share: 30% of the 10,000.00 of 4301 income (interest is not 4301)
    over = _refused(books, "2025-02-01", "cost", chart.COST_MANAGER_SHARE, chart.BANK, "3000.01")
    assert set(over) == {ManagerShare.name}
    manager_refusal = over[ManagerShare.name][1]
    _post(books, "2025-02-01", "cost", chart.COST_MANAGER_SHARE, chart.BANK, "3000.00")

    # committee: 10% of all 20,000.00 of income
    over = _refused(books, "2025-02-02", "cost", chart.USE_COMMITTEE, chart.BANK, "2000.01")
    assert set(over) == {CommitteeExpenses.name}
    committee_refusal = over[CommitteeExpenses.name][1]
    _post(books, "2025-02-02", "cost", chart.USE_COMMITTEE, chart.BANK, "2000.00")

    # 人防 income, not owned: refused
    over = _refused(books, "2025-02-03", "income", chart.BANK, chart.INCOME_CIVIL_DEFENCE, "0.01")
    assert set(over) == {civil_defence.NAME}

    # reserve: more than half of 17,000.00 net; exactly half does not close the quarter
    top_up = ("reserve", chart.USE_MAINTENANCE, chart.MAINTENANCE_PAYABLE)
    _post(books, "2025-03-28", *top_up, "8500.00")
    with pytest.raises(RuleViolations) as caught:
        periods.close(books=books, slug=SLUG, period="2025Q1", actor="chair")
    (short,) = caught.value.problems
    assert short.rule == reserve.NAME and short.details["shortfall"] == "0.01"
    _post(books, "2025-03-29", *top_up, "0.01")
    periods.close(books=books, slug=SLUG, period="2025Q1", actor="chair")

    st = disclosure.statement(books=books, slug=SLUG, period="2025Q1")
    manager = _check(st, ManagerShare.name)
    assert manager.ok and manager.figures == {
        "service_income": manager_refusal["income"],
        "manager_share": "3000.00",
        "share": "30.00%",
        "cap": "≤ 30.00%",
    }
    committee = _check(st, CommitteeExpenses.name)
    assert committee.ok and committee.figures == {
        "common_income": committee_refusal["income"],
        "committee": committee_refusal["limit"],
        "share": "10.00%",
        "cap": "≤ 10.00%",
    }
    assert _check(st, civil_defence.NAME).ok
    share = _check(st, reserve.NAME)
    assert share.ok
    assert share.figures["net_income"] == short.details["net_income"] == "17000.00"
    # the least amount the statement asks for is what the close accepted, one fen over the
    # 8,500.00 it refused
    assert share.figures["required_amount"] == share.figures["set_aside"] == "8500.01"


# --- the same, per rule, on both sides of each boundary ----------------------------------------


def _txn(day: date, debit: str, credit: str, amount: str, kind: str = "income") -> Txn:
    value = Decimal(amount)
    legs = (Leg(debit, value), Leg(credit, -value))
    return Txn(f"{day}-{debit}-{amount}", day, "", "", kind, legs, "treasurer")


ShareCheck = Callable[[ShareFigures], Check]


@pytest.mark.parametrize(
    ("make", "check", "debit", "cap"),
    [
        # 3,333.35 x 30% = 1,000.005: the cap rounds half up to 1,000.01
        (ManagerShare, disclosure_checks.manager_share, chart.COST_MANAGER_SHARE, "1000.01"),
        (CommitteeExpenses, disclosure_checks.committee_share, chart.USE_COMMITTEE, "666.67"),
    ],
)
def test_a_share_cap_passes_on_the_statement_exactly_when_posting_accepts(
    make: Callable[[Context], ShareCap], check: ShareCheck, debit: str, cap: str
) -> None:
    """Around each cap (one fen under, at, one fen over), on books whose incomes the two caps
    measure differently (4301 parking and 人防 income, owned), the statement's verdict on the
    books with the cost is posting's verdict on the cost."""
    income = [
        _txn(date(2025, 1, 5), chart.BANK, chart.INCOME_PARKING, "3333.35"),
        _txn(date(2025, 1, 6), chart.BANK, chart.INCOME_CIVIL_DEFENCE, "3333.35"),
        # dated after the quarter: neither the posting check (it is not posted yet) nor the
        # statement of the quarter counts it
        _txn(date(2025, 4, 6), chart.BANK, chart.INCOME_PARKING, "50000.00"),
    ]
    context = Context("c", {}, config=parse(OWNED))
    verdicts = []
    for fen in (-1, 0, 1):
        amount = f"{Decimal(cap) + Decimal(fen) / 100:.2f}"
        cost = _txn(date(2025, 2, 1), debit, chart.BANK, amount, kind="cost")
        state = RuleState(context, [make(context)])
        assert state.fold(income[:2]) == []
        posting = state.check(cost) == []
        statement = check(make(context).figures([*income, cost], end=Q1_END))
        assert statement.ok == posting, amount
        verdicts.append(posting)
    assert verdicts == [True, True, False]


def test_civil_defence_income_passes_on_the_statement_exactly_when_posting_accepts() -> None:
    """The community owns the 人防 spaces from 15 February: income on the 14th is refused by
    posting, and a statement of books holding it fails, even though the rules file at the
    quarter's end says owned; income on the 15th is accepted and passes."""
    text = OWNED.replace("civil_defence_owned = true", "civil_defence_owned = false")
    text += "\n[[version]]\neffective_from = 2025-02-15\ncivil_defence_owned = true\n"
    context = Context("c", {}, config=parse(text))
    for day, accepted in ((date(2025, 2, 14), False), (date(2025, 2, 15), True)):
        income = _txn(day, chart.BANK, chart.INCOME_CIVIL_DEFENCE, "800.00")
        posting = CivilDefence(context).check(income) == []
        assert posting is accepted
        found = civil_defence.figures(context, [income], start=date(2025, 1, 1), end=Q1_END)
        statement = disclosure_checks.civil_defence(found)
        assert statement.ok is posting
        assert statement.figures["civil_defence_income"] == ("0.00" if accepted else "800.00")
