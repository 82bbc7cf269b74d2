"""The art. 278 vote test at its edges, and entering resolutions (stored, announced, refused)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import Session, select

from ledger.books import Books
from ledger.errors import Conflict, ValidationFailed
from ledger.messages import LANGS
from ledger.models import Ballot, Community, Event, Resolution
from rules import resolution_register
from rules.community import create
from rules.resolution_register import ResolutionIn
from rules.units import import_units, parse_json
from rules.vote import (
    BallotProblem,
    Voter,
    arithmetic_of,
    check_ballots,
    head_rule_of,
    tally,
    tally_of,
)
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
    assert "199.99 × 3 = 599.97 < 300.00 × 2 = 600.00: not met" in str(result.arithmetic())


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
    assert "200.00 × 2 = 400.00 = 400.00 × 1 = 400.00: not met" in str(result.arithmetic())
    assert str(result.arithmetic()).endswith("Not passed.")


# --- the arithmetic in words, in Chinese and English ------------------------------------------

HALF = votes((1, "yes"), (2, "yes"), (3, "no"), (4, "no"))
ARITHMETIC_EN = (
    "Quorum (民法典 art. 278: at least 2/3 of the exclusive area and at least 2/3 of the owners "
    "by head take part): 400.00 of 400.00 m² took part (400.00 × 3 = 1200.00 ≥ 400.00 × 2 = "
    "800.00: met) and 4 of 4 owners (4 × 3 = 12 ≥ 4 × 2 = 8: met). Approval for matter (九) "
    "(more than 1/2 of the participating area and owners): yes 200.00 of 400.00 m² (200.00 × 2 "
    "= 400.00 = 400.00 × 1 = 400.00: not met) and 2 of 4 owners (2 × 2 = 4 = 4 × 1 = 4: not "
    "met). Not passed."
)
ARITHMETIC_ZH = (
    "参与表决（《民法典》第二百七十八条：须专有部分面积不少于 2/3 且人数不少于 2/3 的业主参与"
    "表决）：参与表决面积 400.00 m²，总面积 400.00 m²（400.00 × 3 = 1200.00 ≥ 400.00 × 2 = "
    "800.00：达到）；参与表决 4 人，业主总人数 4 人（4 × 3 = 12 ≥ 4 × 2 = 8：达到）。第（九）项"
    "事项的通过（须经参与表决专有部分面积超过 1/2 且参与表决人数超过 1/2 的业主同意）：同意面积 "
    "200.00 m²，参与表决面积 400.00 m²（200.00 × 2 = 400.00 = 400.00 × 1 = 400.00：未达到）；"
    "同意 2 人，参与表决 4 人（2 × 2 = 4 = 4 × 1 = 4：未达到）。表决未通过。"
)
#: The figures of that vote as a resolution recorded them before the paragraph was translated:
#: the English words stored beside the figures.
RECORDED: dict[str, Any] = {
    "source": "民法典 art. 278",
    "matter": 9,
    "total_area": "400.00",
    "total_heads": 4,
    "participating_area": "400.00",
    "participating_heads": 4,
    "yes_area": "200.00",
    "yes_heads": 2,
    "no_area": "200.00",
    "no_heads": 2,
    "abstain_area": "0.00",
    "abstain_heads": 0,
    "split_heads": 0,
    "quorum": {
        "rule": "at least",
        "share": "2/3",
        "area": "400.00/400.00",
        "heads": "4/4",
        "area_met": True,
        "heads_met": True,
        "met": True,
    },
    "approval": {
        "rule": "more than",
        "share": "1/2",
        "area": "200.00/400.00",
        "heads": "2/4",
        "area_met": False,
        "heads_met": False,
        "met": False,
    },
    "passed": False,
    "head_rule": "one head per owner however many units they hold, one head for all "
    "developer-unsold units together; an owner's head votes yes (or no) only if all their "
    "voting units did; abstentions take part",
    "arithmetic": ARITHMETIC_EN,
}


def test_the_arithmetic_reads_in_chinese_by_default_and_in_english_on_request() -> None:
    text = tally(owners(100, 100, 100, 100), HALF, matter=9).arithmetic()
    assert text.render() == ARITHMETIC_ZH
    assert text.render("zh") == ARITHMETIC_ZH
    assert text.render("en") == ARITHMETIC_EN


def test_the_figures_keep_the_english_words_they_always_recorded() -> None:
    figures = tally(owners(100, 100, 100, 100), HALF, matter=9).as_json()
    assert json.loads(json.dumps(figures)) == RECORDED


def test_a_recorded_tally_reads_in_either_language_drawn_from_its_figures() -> None:
    assert tally_of(RECORDED) == tally(owners(100, 100, 100, 100), HALF, matter=9)
    assert arithmetic_of(RECORDED).render("zh") == ARITHMETIC_ZH
    assert arithmetic_of(RECORDED).render("en") == ARITHMETIC_EN
    assert head_rule_of(RECORDED).render("zh").startswith("每位业主无论拥有几套房屋只计一人")
    assert head_rule_of(RECORDED).render("en") == RECORDED["head_rule"]


@pytest.mark.parametrize(
    "change",
    [
        {"arithmetic": "Quorum: 400 of 400 m² (an older wording). Not passed."},
        {"yes_area": "200.001"},
        {"quorum": {"rule": "two thirds", "share": "2/3"}},
        {"matter": "9"},
    ],
)
def test_a_recorded_tally_it_cannot_redo_word_for_word_is_shown_as_recorded(
    change: dict[str, Any],
) -> None:
    """Figures missing or of another shape, or English words that the figures do not give
    again: the recorded words, never a paragraph the vote did not record."""
    figures = {**RECORDED, **change}
    assert tally_of(figures) is None or change.keys() == {"arithmetic"}
    recorded = str(figures["arithmetic"])
    assert arithmetic_of(figures).render("zh") == recorded
    assert arithmetic_of(figures).render("en") == recorded
    assert head_rule_of({"head_rule": "per unit"}).render("zh") == "per unit"


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
    assert out.arithmetic.startswith("参与表决（《民法典》第二百七十八条")
    assert figures["arithmetic"] == out.arithmetic
    assert figures["head_rule"].startswith("每位业主")
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


def test_a_resolution_reads_in_the_language_asked_and_keeps_its_recorded_words(
    books: Books,
) -> None:
    slug = registered(books)
    made = resolution_register.create(books=books, slug=slug, body=body(), actor="chair", lang="en")
    assert made.arithmetic.startswith("Quorum (民法典 art. 278: at least 2/3")
    assert made.tally["head_rule"].startswith("one head per owner")
    zh = resolution_register.get(books=books, slug=slug, number="2025-03")
    en = resolution_register.get(books=books, slug=slug, number="2025-03", lang="en")
    assert zh.arithmetic.startswith("参与表决（《民法典》第二百七十八条")
    assert zh.arithmetic.endswith("表决通过。")
    assert en.arithmetic == made.arithmetic and en.arithmetic.endswith("Passed.")
    assert [r.arithmetic for r in resolution_register.list_all(books=books, slug=slug)] == [
        zh.arithmetic
    ]
    with Session(books.engine) as session:
        row = session.exec(select(Resolution)).one()
        stored = json.loads(row.tally)
        # Stored: the figures, and the English words as they were recorded.
        assert stored["arithmetic"] == en.arithmetic
        # A tally recorded in other words (an older release) is shown as it was recorded.
        row.tally = json.dumps({**stored, "arithmetic": "Quorum met. Passed."})
        session.add(row)
        session.commit()
    for lang in LANGS:
        out = resolution_register.get(books=books, slug=slug, number="2025-03", lang=lang)
        assert out.arithmetic == out.tally["arithmetic"] == "Quorum met. Passed."
