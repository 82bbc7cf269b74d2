"""Income contracts: the register, receipts citing a contract, the accrual at each close, and
arrears. Found: a half-year advertising fee paid in Q1 was all income of Q1 (an auditor found
Q1 and Q3 each overstated by 3,000 under 权责发生制), and nothing knew what should have come in.

    C-2025-01 电梯广告位, 2025-01-01 to 2025-12-31, 6,000.00 every half year in advance
    2025-01-15 receipt  bank 6,000.00 / 4301-04 ads, citing C-2025-01
    → close 2025Q1: 4301-04 3,000.00 to 2203 预收账款 (Q1 income 3,000.00)
    → close 2025Q2: 2203 3,000.00 back to 4301-04 (Q2 income 3,000.00)
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from beancount import loader
from sqlalchemy import func, select
from sqlmodel import Session, col

from audit.verify import verify
from ledger import chart, journal
from ledger.books import Books
from ledger.errors import RuleViolations, StateConflict, ValidationFailed
from ledger.facts import ResolutionFact
from ledger.models import Entry
from ledger.schemas import PostingIn, TransactionIn
from rules.contracts import ContractIn, add, compliance, contract_fact, listing, receivables
from rules.periods import close
from tests.conftest import txn
from tests.rules_helpers import add_resolution

VOTED = date(2024, 12, 20)
ADS = {
    "number": "C-2025-01",
    "counterparty": "某广告公司",
    "space": "电梯广告位",
    "kind": "advertising",
    "resolution": "2025-02",
    "start": "2025-01-01",
    "end": "2025-12-31",
    "deposit": "2000.00",
    "schedule": {"every": "half", "amount": "6000.00", "due_day": 15, "in_advance": True},
    "income_account": chart.INCOME_ADS,
}


def contract(**changes: Any) -> ContractIn:
    body = {**ADS, **changes}
    return ContractIn.model_validate(body)


def receipt(
    amount: str, day: date, number: str, account: str = chart.INCOME_ADS, **more: Any
) -> TransactionIn:
    value = Decimal(amount)
    return TransactionIn(
        date=day,
        payee="某广告公司",
        narration="广告费",
        kind="income",
        postings=[
            PostingIn(account=chart.BANK, amount=value),
            PostingIn(account=account, amount=-value),
        ],
        contract=number,
        **more,
    )


def top_up(amount: str, day: date) -> TransactionIn:
    return txn(amount, debit=chart.USE_MAINTENANCE, credit=chart.BANK, kind="reserve", day=day)


def setup(books: Books, slug: str) -> None:
    journal.post(
        books=books,
        slug=slug,
        draft=txn("50000.00", credit=chart.OPENING, kind="opening", day=date(2024, 12, 31)),
        actor="treasurer",
    )
    add_resolution(
        books,
        slug,
        "2025-02",
        matter=8,
        purpose=("income",),
        title="经营性使用",
        voted_on=VOTED,
        effective_from=VOTED,
    )


def balance(books: Books, slug: str, account: str, on: date) -> Decimal:
    with Session(books.engine) as session:
        community = books.community(session, slug)
        return books.balances(session, community.id, on).get(account, Decimal("0.00"))


def test_a_half_year_fee_paid_in_q1_is_income_of_q1_and_q2(books: Books, community: str) -> None:
    setup(books, community)
    add(books=books, slug=community, body=contract(), actor="treasurer")
    journal.post(
        books=books,
        slug=community,
        draft=receipt("6000.00", date(2025, 1, 15), "C-2025-01"),
        actor="treasurer",
    )
    journal.post(books=books, slug=community, draft=top_up("1600.00", date(2025, 3, 28)), actor="t")
    close(books=books, slug=community, period="2025Q1", actor="approver")
    q1 = (date(2025, 1, 1), date(2025, 3, 31))
    assert balance(books, community, chart.INCOME_ADS, q1[1]) == Decimal("-3000.00")
    assert balance(books, community, chart.RENT_IN_ADVANCE, q1[1]) == Decimal("-3000.00")
    journal.post(books=books, slug=community, draft=top_up("1600.00", date(2025, 6, 28)), actor="t")
    close(books=books, slug=community, period="2025Q2", actor="approver")
    # Q2 earned the other 3,000.00: released from 2203, nothing left received in advance.
    assert balance(books, community, chart.INCOME_ADS, date(2025, 6, 30)) == Decimal("-6000.00")
    assert balance(books, community, chart.RENT_IN_ADVANCE, date(2025, 6, 30)) == 0
    with Session(books.engine) as session:
        accruals = session.execute(
            select(col(Entry.date), col(Entry.contract), col(Entry.text))
            .where(col(Entry.kind) == "accrual")
            .order_by(col(Entry.seq))
        ).all()
    assert [(d, c) for d, c, _ in accruals] == [
        (date(2025, 3, 31), "C-2025-01"),
        (date(2025, 6, 30), "C-2025-01"),
    ]
    assert all('  contract: "C-2025-01"' in text for _, _, text in accruals)
    report = verify(books=books, slug=community)
    assert report.ok, report
    _entries, errors, _ = loader.load_file(str(books.community_dir(community) / "ledger.beancount"))
    assert errors == []


def test_the_reserve_reads_the_income_the_period_recognised(books: Books, community: str) -> None:
    """Q2 received nothing but earned 3,000.00: more than half of it must be set aside."""
    setup(books, community)
    add(books=books, slug=community, body=contract(), actor="treasurer")
    journal.post(
        books=books,
        slug=community,
        draft=receipt("6000.00", date(2025, 1, 15), "C-2025-01"),
        actor="treasurer",
    )
    journal.post(books=books, slug=community, draft=top_up("1600.00", date(2025, 3, 28)), actor="t")
    close(books=books, slug=community, period="2025Q1", actor="approver")
    with pytest.raises(RuleViolations) as refused:
        close(books=books, slug=community, period="2025Q2", actor="approver")
    problem = refused.value.problems[0]
    assert problem.rule == "reserve-share"
    assert problem.details["income"] == "3000.00"
    assert problem.details["shortfall"] == "1500.01"
    with Session(books.engine) as session:  # nothing of the refused close was written
        assert (
            session.execute(select(func.count()).where(col(Entry.kind) == "accrual")).scalar_one()
            == 1
        )


def test_a_late_payment_is_a_receivable_until_paid(books: Books, community: str) -> None:
    setup(books, community)
    rooms = contract(
        number="C-2025-02",
        space="公共用房 101",
        kind="room",
        income_account=chart.INCOME_ROOMS,
        schedule={"every": "quarter", "amount": "5000.00", "due_day": 10},
    )
    add(books=books, slug=community, body=rooms, actor="treasurer")
    journal.post(
        books=books,
        slug=community,
        draft=receipt("5000.00", date(2025, 1, 10), "C-2025-02", chart.INCOME_ROOMS),
        actor="treasurer",
    )
    for day in (date(2025, 3, 28), date(2025, 6, 28)):
        journal.post(books=books, slug=community, draft=top_up("2600.00", day), actor="t")
    close(books=books, slug=community, period="2025Q1", actor="approver")
    close(books=books, slug=community, period="2025Q2", actor="approver")
    # Q2's rent fell due on 04-10 and was not paid: a receivable, and income of Q2.
    assert balance(books, community, chart.RECEIVABLE, date(2025, 6, 30)) == Decimal("5000.00")
    assert balance(books, community, chart.INCOME_ROOMS, date(2025, 6, 30)) == Decimal("-10000.00")
    owed = receivables(books=books, slug=community, on=date(2025, 7, 20))["contracts"][0]
    assert owed["due"] == "15000.00"  # Q3's instalment fell due on 07-10
    assert owed["overdue"] == "10000.00"
    assert owed["ageing"] == {
        "0-30": "5000.00",
        "31-90": "0.00",
        "91-180": "5000.00",
        "180+": "0.00",
    }
    journal.post(
        books=books,
        slug=community,
        draft=receipt("10000.00", date(2025, 7, 20), "C-2025-02", chart.INCOME_ROOMS),
        actor="treasurer",
    )
    journal.post(books=books, slug=community, draft=top_up("2600.00", date(2025, 9, 28)), actor="t")
    close(books=books, slug=community, period="2025Q3", actor="approver")
    assert balance(books, community, chart.RECEIVABLE, date(2025, 9, 30)) == 0
    # Q3 recognised its own 5,000.00 only: the other 5,000.00 settled Q2's receivable.
    assert balance(books, community, chart.INCOME_ROOMS, date(2025, 9, 30)) == Decimal("-15000.00")
    assert (
        receivables(books=books, slug=community, on=date(2025, 9, 30))["contracts"][0]["overdue"]
        == "0.00"
    )


def test_arrears_are_aged_oldest_first(books: Books, community: str) -> None:
    setup(books, community)
    monthly = contract(
        number="C-2025-03",
        space="快递柜",
        kind="locker",
        income_account=chart.INCOME_OTHER,
        schedule={"every": "month", "amount": "1000.00", "due_day": 1},
    )
    add(books=books, slug=community, body=monthly, actor="treasurer")
    journal.post(
        books=books,
        slug=community,
        draft=receipt("2000.00", date(2025, 2, 3), "C-2025-03", chart.INCOME_OTHER),
        actor="treasurer",
    )
    out = receivables(books=books, slug=community, on=date(2025, 7, 15))
    assert out["date"] == "2025-07-15"
    (row,) = out["contracts"]
    assert (row["due"], row["received"], row["overdue"]) == ("7000.00", "2000.00", "5000.00")
    # Jan and Feb settled; Mar (136 days) and Apr (105) are 91-180; May, Jun 31-90; Jul 0-30.
    assert row["ageing"] == {
        "0-30": "1000.00",
        "31-90": "2000.00",
        "91-180": "2000.00",
        "180+": "0.00",
    }
    assert row["compliant"] is True


def test_a_contract_without_a_passed_business_use_resolution_is_registered_but_flagged(
    books: Books, community: str
) -> None:
    setup(books, community)
    add_resolution(
        books,
        community,
        "2025-09",
        matter=8,
        passed=False,
        title="广告牌",
        voted_on=VOTED,
        effective_from=VOTED,
    )
    none = add(books=books, slug=community, body=contract(resolution=None), actor="t")
    failed = add(
        books=books,
        slug=community,
        body=contract(number="C-2025-09", space="入口广告牌", resolution="2025-09"),
        actor="t",
    )
    assert (none.compliant, failed.compliant) == (False, False)
    # The issues in the reader's language: Chinese by default.
    assert none.issues == [
        "没有业主决议批准将共有部分用于经营（《民法典》第二百七十八条第一款第（八）项，须 3/4）"
    ]
    assert failed.issues == ["决议 2025-09 未通过"]
    listed = listing(books=books, slug=community, lang="en")
    assert [c.number for c in listed] == ["C-2025-01", "C-2025-09"]
    assert listed[0].issues == [
        "no resolution approves this business use of a common part (民法典 art. 278 (八), 3/4)"
    ]
    assert listed[1].issues == ["resolution 2025-09 did not pass"]


def test_every_compliance_issue_reads_in_chinese_and_in_english() -> None:
    from ledger.models import Contract

    row = Contract(
        community_id="c",
        number="C-1",
        counterparty="某广告公司",
        space="电梯广告位",
        kind="advertising",
        resolution="2025-07",
        start=date(2025, 1, 1),
        end=date(2026, 6, 30),
        deposit_fen=0,
        every="month",
        amount_fen=100000,
        due_day=1,
        in_advance=True,
        income_account=chart.INCOME_ADS,
        created_by="t",
    )
    resolution = ResolutionFact(
        number="2025-07",
        title="广告",
        matter=9,
        passed=False,
        voted_on=date(2025, 1, 10),
        effective_from=date(2025, 2, 1),
        expires_on=date(2025, 12, 31),
        budget=Decimal("0.00"),
        purpose=("income",),
    )
    issues = compliance(contract_fact(row), {"2025-07": resolution})
    assert [i.render("zh") for i in issues] == [
        "决议 2025-07 未通过",
        "决议 2025-07 表决的是第 9 项事项，而非将共有部分用于经营"
        "（《民法典》第二百七十八条第一款第（八）项，须 3/4）",
        "合同期至 2026-06-30，晚于决议 2025-07 的失效日 2025-12-31",
        "合同期自 2025-01-01 起，早于决议 2025-07 的生效日（2025-02-01）",
    ]
    assert [i.render("en") for i in issues] == [
        "resolution 2025-07 did not pass",
        "resolution 2025-07 is a matter (9), not a business use of common parts "
        "(民法典 art. 278 (八), which needs 3/4)",
        "the term runs to 2026-06-30, past resolution 2025-07's expiry 2025-12-31",
        "the term starts on 2025-01-01, before resolution 2025-07 took effect (2025-02-01)",
    ]
    unknown = compliance(contract_fact(row), {})
    assert [i.render("zh") for i in unknown] == ["决议 2025-07 不在决议登记中"]
    assert [i.render("en") for i in unknown] == ["resolution 2025-07 is not in the register"]


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        (
            {"schedule": {"every": "quarter", "amount": "6000.00"}, "end": "2025-05-31"},
            "schedule.every",
            "schedule-term",
        ),
        ({"start": "2025-01-05"}, "start", "term"),
        ({"end": "2024-12-31"}, "end", "term"),
        ({"income_account": "Income:4301-共有收益:99-不存在"}, "income_account", "known-account"),
        ({"income_account": chart.DEPOSITS}, "income_account", "income-account"),
        ({"schedule": {"every": "month", "amount": "0.00"}}, "schedule.amount", "schedule-amount"),
    ],
)
def test_a_bad_contract_is_refused_naming_the_field(
    books: Books, community: str, changes: dict[str, Any], field: str, rule: str
) -> None:
    setup(books, community)
    with pytest.raises(ValidationFailed) as refused:
        add(books=books, slug=community, body=contract(**changes), actor="t")
    assert (refused.value.problems[0].field, refused.value.problems[0].rule) == (field, rule)
    assert listing(books=books, slug=community) == []


def test_overlapping_terms_for_one_space_are_refused(books: Books, community: str) -> None:
    setup(books, community)
    add(books=books, slug=community, body=contract(), actor="t")
    with pytest.raises(StateConflict) as refused:
        add(
            books=books,
            slug=community,
            body=contract(number="C-2025-05", space=" 电梯广告位", start="2025-07-01"),
            actor="t",
        )
    assert refused.value.problems[0].field == "space"
    assert refused.value.problems[0].details["contract"] == "C-2025-01"
    with pytest.raises(StateConflict) as again:
        add(books=books, slug=community, body=contract(space="别处"), actor="t")
    assert again.value.problems[0].field == "number"
    # The next term of the same space is fine.
    add(
        books=books,
        slug=community,
        body=contract(number="C-2026-01", start="2026-01-01", end="2026-12-31"),
        actor="t",
    )


def _posted(books: Books) -> int:
    with Session(books.engine) as session:
        return int(session.execute(select(func.count()).select_from(Entry)).scalar_one())


def test_a_receipt_citing_an_unknown_or_ended_contract_is_refused(
    books: Books, community: str
) -> None:
    setup(books, community)
    add(books=books, slug=community, body=contract(end="2025-06-30"), actor="t")
    before = _posted(books)
    with pytest.raises(RuleViolations) as unknown:
        journal.post(
            books=books,
            slug=community,
            draft=receipt("6000.00", date(2025, 1, 15), "C-9999"),
            actor="treasurer",
        )
    assert (unknown.value.problems[0].field, unknown.value.problems[0].rule) == (
        "contract",
        "contract-unknown",
    )
    journal.post(
        books=books,
        slug=community,
        draft=receipt("6000.00", date(2025, 1, 15), "C-2025-01"),
        actor="treasurer",
    )
    with pytest.raises(RuleViolations) as ended:
        journal.post(
            books=books,
            slug=community,
            draft=receipt("6000.00", date(2025, 7, 15), "C-2025-01"),
            actor="treasurer",
        )
    assert (ended.value.problems[0].field, ended.value.problems[0].rule) == (
        "contract",
        "contract-ended",
    )
    with pytest.raises(RuleViolations) as elsewhere:
        journal.post(
            books=books,
            slug=community,
            draft=receipt("100.00", date(2025, 2, 1), "C-2025-01", chart.INCOME_PARKING),
            actor="treasurer",
        )
    assert elsewhere.value.problems[0].rule == "contract-account"
    assert _posted(books) == before + 1


def test_arrears_may_still_be_paid_after_the_end(books: Books, community: str) -> None:
    setup(books, community)
    add(books=books, slug=community, body=contract(end="2025-06-30"), actor="t")
    posted = journal.post(
        books=books,
        slug=community,
        draft=receipt("6000.00", date(2025, 7, 15), "C-2025-01"),
        actor="treasurer",
    )
    assert posted.status == "posted"
    assert posted.entry.contract == "C-2025-01"


def test_a_net_remittance_is_booked_gross_with_the_managers_share_as_its_cost(
    books: Books, community: str
) -> None:
    setup(books, community)
    parking = contract(
        number="C-2025-06",
        space="地面停车场",
        kind="parking",
        income_account=chart.INCOME_PARKING,
        schedule={"every": "month", "amount": "8000.00", "due_day": 5},
        manager_share="0.30",
    )
    add(books=books, slug=community, body=parking, actor="t")
    with pytest.raises(RuleViolations) as net:
        journal.post(
            books=books,
            slug=community,
            draft=receipt("5600.00", date(2025, 1, 5), "C-2025-06", chart.INCOME_PARKING),
            actor="treasurer",
        )
    assert net.value.problems[0].rule == "contract-gross"
    assert net.value.problems[0].details["expected"] == "1680.00"
    gross = TransactionIn(
        date=date(2025, 1, 5),
        payee="停车管理公司",
        narration="1月停车费(扣除30%分成后汇入)",
        kind="income",
        postings=[
            PostingIn(account=chart.BANK, amount=Decimal("5600.00")),
            PostingIn(account=chart.COST_MANAGER_SHARE, amount=Decimal("2400.00")),
            PostingIn(account=chart.INCOME_PARKING, amount=Decimal("-8000.00")),
        ],
        contract="C-2025-06",
    )
    assert journal.post(books=books, slug=community, draft=gross, actor="t").status == "posted"


def test_a_deposit_is_a_liability_never_income(books: Books, community: str) -> None:
    setup(books, community)
    add(books=books, slug=community, body=contract(), actor="t")
    deposit = receipt("2000.00", date(2025, 1, 2), "C-2025-01", chart.DEPOSITS)
    assert journal.post(books=books, slug=community, draft=deposit, actor="t").status == "posted"
    owed = receivables(books=books, slug=community, on=date(2025, 1, 20))["contracts"][0]
    assert owed["received"] == "0.00"
    assert owed["overdue"] == "6000.00"


def test_an_old_entry_renders_as_before_and_the_contract_only_when_cited(
    books: Books, community: str
) -> None:
    setup(books, community)
    add(books=books, slug=community, body=contract(), actor="t")
    plain = journal.post(
        books=books, slug=community, draft=txn("100.00", day=date(2025, 1, 3)), actor="t"
    )
    cited = journal.post(
        books=books,
        slug=community,
        draft=receipt("6000.00", date(2025, 1, 15), "C-2025-01"),
        actor="t",
    )
    with Session(books.engine) as session:
        texts = {
            e.id: e.text for e in session.execute(select(Entry)).scalars() if e.text is not None
        }
    assert "contract:" not in texts[plain.id]
    assert '  contract: "C-2025-01"\n' in texts[cited.id]
    assert "contract" not in txn("1.00").fingerprint_body()


def test_a_backup_keeps_the_contracts_and_the_budget(
    books: Books, community: str, tmp_path: Any
) -> None:
    """Found: the backup listed its tables by hand, and would have restored books without
    their contracts and budget."""
    from api.books import open_books
    from api.settings import Settings
    from ledger.backup import backup, restore
    from rules.budget import BudgetIn, actuals, set_budget

    setup(books, community)
    add(books=books, slug=community, body=contract(), actor="t")
    lines = [{"account": chart.COST_DIRECT, "period": "2025Q1", "amount": "10.00"}]
    body = BudgetIn.model_validate({"year": 2025, "resolution": "2025-02", "lines": lines})
    set_budget(books=books, slug=community, body=body, actor="chair")
    backup(books=books, slug=community, out=tmp_path / "b.tar.gz")
    target = open_books(Settings(data=tmp_path / "restored"))
    try:
        restore(books=target, archive=tmp_path / "b.tar.gz")
        assert [c.number for c in listing(books=target, slug=community)] == ["C-2025-01"]
        assert actuals(books=target, slug=community, year=2025).lines[0]["budget"] == "10.00"
    finally:
        target.dispose()


def test_the_years_closing_entry_takes_in_the_accrual_of_its_last_quarter(
    books: Books, community: str
) -> None:
    """A year's fee paid in October: Q4 earned 3,000.00 of it, the rest is owed back in
    2026's quarters; the closing entry closes the 3,000.00 the accrual left in income."""
    setup(books, community)
    yearly = contract(
        start="2025-10-01",
        end="2026-09-30",
        schedule={"every": "year", "amount": "12000.00", "due_day": 15},
    )
    add(books=books, slug=community, body=yearly, actor="t")
    journal.post(
        books=books,
        slug=community,
        draft=receipt("12000.00", date(2025, 10, 15), "C-2025-01"),
        actor="t",
    )
    journal.post(books=books, slug=community, draft=top_up("1600.00", date(2025, 12, 1)), actor="t")
    close(books=books, slug=community, period="2025", actor="approver")
    assert balance(books, community, chart.INCOME_ADS, date(2025, 12, 31)) == 0
    assert balance(books, community, chart.RENT_IN_ADVANCE, date(2025, 12, 31)) == Decimal(
        "-9000.00"
    )
    # 3101 took the year's result: 3,000.00 earned less the 1,600.00 set aside.
    assert balance(books, community, chart.UNRESTRICTED, date(2025, 12, 31)) == Decimal("-1400.00")
    report = verify(books, community)
    assert report.ok, report
