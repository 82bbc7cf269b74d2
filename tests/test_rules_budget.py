"""The budget the owners adopted: its lines by account and period, Fava's budget directives in
the projection, budget against actual, and the rule that spending beyond it needs a
resolution. Found: there was no budget to hold spending to.

    budget 2025 (resolution 2025-01): 5101-02 direct costs 2025Q1 3,000.00
    2025-02-10 direct costs 2,000.00   within the line
    2025-03-10 direct costs 1,400.00   3,400.00 > 3,300.00 (10% over): needs a resolution
    2025-03-11 audit fee 500.00        no line for 5201-02: needs a resolution
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from beancount import loader
from sqlalchemy import func, select
from sqlmodel import Session

from ledger import chart, journal
from ledger.books import Books
from ledger.errors import RuleViolations, StateConflict, ValidationFailed
from ledger.models import BudgetLine
from rules.budget import BudgetIn, actuals, set_budget
from rules.periods import close
from tests.conftest import txn
from tests.rules_helpers import add_resolution, set_rules_text

VOTED = date(2024, 12, 20)
BUDGET: dict[str, Any] = {
    "year": 2025,
    "resolution": "2025-01",
    "lines": [
        {"account": chart.COST_DIRECT, "period": "2025Q1", "amount": "3000.00"},
        {"account": chart.COST_DIRECT, "period": "2025Q2", "amount": "3000.00"},
        {"account": chart.USE_MAINTENANCE, "period": "2025", "amount": "1000.00"},
        {"account": chart.INCOME_PARKING, "period": "2025-02", "amount": "9000.00"},
    ],
}


def budget(**changes: Any) -> BudgetIn:
    return BudgetIn.model_validate({**BUDGET, **changes})


def setup(books: Books, slug: str) -> None:
    journal.post(
        books=books,
        slug=slug,
        draft=txn("50000.00", credit=chart.OPENING, kind="opening", day=date(2024, 12, 31)),
        actor="treasurer",
    )
    add_resolution(books, slug, "2025-01", purpose=("cost",), voted_on=VOTED, effective_from=VOTED)


def spend(amount: str, day: date, account: str = chart.COST_DIRECT, **more: Any) -> Any:
    return txn(amount, debit=account, credit=chart.BANK, kind="cost", day=day, **more)


def test_spending_over_its_line_or_without_one_needs_a_resolution(
    books: Books, community: str
) -> None:
    setup(books, community)
    set_budget(books=books, slug=community, body=budget(), actor="chair")
    journal.post(books=books, slug=community, draft=spend("2000.00", date(2025, 2, 10)), actor="t")
    with pytest.raises(RuleViolations) as over:
        journal.post(
            books=books, slug=community, draft=spend("1400.00", date(2025, 3, 10)), actor="t"
        )
    problem = over.value.problems[0]
    assert (problem.rule, problem.field) == ("over-budget", "resolution")
    assert problem.details["limit"] == "3300.00"
    assert problem.details["actual"] == "3400.00"
    # Within the tolerance it goes through: 3,300.00 is 10% over, not more.
    journal.post(books=books, slug=community, draft=spend("1300.00", date(2025, 3, 10)), actor="t")
    with pytest.raises(RuleViolations) as unbudgeted:
        journal.post(
            books=books,
            slug=community,
            draft=spend("500.00", date(2025, 3, 11), chart.USE_AUDIT),
            actor="t",
        )
    assert "no line in the 2025 budget" in unbudgeted.value.problems[0].text.render("en")
    cited = spend("500.00", date(2025, 3, 11), chart.USE_AUDIT, resolution="2025-01")
    assert journal.post(books=books, slug=community, draft=cited, actor="t").status == "posted"
    # A year without a budget is not held to one.
    assert (
        journal.post(
            books=books,
            slug=community,
            draft=spend("10.00", date(2026, 1, 5), chart.USE_BANK_FEES),
            actor="t",
        ).status
        == "posted"
    )


def test_the_tolerance_is_a_rules_setting(books: Books, community: str) -> None:
    setup(books, community)
    set_rules_text(
        books, community, '[[version]]\neffective_from = 2000-01-01\nbudget_tolerance = "0.20"\n'
    )
    set_budget(books=books, slug=community, body=budget(), actor="chair")
    posted = journal.post(
        books=books, slug=community, draft=spend("3500.00", date(2025, 2, 10)), actor="t"
    )
    assert posted.status == "posted"  # 3,500.00 is within 20% of 3,000.00


def test_budget_against_actual_and_fava_directives(books: Books, community: str) -> None:
    setup(books, community)
    set_budget(books=books, slug=community, body=budget(), actor="chair")
    journal.post(books=books, slug=community, draft=spend("2000.00", date(2025, 2, 10)), actor="t")
    journal.post(books=books, slug=community, draft=txn("9600.00", day=date(2025, 2, 5)), actor="t")
    journal.post(
        books=books,
        slug=community,
        draft=spend("50.00", date(2025, 2, 6), chart.USE_BANK_FEES, resolution="2025-01"),
        actor="t",
    )
    out = actuals(books=books, slug=community, year=2025)
    assert out.year == 2025
    assert out.lines == [
        {
            "account": chart.COST_DIRECT,
            "period": "2025Q1",
            "budget": "3000.00",
            "actual": "2000.00",
            "variance": "-1000.00",
        },
        {
            "account": chart.COST_DIRECT,
            "period": "2025Q2",
            "budget": "3000.00",
            "actual": "0.00",
            "variance": "-3000.00",
        },
        {
            "account": chart.USE_MAINTENANCE,
            "period": "2025",
            "budget": "1000.00",
            "actual": "0.00",
            "variance": "-1000.00",
        },
        {
            "account": chart.INCOME_PARKING,
            "period": "2025-02",
            "budget": "9000.00",
            "actual": "9600.00",
            "variance": "600.00",
        },
        {
            "account": chart.USE_BANK_FEES,
            "period": "2025",
            "budget": "0.00",
            "actual": "50.00",
            "variance": "50.00",
        },
    ]
    path = books.community_dir(community) / "ledger.beancount"
    text = path.read_text(encoding="utf-8")
    assert (
        f'2025-01-01 custom "budget" {chart.COST_DIRECT} "quarterly" 3000.00 CNY\n'
        '  period: "2025Q1"\n'
    ) in text
    # Fava's budget runs until the next directive: Q3 has no line, so 0.00 from 2025-07-01.
    assert f'2025-07-01 custom "budget" {chart.COST_DIRECT} "quarterly" 0.00 CNY\n' in text
    # Income is budgeted as Fava sees income: negative.
    assert f'2025-02-01 custom "budget" {chart.INCOME_PARKING} "monthly" -9000.00 CNY' in text
    entries, errors, _ = loader.load_file(str(path))
    assert errors == []
    budgets = [e for e in entries if getattr(e, "type", None) == "budget"]
    assert len(budgets) == 7


def test_bean_check_holds_spending_to_the_budget_like_the_posting_path(
    books: Books, community: str
) -> None:
    """The plugin reads the budget back from the projection and refuses what the posting path
    refuses, with the same rule."""
    from ledger.render import txn_from_entry
    from rules.engine import build_state
    from rules.plugin import context_from_entries
    from rules.registry import RULES

    setup(books, community)
    set_budget(books=books, slug=community, body=budget(), actor="chair")
    path = books.community_dir(community) / "ledger.beancount"
    entries, _errors, _ = loader.load_file(str(path))
    context = context_from_entries(entries, "x", None)
    assert sorted((f.account, f.period, f.amount) for f in context.budgets[2025]) == sorted(
        (line["account"], line["period"], Decimal(line["amount"])) for line in BUDGET["lines"]
    )
    state = build_state(context, RULES)
    for entry in entries:
        if hasattr(entry, "postings"):
            state.apply(txn_from_entry(entry)[0])
    draft = spend("3400.00", date(2025, 3, 10))
    candidate = journal._txn_of_draft(draft, "t")
    assert [v.rule for v in state.check(candidate)] == ["over-budget"]


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"resolution": "2099-01"}, "resolution", "budget-resolution"),
        (
            {"lines": [{"account": "Expenses:9999-不存在", "period": "2025Q1", "amount": "1.00"}]},
            "lines[0].account",
            "known-account",
        ),
        (
            {"lines": [{"account": chart.BANK, "period": "2025Q1", "amount": "1.00"}]},
            "lines[0].account",
            "budget-account",
        ),
        (
            {"lines": [{"account": chart.USE_AUDIT, "period": "2026Q1", "amount": "1.00"}]},
            "lines[0].period",
            "budget-period",
        ),
        (
            {"lines": [{"account": chart.USE_AUDIT, "period": "2025H1", "amount": "1.00"}]},
            "lines[0].period",
            "budget-period",
        ),
        (
            {
                "lines": [
                    {"account": chart.USE_AUDIT, "period": "2025Q1", "amount": "1.00"},
                    {"account": chart.USE_AUDIT, "period": "2025-02", "amount": "1.00"},
                ]
            },
            "lines[1].period",
            "budget-overlap",
        ),
    ],
)
def test_a_bad_budget_is_refused_naming_the_field(
    books: Books, community: str, changes: dict[str, Any], field: str, rule: str
) -> None:
    setup(books, community)
    with pytest.raises(ValidationFailed) as refused:
        set_budget(books=books, slug=community, body=budget(**changes), actor="chair")
    assert (refused.value.problems[0].field, refused.value.problems[0].rule) == (field, rule)
    with Session(books.engine) as session:
        assert session.execute(select(func.count()).select_from(BudgetLine)).scalar_one() == 0


def test_a_closed_year_or_period_keeps_its_budget(books: Books, community: str) -> None:
    setup(books, community)
    add_resolution(books, community, "2024-09", voted_on=VOTED, effective_from=VOTED)
    journal.post(
        books=books,
        slug=community,
        draft=txn(
            "4000.00",
            debit=chart.USE_MAINTENANCE,
            credit=chart.BANK,
            kind="reserve",
            day=date(2025, 1, 20),
        ),
        actor="t",
    )
    close(books=books, slug=community, period="2025Q1", actor="approver")
    with pytest.raises(StateConflict) as refused:
        set_budget(books=books, slug=community, body=budget(), actor="chair")
    assert (refused.value.problems[0].field, refused.value.problems[0].rule) == (
        "lines",
        "closed-period",
    )
    later = budget(lines=[{"account": chart.COST_DIRECT, "period": "2025Q2", "amount": "1.00"}])
    assert set_budget(books=books, slug=community, body=later, actor="chair").version == 1
    close(books=books, slug=community, period="2025", actor="approver")
    with pytest.raises(StateConflict) as year:
        set_budget(books=books, slug=community, body=later, actor="chair")
    assert year.value.problems[0].field == "year"
