"""QA: the resolutions and closes in the projection are part of it, so ``commons verify`` holds
them to the database too. The hash chain covers transactions only; without this check a hand
edit of a ``custom "resolution"`` directive (a raised budget, ``passed: "true"`` on a failed
vote) would make a refused spend look lawful to bean-check and Fava, and ``verify`` would still
say the projection matches the journal::

    2025-01-10 custom "resolution" "2025-01"
      passed: "false"        ; edited to "true"
      budget: "50000.00"     ; edited to "90000.00"
"""

from __future__ import annotations

from datetime import date

from freezegun import freeze_time

from audit.verify import verify
from ledger.books import Books
from rules.community import create
from rules.periods import close
from tests.conftest import BOOKS_START
from tests.rules_helpers import add_resolution


def _edit(books: Books, slug: str, old: str, new: str) -> None:
    path = books.projection(slug).path
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_an_untouched_projection_with_facts_verifies(books: Books, community: str) -> None:
    add_resolution(books, community, passed=False)
    assert verify(books, community).ok


def test_a_resolution_edited_in_the_projection_is_a_problem(books: Books, community: str) -> None:
    add_resolution(books, community, passed=False)
    _edit(books, community, 'passed: "false"', 'passed: "true"')
    _edit(books, community, 'budget: "50000.00"', 'budget: "90000.00"')
    report = verify(books, community)
    assert not report.ok
    assert any(
        "resolution 2025-01 differs from the database" in p and "passed" in p and "budget" in p
        for p in report.problems
    ), report.problems


def test_a_resolution_missing_from_or_added_to_the_projection_is_a_problem(
    books: Books, community: str
) -> None:
    add_resolution(books, community, number="2025-01")
    _edit(books, community, '"2025-01"', '"2025-99"')
    problems = verify(books, community).problems
    assert "projection: resolution 2025-01 is missing" in problems
    assert "projection: resolution 2025-99 is not in the database" in problems


@freeze_time("2025-04-02")
def test_a_close_edited_in_the_projection_is_a_problem(any_books: Books) -> None:
    books, community = any_books, "maple"
    create(books=books, slug=community, name="枫林苑", start=BOOKS_START)
    add_resolution(books, community)
    (done,) = close(books=books, slug=community, period="2025Q1", actor="chair")
    assert done.close.end == date(2025, 3, 31)
    assert verify(books, community).ok
    _edit(books, community, 'closed-by: "chair"', 'closed-by: "mallory"')
    problems = verify(books, community).problems
    assert any("close 2025Q1 differs from the database" in p for p in problems), problems
