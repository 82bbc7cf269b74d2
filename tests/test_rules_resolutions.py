"""The art. 278 vote test at its edges, and entering resolutions (stored, announced, refused)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import Session, select

from ledger.books import Books
from ledger.errors import Conflict, ValidationFailed
from ledger.models import Ballot, Community, Event, Resolution
from rules import resolution_register
from rules.community import create
from rules.resolution_register import ResolutionIn
from rules.units import import_units, parse_json
from rules.vote import BallotProblem, Voter, check_ballots, tally
from tests.conftest import BOOKS_START


def owners(*areas: int) -> list[Voter]:
    """One unit per owner, areas in whole m²."""
    return [Voter(f"U{i}", f"O{i}", a * 100, False) for i, a in enumerate(areas, 1)]


def votes(*pairs: tuple[int, str]) -> dict[str, str]:
    return {f"U{i}": v for i, v in pairs}


# --- quorum: at least 2/3 of the area and of the heads ------------------------------------


def test_exactly_two_thirds_meets_the_quorum() -> None:
    result = tally(owners(100, 100, 100), votes((1, "yes"), (2, "yes")), matter=9)
    assert (result.participating_area, result.total_area) == (20000, 30000)
    assert result.quorum_area_met and result.quorum_heads_met and result.passed


def test_a_hundredth_of_a_square_metre_below_two_thirds_misses_the_quorum() -> None:
    register = [
        Voter("U1", "O1", 10000, False),
        Voter("U2", "O2", 9999, False),
        Voter("U3", "O3", 10001, False),
    ]
    result = tally(register, votes((1, "yes"), (2, "yes")), matter=9)
    assert result.quorum_heads_met and not result.quorum_area_met
    assert not result.passed
    assert "199.99 × 3 = 599.97 < 300.00 × 2 = 600.00: not met" in result.arithmetic()


def test_heads_below_two_thirds_miss_the_quorum_whatever_the_area() -> None:
    # Two big units of one owner vote; the four small owners do not: 1 of 5 heads.
    register = [
        Voter("U1", "BIG", 100000, False),
        Voter("U2", "BIG", 100000, False),
        *[Voter(f"S{i}", f"S{i}", 1000, False) for i in range(4)],
    ]
    result = tally(register, {"U1": "yes", "U2": "yes"}, matter=9)
    assert result.quorum_area_met and not result.quorum_heads_met
    assert (result.participating_heads, result.total_heads) == (1, 5)
    assert not result.passed


# --- approval: at least 3/4 for matters 6, 7, 8; more than 1/2 for the others ----------------


@pytest.mark.parametrize("matter", [6, 7, 8])
def test_exactly_three_quarters_passes_a_special_matter(matter: int) -> None:
    ballots = votes((1, "yes"), (2, "yes"), (3, "yes"), (4, "no"))
    result = tally(owners(100, 100, 100, 100), ballots, matter=matter)
    assert str(result.approval) == "at least 3/4"
    assert result.approval_area_met and result.approval_heads_met and result.passed


def test_just_under_three_quarters_fails_a_special_matter() -> None:
    register = [*owners(100, 100, 100), Voter("U4", "O4", 10001, False)]
    result = tally(register, votes((1, "yes"), (2, "yes"), (3, "yes"), (4, "no")), matter=8)
    assert result.approval_heads_met and not result.approval_area_met and not result.passed
    # The same ballots pass an ordinary matter (more than half).
    assert tally(register, votes((1, "yes"), (2, "yes"), (3, "yes"), (4, "no")), matter=9).passed


def test_exactly_half_does_not_pass_an_ordinary_matter() -> None:
    ballots = votes((1, "yes"), (2, "yes"), (3, "no"), (4, "no"))
    result = tally(owners(100, 100, 100, 100), ballots, matter=9)
    assert result.quorum_met
    assert not result.approval_area_met and not result.approval_heads_met
    assert not result.passed
    assert "200.00 × 2 = 400.00 = 400.00 × 1 = 400.00: not met" in result.arithmetic()
    assert result.arithmetic().endswith("Not passed.")


def test_just_over_half_passes_an_ordinary_matter() -> None:
    register = [Voter("U1", "O1", 10001, False), Voter("U2", "O2", 10000, False)]
    result = tally(register, {"U1": "yes", "U2": "no"}, matter=9)
    assert result.approval_area_met  # 100.01 × 2 = 200.02 > 200.01
    assert not result.approval_heads_met and not result.passed  # 1 of 2 heads: only half
    register.append(Voter("U3", "O3", 1, False))
    result = tally(register, {"U1": "yes", "U2": "no", "U3": "yes"}, matter=9)
    assert (result.yes_heads, result.participating_heads) == (2, 3)
    assert result.passed


def test_abstentions_take_part_and_weigh_like_no() -> None:
    ballots = votes((1, "yes"), (2, "yes"), (3, "abstain"), (4, "abstain"))
    result = tally(owners(100, 100, 100, 100), ballots, matter=9)
    assert result.quorum_met and (result.abstain_area, result.abstain_heads) == (20000, 2)
    assert not result.passed  # 2 yes of 4 taking part is not more than half


# --- heads ------------------------------------------------------------------------------------


def test_an_owner_of_several_units_counts_once() -> None:
    register = [
        Voter("A1", "A", 10000, False),
        Voter("A2", "A", 10000, False),
        Voter("A3", "A", 10000, False),
        Voter("B1", "B", 10000, False),
        Voter("C1", "C", 10000, False),
    ]
    result = tally(register, {"A1": "yes", "A2": "yes", "A3": "yes", "B1": "no"}, matter=9)
    assert (result.total_heads, result.participating_heads) == (3, 2)
    assert (result.yes_heads, result.no_heads) == (1, 1)
    assert result.yes_area == 30000
    assert not result.passed  # 3/4 of the area, but 1 of 2 heads is not more than half


def test_developer_unsold_units_count_once_together() -> None:
    register = [
        *[Voter(f"D{i}", f"dev-{i}", 10000, True) for i in range(5)],
        Voter("B1", "B", 10000, False),
        Voter("C1", "C", 10000, False),
    ]
    result = tally(register, {f"D{i}": "yes" for i in range(5)}, matter=9)
    assert result.total_heads == 3  # the developer, B, C
    assert result.participating_heads == 1 and result.yes_heads == 1
    assert not result.quorum_heads_met and result.quorum_area_met


def test_an_owner_whose_units_vote_differently_takes_part_but_counts_for_neither_side() -> None:
    register = [Voter("A1", "A", 10000, False), Voter("A2", "A", 10000, False)]
    register += owners(100, 100)
    result = tally(register, {"A1": "yes", "A2": "no", "U1": "yes", "U2": "no"}, matter=9)
    assert (result.participating_heads, result.split_heads) == (3, 1)
    assert (result.yes_heads, result.no_heads) == (1, 1)
    assert (result.yes_area, result.no_area) == (20000, 20000)


def test_ballots_naming_unknown_units_or_a_unit_twice_are_refused() -> None:
    with pytest.raises(BallotProblem) as exc:
        check_ballots(owners(1, 1), [("U1", "yes"), ("X9", "yes"), ("U1", "no"), ("U2", "maybe")])
    assert [(i, m.render("en")) for i, _, m in exc.value.problems] == [
        (1, "unit X9 is not in the register"),
        (2, "unit U1 has two ballots (first at ballots[0])"),
        (3, "vote 'maybe' is not one of yes, no, abstain"),
    ]


# --- entering a resolution ----------------------------------------------------------------------

UNITS = [
    {"unit": "1-1-0101", "owner": "O1", "area": "89.30"},
    {"unit": "1-1-0102", "owner": "O1", "area": "127.38"},
    {"unit": "2-1-0101", "owner": "O2", "area": "105.21"},
    {"unit": "10-2-1601", "owner": "developer", "area": "68.52", "developer_unsold": True},
]


def body(number: str = "2025-03", **changes: Any) -> ResolutionIn:
    raw: dict[str, Any] = {
        "number": number,
        "title": "2025年度公共收益分红",
        "matter": 9,
        "voted_on": "2025-11-30",
        "effective_from": "2025-12-01",
        "budget": "5000.00",
        "purpose": ["dividend"],
        "allocation": {"mode": "rate", "basis": "area", "rate": "9.00", "rounding": "yuan_floor"},
        "ballots": [
            {"unit": "1-1-0101", "vote": "yes"},
            {"unit": "1-1-0102", "vote": "yes"},
            {"unit": "2-1-0101", "vote": "no"},
            {"unit": "10-2-1601", "vote": "yes"},
        ],
    }
    raw.update(changes)
    return ResolutionIn.model_validate(raw)


def registered(books: Books) -> str:
    create(books=books, slug="maple", name="枫林苑", start=BOOKS_START)
    import_units(books=books, slug="maple", units=parse_json(UNITS), actor="admin")
    return "maple"


def _stored(books: Books) -> tuple[int, int, int, int]:
    with Session(books.engine) as session:
        return (
            len(list(session.exec(select(Resolution)))),
            len(list(session.exec(select(Ballot)))),
            len([e for e in session.exec(select(Event)) if e.action == "resolution"]),
            session.exec(select(Community.rev)).one(),
        )


def test_a_resolution_is_tallied_from_the_register_stored_and_announced(any_books: Books) -> None:
    slug = registered(any_books)
    out = resolution_register.create(books=any_books, slug=slug, body=body(), actor="chair")
    assert out.passed
    figures = out.tally
    assert (figures["total_area"], figures["total_heads"]) == ("390.41", 3)
    assert (figures["participating_area"], figures["participating_heads"]) == ("390.41", 3)
    assert (figures["yes_area"], figures["yes_heads"]) == ("285.20", 2)
    assert figures["quorum"] == {
        "rule": "at least",
        "share": "2/3",
        "area": "390.41/390.41",
        "heads": "3/3",
        "area_met": True,
        "heads_met": True,
        "met": True,
    }
    assert figures["approval"]["share"] == "1/2" and figures["approval"]["rule"] == "more than"
    assert out.arithmetic.startswith("Quorum (民法典 art. 278")
    assert _stored(any_books) == (1, 4, 1, 2)  # units import bumped rev once, this once more
    text = any_books.projection(slug).path.read_text(encoding="utf-8")
    assert '2025-11-30 custom "resolution" "2025-03"' in text
    again = resolution_register.get(books=any_books, slug=slug, number="2025-03")
    assert again.passed and again.ballots is not None and len(again.ballots) == 4
    assert json.loads(json.dumps(again.tally)) == figures


def test_a_duplicate_number_is_a_conflict_and_stores_nothing(books: Books) -> None:
    slug = registered(books)
    resolution_register.create(books=books, slug=slug, body=body(), actor="chair")
    before = _stored(books)
    with pytest.raises(Conflict) as exc:
        resolution_register.create(books=books, slug=slug, body=body(), actor="chair")
    assert exc.value.problems[0].rule == "resolution-number"
    assert _stored(books) == before


def test_unknown_units_and_purposes_are_refused_all_at_once(books: Books) -> None:
    slug = registered(books)
    bad = body(
        purpose=["dividend", "Expenses:NoSuch"],
        ballots=[
            {"unit": "9-9-9", "vote": "yes"},
            {"unit": "1-1-0101", "vote": "yes"},
            {"unit": "1-1-0101", "vote": "no"},
        ],
    )
    projection = books.projection(slug).path.read_bytes()
    with pytest.raises(ValidationFailed) as exc:
        resolution_register.create(books=books, slug=slug, body=bad, actor="chair")
    assert [(p.field, p.text.render("en")) for p in exc.value.problems] == [
        (
            "purpose[1]",
            "purpose 'Expenses:NoSuch' is neither a kind (income, cost, subsidy, upgrade, "
            "dividend, transfer, reserve) nor an account of the chart",
        ),
        ("ballots[0].unit", "unit 9-9-9 is not in the register"),
        ("ballots[2].unit", "unit 1-1-0101 has two ballots (first at ballots[1])"),
    ]
    assert _stored(books) == (0, 0, 0, 1)
    assert books.projection(slug).path.read_bytes() == projection


def test_an_empty_register_is_refused(books: Books, community: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        resolution_register.create(books=books, slug=community, body=body(), actor="chair")
    assert exc.value.problems[0].rule == "unit-register"


def test_a_failed_vote_is_stored_as_not_passed(books: Books) -> None:
    slug = registered(books)
    ballots = [{"unit": "1-1-0101", "vote": "yes"}, {"unit": "2-1-0101", "vote": "no"}]
    out = resolution_register.create(
        books=books, slug=slug, body=body("2025-04", ballots=ballots), actor="chair"
    )
    assert not out.passed and out.tally["quorum"]["met"] is False
