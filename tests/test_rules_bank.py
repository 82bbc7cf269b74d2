"""The bank statement: the two shipped layouts read the sample exports (GB18030 CSV, XLSX);
a re-import adds nothing; a broken running balance, a bad total, a bad date, a missing column
or the wrong encoding is refused naming the line, with nothing written; lines match posted
entries; the rest are proposals confirmed through the posting path; the reconciliation comes
to zero; and a period does not close while a reconciliation shows something unexplained."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select
from sqlmodel import Session

from ledger import chart, journal
from ledger.books import Books
from ledger.errors import LedgerError, StateConflict, ValidationFailed
from ledger.models import BankLine
from ledger.schemas import PostingIn, TransactionIn
from rules import bank
from rules.periods import close
from tests.conftest import txn
from tests.rules_helpers import set_rules_text

FIXTURES = Path(__file__).parent / "fixtures" / "bank"
CSV = FIXTURES / "bank-statement-gbk.csv"
XLSX = FIXTURES / "bank-statement.xlsx"
BANK = chart.BANK
SLUG = "maple"
#: No reserve to set aside, so a quarter's close is decided by the bank alone.
NO_RESERVE = (
    '[[version]]\neffective_from = 2000-01-01\nreserve_share_min = "0.00"\n'
    'reserve_comparison = "at_least"\n'
)


@pytest.fixture(autouse=True)
def _in_may_2025() -> Iterator[None]:
    """Every statement here is of March and April 2025, and their quarter has ended."""
    with freeze_time("2025-05-10 10:00:00"):
        yield


def _count(books: Books) -> int:
    with Session(books.engine) as session:
        return int(session.execute(select(func.count()).select_from(BankLine)).scalar_one())


def _import(books: Books, path: Path, layout: str | None = None) -> bank.ImportOut:
    reads = bank.read_file(path.read_bytes(), path.name, BANK, layout)
    return bank.import_lines(
        books=books, slug=SLUG, account=BANK, reads=reads, actor="treasurer", source=path.name
    )


def _post(books: Books, draft: TransactionIn, actor: str = "treasurer") -> str:
    return journal.post(books=books, slug=SLUG, draft=draft, actor=actor).id


def _opening(books: Books, amount: str = "47822.65") -> None:
    _post(books, txn(amount, credit=chart.OPENING, day=date(2024, 12, 31), kind="opening"))


def _march_entries(books: Books) -> dict[str, str]:
    """What the treasurer booked in March: three of the statement's lines, and a payment
    made on the 30th that the bank had not cleared by the 31st."""
    return {
        "parking": _post(books, txn("9600.00", day=date(2025, 3, 5), payee="枫林停车管理有限公司")),
        "ads": _post(
            books,
            txn(
                "6000.00",
                credit=chart.INCOME_ADS,
                day=date(2025, 3, 9),
                payee="某某传媒广告有限公司",
                narration="广告费",
            ),
        ),
        "cleaning": _post(
            books,
            txn(
                "1200.00",
                debit=chart.COST_DIRECT,
                credit=BANK,
                day=date(2025, 3, 12),
                kind="cost",
                payee="杭州洁美保洁服务有限公司",
                narration="保洁",
            ),
        ),
        "cheque": _post(
            books,
            txn(
                "300.00",
                debit=chart.COST_DIRECT,
                credit=BANK,
                day=date(2025, 3, 30),
                kind="cost",
                payee="五金店",
                narration="支票付款，银行未兑付",
            ),
        ),
    }


# --- reading the samples -------------------------------------------------------------------


def test_the_two_presets_read_the_sample_exports_oldest_first() -> None:
    march = bank.read_file(CSV.read_bytes(), CSV.name, BANK, None)  # the preset that fits
    assert [r.where for r in march] == [f"line {n}" for n in (12, 11, 10, 9, 8, 7)]
    assert [str(r.line.amount) for r in march] == [
        "9600.00",
        "6000.00",
        "-1200.00",
        "-5.00",
        "-800.00",
        "18.62",
    ]
    assert march[0].line.counterparty == "枫林停车管理有限公司"
    assert march[0].line.reference == "ZX20250305000351"
    assert march[-1].line.balance == Decimal("61436.27")
    april = bank.read_file(XLSX.read_bytes(), XLSX.name, BANK, "xlsx-income-expense")
    assert [(r.line.date, str(r.line.amount)) for r in april] == [
        (date(2025, 4, 3), "9600.00"),
        (date(2025, 4, 8), "-3200.00"),
        (date(2025, 4, 15), "15000.00"),
        (date(2025, 4, 30), "21.35"),
    ]
    assert april[-1].line.balance == Decimal("82857.62") and april[-1].line.memo == "利息"


def test_the_importer_is_a_beangulp_importer(tmp_path: Path) -> None:
    importer = bank.StatementImporter(bank.presets()["csv-debit-credit"], BANK)
    assert importer.identify(str(CSV)) and not importer.identify(str(XLSX))
    entries = importer.extract(str(CSV), [])
    assert len(entries) == 6
    first = entries[0]
    assert first.postings[0].account == BANK
    assert str(first.postings[0].units.number) == "9600.00"
    assert first.meta["reference"] == "ZX20250305000351" and first.meta["balance"] == "57422.65"


def _csv(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "statement.csv"
    path.write_bytes(text.encode(encoding))
    return path


HEADER = "交易日期,摘要,对方户名,对方账号,借方发生额(支出),贷方发生额(收入),余额,交易流水号\n"


def _refusal(path: Path, layout: str | None = "csv-debit-credit") -> ValidationFailed:
    with pytest.raises(ValidationFailed) as refused:
        bank.read_file(path.read_bytes(), path.name, BANK, layout)
    return refused.value


def test_malformed_files_are_refused_naming_the_line(tmp_path: Path) -> None:
    # Newest first, as the layout says: line 3 is the later one.
    future = _csv(
        tmp_path,
        HEADER + "2025-03-06,收入,甲,1,,10.00,110.00,R2\n2099-03-05,收入,甲,1,,100.00,100.00,R1\n",
    )
    problem = _refusal(future).problems[0]
    assert problem.field == "line 3" and "in the future" in problem.text.render("en")

    missing = _csv(
        tmp_path, "交易日期,摘要,对方户名,借方发生额(支出),贷方发生额(收入),交易流水号\n"
    )
    problem = _refusal(missing).problems[0]
    assert problem.rule == "bank-columns" and "余额 (balance)" in problem.text.render("en")

    wrong_total = _csv(
        tmp_path,
        HEADER + "2025-03-05,收入,甲,1,,100.00,100.00,R1\n合计,,,,0.00,999.00,,\n",
    )
    problem = _refusal(wrong_total).problems[0]
    assert (problem.field, problem.rule) == ("line 3", "bank-total")
    assert "999.00" in problem.text.render("en") and "100.00" in problem.text.render("en")

    after_total = _csv(
        tmp_path,
        HEADER + "合计,,,,,,,\n2025-03-05,收入,甲,1,,100.00,100.00,R1\n",
    )
    assert _refusal(after_total).problems[0].field == "line 3"

    not_a_date = _csv(tmp_path, HEADER + "总计,,,,,100.00,,\n")
    problem = _refusal(not_a_date).problems[0]
    assert (problem.field, problem.rule) == ("line 2", "bank-date")

    both = _csv(tmp_path, HEADER + "2025-03-05,收入,甲,1,5.00,100.00,100.00,R1\n")
    assert _refusal(both).problems[0].rule == "bank-amount"


def test_a_file_in_another_encoding_is_refused(tmp_path: Path) -> None:
    layout = tmp_path / "utf8-only.toml"
    preset = (bank.LAYOUTS.replace(".", "/"), "csv-debit-credit.toml")
    text = (Path(__file__).parent.parent / preset[0] / preset[1]).read_text(encoding="utf-8")
    layout.write_text(
        text.replace('name = "csv-debit-credit"', 'name = "utf8-only"').replace(
            'encodings = ["utf-8-sig", "gb18030"]', 'encodings = ["utf-8"]'
        ),
        encoding="utf-8",
    )
    problem = _refusal(CSV, str(layout)).problems[0]
    assert problem.rule == "bank-encoding" and problem.field == "line 1"
    assert "utf-8" in problem.text.render("en")


def test_a_broken_running_balance_is_refused_with_its_line(
    books: Books, community: str, tmp_path: Path
) -> None:
    text = CSV.read_bytes().decode("gb18030").replace("62,217.65", "62,117.65", 1)
    broken = tmp_path / "broken.csv"
    broken.write_bytes(text.encode("gb18030"))
    with pytest.raises(ValidationFailed) as refused:
        _import(books, broken)
    fields = [p.field for p in refused.value.problems]
    # 03-25 (line 9) no longer follows from 03-12, and 03-28 (line 8) not from 03-25.
    assert fields == ["line 9", "line 8"]
    assert refused.value.problems[0].rule == "bank-balance"
    assert "62117.65" in refused.value.problems[0].text.render("en").replace(",", "")
    assert _count(books) == 0


# --- import, matching, proposals, reconciliation --------------------------------------------


def test_import_matches_entries_and_reimport_adds_nothing(books: Books, community: str) -> None:
    _opening(books)
    booked = _march_entries(books)
    out = _import(books, CSV)
    assert (out.imported, out.duplicates, out.matched) == (6, 0, 3)
    with Session(books.engine) as session:
        matched = {
            row.reference: row.entry_id
            for row in session.execute(select(BankLine)).scalars()
            if row.entry_id
        }
    assert matched == {
        "ZX20250305000351": booked["parking"],
        "ZX20250310001874": booked["ads"],  # booked a day before the bank's date
        "ZX20250312002290": booked["cleaning"],
    }
    assert [(p.line.reference, p.draft.postings[1].account) for p in out.proposals] == [
        ("ZX20250325000093", chart.USE_BANK_FEES),
        ("ZX20250328004412", chart.OTHER_EXPENSE),
        ("ZX20250331000117", chart.INCOME_INTEREST),
    ]
    again = _import(books, CSV)
    assert (again.imported, again.duplicates, again.matched, again.proposals) == (0, 6, 0, [])
    assert _count(books) == 6
    # April follows on from March; a statement leaving a gap would not.
    april = _import(books, XLSX)
    assert (april.imported, april.duplicates) == (4, 0)


def test_a_statement_that_does_not_follow_the_last_one_is_refused(
    books: Books, community: str
) -> None:
    _import(books, CSV)
    gap = bank.StatementIn(
        account=BANK,
        lines=[
            bank.LineIn(date=date(2025, 4, 2), amount=Decimal("10.00"), balance=Decimal("70000.00"))
        ],
    )
    with pytest.raises(ValidationFailed) as refused:
        bank.import_lines(
            books=books,
            slug=SLUG,
            account=BANK,
            reads=bank.lines_of_json(gap, today=date(2025, 5, 10)),
            actor="treasurer",
        )
    assert refused.value.problems[0].rule == "bank-balance"
    assert refused.value.problems[0].field == "lines[0]"
    assert _count(books) == 6


def test_proposals_are_confirmed_through_the_posting_path_and_the_books_reconcile(
    books: Books, community: str
) -> None:
    _opening(books)
    booked = _march_entries(books)
    out = _import(books, CSV)
    fee, greening, interest = (p.line.id for p in out.proposals)

    before = bank.reconcile(books=books, slug=SLUG, account=BANK, day=date(2025, 3, 31))
    assert before.bank_balance == Decimal("61436.27")
    assert before.open_lines == 3
    assert before.difference == 0  # timing items only: they explain it all

    confirmed, created = bank.confirm(
        books=books, slug=SLUG, line_id=fee, draft=None, actor="treasurer"
    )
    assert created and confirmed.entry.status == "posted"
    assert confirmed.line.status == "matched" and confirmed.line.entry == confirmed.entry.id
    # Edited: the greening was a direct cost, not "other expenses".
    edited = TransactionIn(
        date=date(2025, 3, 28),
        payee="绿城园林绿化工程有限公司",
        narration="绿化养护",
        kind="cost",
        postings=[
            PostingIn(account=BANK, amount=Decimal("-800.00")),
            PostingIn(account=chart.COST_DIRECT, amount=Decimal("800.00")),
        ],
    )
    bank.confirm(books=books, slug=SLUG, line_id=greening, draft=edited, actor="treasurer")
    # An edit that does not put the line's amount on the account is refused.
    wrong = edited.model_copy(
        update={
            "postings": [
                PostingIn(account=BANK, amount=Decimal("18.00")),
                PostingIn(account=chart.INCOME_INTEREST, amount=Decimal("-18.00")),
            ]
        }
    )
    with pytest.raises(ValidationFailed) as refused:
        bank.confirm(books=books, slug=SLUG, line_id=interest, draft=wrong, actor="treasurer")
    assert refused.value.problems[0].rule == "bank-proposal"
    bank.confirm(books=books, slug=SLUG, line_id=interest, draft=None, actor="treasurer")
    with pytest.raises(StateConflict):
        bank.confirm(books=books, slug=SLUG, line_id=interest, draft=None, actor="treasurer")

    after = bank.reconcile(books=books, slug=SLUG, account=BANK, day=date(2025, 3, 31))
    assert after.book_balance == Decimal("61136.27")  # the uncleared 300.00 cheque
    assert after.bank_balance == Decimal("61436.27")
    assert [(i.entry, i.amount) for i in after.book_only] == [
        (booked["cheque"], Decimal("-300.00"))
    ]
    assert after.bank_only == []
    assert after.adjusted_book_balance == after.adjusted_bank_balance == Decimal("61136.27")
    assert (after.difference, after.open_lines) == (Decimal("0.00"), 0)


def test_a_proposal_over_the_threshold_waits_for_approval(books: Books, community: str) -> None:
    _opening(books, "100000.00")
    statement = bank.StatementIn(
        account=BANK,
        lines=[
            bank.LineIn(
                date=date(2025, 4, 1),
                amount=Decimal("-6000.00"),
                balance=Decimal("94000.00"),
                counterparty="电梯公司",
                reference="R-1",
            )
        ],
    )
    reads = bank.lines_of_json(statement, today=date(2025, 5, 10))
    out = bank.import_lines(books=books, slug=SLUG, account=BANK, reads=reads, actor="treasurer")
    confirmed, _ = bank.confirm(
        books=books, slug=SLUG, line_id=out.proposals[0].line.id, draft=None, actor="treasurer"
    )
    assert confirmed.entry.status == "pending"  # four eyes, as any spending of 6,000


def test_a_close_waits_for_the_bank_reconciliation(books: Books, community: str) -> None:
    set_rules_text(books, SLUG, NO_RESERVE)
    _opening(books)
    _march_entries(books)
    out = _import(books, CSV)
    with pytest.raises(StateConflict) as refused:
        close(books=books, slug=SLUG, period="2025Q1", actor="approver")
    problem = refused.value.problems[0]
    assert problem.rule == "reconcile-before-close"
    assert problem.details["account"] == BANK and problem.details["date"] == "2025-03-31"
    assert problem.details["open_lines"] == 3
    for proposal in out.proposals:
        bank.confirm(
            books=books, slug=SLUG, line_id=proposal.line.id, draft=None, actor="treasurer"
        )
    assert [c.close.period for c in close(books=books, slug=SLUG, period="2025Q1", actor="a")] == [
        "2025Q1"
    ]


def test_an_unexplained_difference_holds_the_close_until_the_setting_is_off(
    books: Books, community: str
) -> None:
    set_rules_text(books, SLUG, NO_RESERVE)
    _opening(books, "47000.00")  # the books started 822.65 short of the bank
    _march_entries(books)
    out = _import(books, CSV)
    for proposal in out.proposals:
        bank.confirm(
            books=books, slug=SLUG, line_id=proposal.line.id, draft=None, actor="treasurer"
        )
    found = bank.reconcile(books=books, slug=SLUG, account=BANK, day=date(2025, 3, 31))
    assert found.difference == Decimal("-822.65")
    with pytest.raises(StateConflict) as refused:
        close(books=books, slug=SLUG, period="2025Q1", actor="approver")
    assert refused.value.problems[0].details["difference"] == "-822.65"
    assert "-822.65" in refused.value.problems[0].text.render("en")
    set_rules_text(books, SLUG, NO_RESERVE + "reconcile_before_close = false\n")
    assert close(books=books, slug=SLUG, period="2025Q1", actor="approver")


def test_accounts_without_statements_do_not_hold_up_a_close(books: Books, community: str) -> None:
    set_rules_text(books, SLUG, NO_RESERVE)
    _opening(books, "47000.00")
    assert close(books=books, slug=SLUG, period="2025Q1", actor="approver")


def test_a_dismissed_line_is_explained_but_stays_on_the_bank_side(
    books: Books, community: str
) -> None:
    _opening(books)
    _march_entries(books)
    out = _import(books, CSV)
    line = bank.dismiss(
        books=books,
        slug=SLUG,
        line_id=out.proposals[0].line.id,
        reason="银行误扣，已申请退回",
        actor="treasurer",
    )
    assert line.status == "dismissed"
    found = bank.reconcile(books=books, slug=SLUG, account=BANK, day=date(2025, 3, 31))
    assert next((i.amount, i.status) for i in found.bank_only) == (
        Decimal("-5.00"),
        "dismissed: 银行误扣，已申请退回",
    )
    assert found.open_lines == 2
    with pytest.raises(StateConflict):
        bank.dismiss(books=books, slug=SLUG, line_id=line.id, reason="again", actor="treasurer")


def test_a_statement_for_an_account_that_is_not_a_bank_is_refused(
    books: Books, community: str
) -> None:
    statement = bank.StatementIn(
        account=chart.INCOME_PARKING,
        lines=[bank.LineIn(date=date(2025, 3, 1), amount=Decimal("1.00"), balance=Decimal("1.00"))],
    )
    with pytest.raises(LedgerError) as refused:
        bank.import_lines(
            books=books,
            slug=SLUG,
            account=chart.INCOME_PARKING,
            reads=bank.lines_of_json(statement, today=date(2025, 5, 10)),
            actor="treasurer",
        )
    assert refused.value.problems[0].rule == "bank-account"
    assert _count(books) == 0
