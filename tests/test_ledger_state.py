"""The in-memory state follows the facts without refolding the journal: a new resolution, a
close or a new setting of the rules swaps the rules' context in place, and the very next post
is judged by it (on every process: the change travels as ``Community.rev``)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from audit.verify import verify
from ledger import chart, journal
from ledger.books import Books
from ledger.errors import PeriodLocked, RuleViolations
from ledger.state import BookState
from rules.config import DEFAULT_TEXT
from rules.periods import close
from tests.conftest import txn
from tests.rules_helpers import add_resolution, set_rules_text


def _state(books: Books, slug: str) -> BookState:
    with Session(books.engine) as session:
        return books.state(session, books.community(session, slug))


def _upgrade(amount: str, key: str) -> object:
    return txn(
        amount,
        debit=chart.USE_UPGRADE,
        credit=chart.BANK,
        kind="upgrade",
        key=key,
        resolution="2025-09",
        day=date(2025, 3, 20),
    )


def test_a_new_resolution_is_in_force_for_the_next_post_without_a_rebuild(
    books: Books, community: str
) -> None:
    journal.post(books=books, slug=community, draft=txn("50000.00", key="in"), actor="treasurer")
    state = _state(books, community)
    with pytest.raises(RuleViolations, match="2025-09"):
        journal.post(books=books, slug=community, draft=_upgrade("8000.00", "u1"), actor="t")

    add_resolution(books, community, "2025-09", purpose=("upgrade",), budget="9000.00")
    pending = journal.post(
        books=books, slug=community, draft=_upgrade("8000.00", "u2"), actor="treasurer"
    )
    assert pending.pending
    journal.approve(books=books, slug=community, entry_id=pending.entry.id, actor="chair")

    after = _state(books, community)
    assert after is state  # the same folds, not rebuilt
    assert after.balances[chart.BANK] == 4_200_000  # 50,000.00 - 8,000.00, in fen
    # the fold kept counting under the new resolution: 8,000 of 9,000 is spent
    with pytest.raises(RuleViolations, match=r"budget of 9,000\.00: spent 8,000\.00 before"):
        journal.post(books=books, slug=community, draft=_upgrade("1000.01", "u3"), actor="t")
    assert verify(books, community).ok


def test_a_close_and_a_rules_setting_apply_at_once(books: Books, community: str) -> None:
    journal.post(books=books, slug=community, draft=txn("100.00", key="a"), actor="treasurer")
    top_up = txn("60.00", debit=chart.USE_MAINTENANCE, credit=chart.BANK, kind="reserve", key="r")
    journal.post(books=books, slug=community, draft=top_up, actor="treasurer")
    state = _state(books, community)
    close(books=books, slug=community, period="2025Q1", actor="chair")
    with pytest.raises(PeriodLocked, match="2025Q1"):
        journal.post(books=books, slug=community, draft=txn("1.00", key="b"), actor="treasurer")

    set_rules_text(
        books,
        community,
        DEFAULT_TEXT
        + '\n[[version]]\neffective_from = 2025-04-01\nresolution_threshold = "50.00"\n',
    )
    cost = txn("60.00", debit=chart.USE_AUDIT, credit=chart.BANK, kind="cost", key="c")
    cost.date = date(2025, 4, 2)
    with pytest.raises(RuleViolations, match="resolution"):
        journal.post(books=books, slug=community, draft=cost, actor="treasurer")
    assert _state(books, community) is state
