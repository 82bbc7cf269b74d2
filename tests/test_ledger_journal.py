"""The posting pipeline through its public functions, on a real SQLite file."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from beancount import loader
from beancount.core import data
from freezegun import freeze_time
from sqlalchemy import func, select
from sqlmodel import Session

from ledger import chart, journal
from ledger.books import Books
from ledger.errors import (
    AlreadyReversed,
    Forbidden,
    IdempotencyConflict,
    StateConflict,
    ValidationFailed,
)
from ledger.models import Entry, Event, Posting
from ledger.render import chain_hash, genesis_hash
from ledger.schemas import PostingIn, TransactionIn
from tests.conftest import txn
from tests.rules_helpers import add_resolution


def counts(books: Books) -> tuple[int, int, int]:
    with Session(books.engine) as session:
        return (
            session.execute(select(func.count()).select_from(Entry)).scalar_one(),
            session.execute(select(func.count()).select_from(Posting)).scalar_one(),
            session.execute(select(func.count()).select_from(Event)).scalar_one(),
        )


def transactions_in_projection(books: Books, slug: str) -> list[data.Transaction]:
    entries, errors, _ = loader.load_file(str(books.projection(slug).path))
    assert errors == []
    return [e for e in entries if isinstance(e, data.Transaction)]


def test_post_writes_entry_chain_event_and_projection(books: Books, community: str) -> None:
    first = journal.post(books=books, slug=community, draft=txn("9600.00"), actor="alice")
    second = journal.post(books=books, slug=community, draft=txn("80.00"), actor="alice")

    assert first.created and first.entry.status == "posted"
    assert (first.entry.seq, second.entry.seq) == (1, 2)
    with Session(books.engine) as session:
        community_id = books.community(session, community).id
        row = session.get(Entry, first.entry.id)
        assert row is not None and row.text is not None
        assert row.prev_hash == genesis_hash(community_id)
        assert row.hash == chain_hash(row.prev_hash, row.text)
    assert second.entry.prev_hash == first.entry.hash
    # 2 entries, 4 postings; events: the community, its first rules, 2 posts
    assert counts(books) == (2, 4, 4)

    txns = transactions_in_projection(books, community)
    assert [t.meta["hash"] for t in txns] == [first.entry.hash, second.entry.hash]
    assert txns[0].postings[0].units.number == Decimal("9600.00")
    with Session(books.engine) as session:
        balances = books.balances(session, community_id, None)
    assert balances[chart.BANK] == Decimal("9680.00")
    assert balances[chart.INCOME_PARKING] == Decimal("-9680.00")


@pytest.mark.parametrize(
    ("draft_changes", "rule"),
    [
        (
            {
                "postings": [
                    ("Assets:1002-银行存款:01-基本户", "10.00"),
                    (chart.INCOME_PARKING, "-9.99"),
                ]
            },
            "balanced",
        ),
        (
            {"postings": [("Assets:Nowhere", "10.00"), (chart.INCOME_PARKING, "-10.00")]},
            "known-account",
        ),
        ({"date": date(2099, 1, 1)}, "no-future-dates"),
        ({"postings": [(chart.BANK, "0.00"), (chart.INCOME_PARKING, "0.00")]}, "non-zero"),
    ],
)
def test_refused_post_leaves_nothing(
    books: Books, community: str, draft_changes: dict[str, object], rule: str
) -> None:
    journal.post(books=books, slug=community, draft=txn("100.00"), actor="alice")
    before = counts(books)
    projection_before = books.projection(community).path.read_bytes()
    fields = txn("10.00").model_dump()
    for key, value in draft_changes.items():
        if key == "postings":
            value = [PostingIn(account=a, amount=Decimal(v)) for a, v in value]  # type: ignore[attr-defined]
        fields[key] = value
    draft = TransactionIn.model_validate(fields)

    with pytest.raises(ValidationFailed) as refused:
        journal.post(books=books, slug=community, draft=draft, actor="alice")

    assert rule in [p.rule for p in refused.value.problems]
    assert refused.value.status == 422
    assert counts(books) == before
    assert books.projection(community).path.read_bytes() == projection_before


def test_idempotency_key_replays_first_result_and_refuses_other_body(
    books: Books, community: str
) -> None:
    first = journal.post(books=books, slug=community, draft=txn("50.00", key="k1"), actor="a")
    again = journal.post(books=books, slug=community, draft=txn("50.00", key="k1"), actor="a")
    assert again.created is False
    assert again.entry.id == first.entry.id and again.entry.seq == 1
    with pytest.raises(IdempotencyConflict) as conflict:
        journal.post(books=books, slug=community, draft=txn("51.00", key="k1"), actor="a")
    assert conflict.value.status == 409
    assert "already used for a different transaction" in str(conflict.value)
    assert counts(books)[0] == 1


def test_reverse_negates_links_and_happens_once(books: Books, community: str) -> None:
    original = journal.post(books=books, slug=community, draft=txn("300.00"), actor="alice")
    reversal = journal.reverse(
        reason="更正",
        books=books,
        slug=community,
        entry_id=original.entry.id,
        actor="bob",
        on=date(2025, 4, 2),
    )
    assert reversal.entry.kind == "reversal"
    assert reversal.entry.reverses == original.entry.id
    assert [p.amount for p in reversal.entry.postings] == [Decimal("-300.00"), Decimal("300.00")]
    with pytest.raises(AlreadyReversed):
        journal.reverse(
            reason="更正", books=books, slug=community, entry_id=original.entry.id, actor="bob"
        )
    with pytest.raises(StateConflict):
        journal.reverse(
            reason="更正", books=books, slug=community, entry_id=reversal.entry.id, actor="bob"
        )
    with Session(books.engine) as session:
        community_id = books.community(session, community).id
        assert books.balances(session, community_id, None)[chart.BANK] == Decimal("0.00")
    meta = transactions_in_projection(books, community)[1].meta
    assert meta["reverses"] == original.entry.id


def test_spending_over_threshold_waits_for_a_second_member(books: Books, community: str) -> None:
    journal.post(books=books, slug=community, draft=txn("20000.00"), actor="treasurer")
    spend = txn("6000.00", debit=chart.USE_AUDIT, credit=chart.BANK, kind="cost")
    pending = journal.post(books=books, slug=community, draft=spend, actor="treasurer")
    assert pending.pending and pending.entry.seq is None
    assert len(transactions_in_projection(books, community)) == 1

    with pytest.raises(Forbidden) as own:
        journal.approve(books=books, slug=community, entry_id=pending.entry.id, actor="treasurer")
    assert own.value.problems[0].rule == "four-eyes"

    posted = journal.approve(books=books, slug=community, entry_id=pending.entry.id, actor="chair")
    assert posted.status == "posted" and posted.seq == 2 and posted.approved_by == "chair"
    assert transactions_in_projection(books, community)[1].meta["approved-by"] == "chair"


def test_small_receipts_post_directly_and_dividends_always_wait(
    books: Books, community: str
) -> None:
    journal.post(books=books, slug=community, draft=txn("20000.00"), actor="t")
    small = txn("4999.99", debit=chart.USE_AUDIT, credit=chart.BANK, kind="cost")
    assert not journal.post(books=books, slug=community, draft=small, actor="t").pending
    add_resolution(books, community, purpose=("upgrade",))
    upgrade = txn(
        "1.00", debit=chart.USE_UPGRADE, credit=chart.BANK, kind="upgrade", resolution="2025-01"
    )
    assert journal.post(books=books, slug=community, draft=upgrade, actor="t").pending


def test_rejected_entry_never_reaches_the_books(books: Books, community: str) -> None:
    journal.post(books=books, slug=community, draft=txn("20000.00"), actor="t")
    spend = txn("7000.00", debit=chart.USE_UPGRADE, credit=chart.BANK, kind="cost")
    pending = journal.post(books=books, slug=community, draft=spend, actor="t")
    rejected = journal.reject(
        books=books, slug=community, entry_id=pending.entry.id, actor="chair", reason="无决议"
    )
    assert rejected.status == "rejected" and rejected.rejected_reason == "无决议"
    with pytest.raises(StateConflict):
        journal.approve(books=books, slug=community, entry_id=pending.entry.id, actor="chair")
    with Session(books.engine) as session:
        community_id = books.community(session, community).id
        assert books.balances(session, community_id, None)[chart.BANK] == Decimal("20000.00")
    assert len(transactions_in_projection(books, community)) == 1


def test_post_many_is_all_or_nothing_and_lists_every_problem(books: Books, community: str) -> None:
    drafts = [
        txn("10.00", key="a"),
        txn("20.00", debit="Assets:Nope", key="b"),
        txn("30.00", key="c"),
    ]
    with pytest.raises(ValidationFailed) as refused:
        journal.post_many(books=books, slug=community, drafts=drafts, actor="t")
    assert [p.field for p in refused.value.problems] == ["transactions[1].postings[0].account"]
    assert counts(books)[0] == 0
    results = journal.post_many(
        books=books, slug=community, drafts=[drafts[0], drafts[2]], actor="t"
    )
    assert [r.entry.seq for r in results] == [1, 2]
    assert len(transactions_in_projection(books, community)) == 2


def test_clock_decides_what_the_future_is(books: Books, community: str) -> None:
    with freeze_time("2025-03-30 12:00:00"), pytest.raises(ValidationFailed):
        journal.post(books=books, slug=community, draft=txn("1.00"), actor="t")
    with freeze_time("2025-03-31 00:30:00+08:00"):
        assert journal.post(books=books, slug=community, draft=txn("1.00"), actor="t").created


def test_clean_text_refuses_exactly_the_control_and_bidi_characters() -> None:
    """The fast pattern in ``clean_text`` agrees with Unicode's own categories for every code
    point: Cc and Cs refused (tab always allowed, newline where multi-line), and the
    bidirectional controls refused; everything else kept."""
    import unicodedata

    from ledger.schemas import _BIDI, clean_text

    for code in range(0x110000):
        ch = chr(code)
        bad = unicodedata.category(ch) in {"Cc", "Cs"} or ch in _BIDI
        for multiline in (True, False):
            allowed = ch == "\t" or (ch == "\n" and multiline)
            try:
                clean_text(ch, max_length=5, multiline=multiline)
                refused = False
            except ValueError:
                refused = True
            assert refused == (bad and not allowed), (hex(code), multiline)


def test_posted_answers_from_its_row_as_its_entry_does(books: Books, community: str) -> None:
    """A fresh post's summary comes from its row (the CLI prints it for thousands) and its
    response model is built on demand; a replay answers from the stored entry. Both agree."""
    fresh = journal.post(books=books, slug=community, draft=txn("12.34", key="k-p"), actor="t")
    again = journal.post(books=books, slug=community, draft=txn("12.34", key="k-p"), actor="t")
    assert (fresh.created, again.created) == (True, False)
    for result in (fresh, again):
        entry = result.entry
        assert (result.id, result.date, result.seq, result.status, result.pending) == (
            entry.id,
            entry.date,
            entry.seq,
            entry.status,
            False,
        )
    assert fresh.entry == again.entry
