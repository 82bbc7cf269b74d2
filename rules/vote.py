"""The owners' vote test of 民法典 art. 278, as a pure function of the register and the ballots.

Quorum, for every matter: the units taking part hold at least 2/3 of the total exclusive area
AND their owners are at least 2/3 of all owners by head. Then approval: for matters (六) raising
maintenance funds, (七) rebuilding and (八) changing the use of common parts or using them for
business, at least 3/4 of the participating area AND of the participating owners; for every
other matter, MORE than 1/2 of both (exactly half does not pass).

Heads (judicial interpretation art. 9): one owner holding several units counts once; all
developer-unsold units together count once, as one owner.

How a head votes: a ballot is cast per unit, and areas count unit by unit. An owner's head
takes the vote their units agree on; an owner whose units voted differently ("split") takes
part (the head counts towards the quorum) but counts for neither yes nor no. This is the
conservative reading: an owner's head approves only if all of that owner's voting units
approved. Abstaining takes part: an abstaining unit counts towards the quorum and towards the
participating totals, which approval is measured against, so an abstention weighs like a no.

All arithmetic is on integers (area in hundredths of a m², heads), compared by
cross-multiplication: ``part * denominator >= numerator * whole``. No floats, no rounding.

    >>> register = [Voter("1", "A", 10000, False), Voter("2", "B", 10000, False),
    ...             Voter("3", "C", 10000, False), Voter("4", "D", 10000, False)]
    >>> t = tally(register, {"1": "yes", "2": "yes", "3": "no"}, matter=9)
    >>> (t.quorum_met, t.approval_met, t.passed)   # 3/4 took part; 2 of 3 yes > 1/2
    (True, True, True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from ledger.messages import Msg, cite, msg
from ledger.money import from_fen, to_fen

SOURCE = "民法典 art. 278"
VOTES = ("yes", "no", "abstain")
#: The matters of art. 278 that need 3/4 of the participants: (六) (七) (八).
SPECIAL_MATTERS = frozenset({6, 7, 8})
NUMERALS = "一二三四五六七八九"
#: How heads are counted, as recorded with each tally (``head_rule``), in English; readers
#: get ``vote.head-rule`` in their language (:func:`head_rule_of`).
HEAD_RULE = msg("vote.head-rule").render("en")


@dataclass(frozen=True)
class Voter:
    """A unit of the register as the vote sees it."""

    code: str
    owner: str
    area_centi: int
    developer_unsold: bool

    @property
    def head(self) -> tuple[bool, str]:
        """Who this unit's head is: its owner, or the developer for every unsold unit."""
        return (True, "") if self.developer_unsold else (False, self.owner)


@dataclass(frozen=True)
class Threshold:
    """``at least`` or ``more than`` a share of a whole."""

    rule: Literal["at least", "more than"]
    share: Fraction

    def met(self, part: int, whole: int) -> bool:
        left, right = part * self.share.denominator, self.share.numerator * whole
        return left >= right if self.rule == "at least" else left > right

    def text(self) -> Msg:
        """``at least 2/3`` (不少于 2/3) in the reader's language."""
        key = "vote.at-least" if self.rule == "at least" else "vote.more-than"
        return msg(key, share=str(self.share))

    @property
    def symbol(self) -> str:
        return "≥" if self.rule == "at least" else ">"

    def __str__(self) -> str:
        return f"{self.rule} {self.share}"


QUORUM = Threshold("at least", Fraction(2, 3))
SPECIAL = Threshold("at least", Fraction(3, 4))
ORDINARY = Threshold("more than", Fraction(1, 2))


def approval_threshold(matter: int) -> Threshold:
    return SPECIAL if matter in SPECIAL_MATTERS else ORDINARY


@dataclass(frozen=True)
class Tally:
    matter: int
    total_area: int  # centi-m²
    total_heads: int
    participating_area: int
    participating_heads: int
    yes_area: int
    yes_heads: int
    no_area: int
    no_heads: int
    abstain_area: int
    abstain_heads: int
    split_heads: int
    quorum: Threshold
    approval: Threshold

    @property
    def quorum_area_met(self) -> bool:
        return self.quorum.met(self.participating_area, self.total_area)

    @property
    def quorum_heads_met(self) -> bool:
        return self.quorum.met(self.participating_heads, self.total_heads)

    @property
    def quorum_met(self) -> bool:
        return self.total_area > 0 and self.quorum_area_met and self.quorum_heads_met

    @property
    def approval_area_met(self) -> bool:
        return self.participating_area > 0 and self.approval.met(
            self.yes_area, self.participating_area
        )

    @property
    def approval_heads_met(self) -> bool:
        return self.participating_heads > 0 and self.approval.met(
            self.yes_heads, self.participating_heads
        )

    @property
    def approval_met(self) -> bool:
        return self.approval_area_met and self.approval_heads_met

    @property
    def passed(self) -> bool:
        return self.quorum_met and self.approval_met

    def arithmetic(self) -> Msg:
        """The decision in one paragraph, with every figure and comparison, in the reader's
        language (``vote.arithmetic``)."""
        q, a = self.quorum, self.approval
        quorum = msg(
            "vote.quorum",
            source=cite(SOURCE),
            rule=q.text(),
            part_area=_m2(self.participating_area),
            total_area=_m2(self.total_area),
            area_check=_compare(q, self.participating_area, self.total_area, area=True),
            part_heads=self.participating_heads,
            total_heads=self.total_heads,
            heads_check=_compare(q, self.participating_heads, self.total_heads, area=False),
        )
        approval = msg(
            "vote.approval",
            numeral=NUMERALS[self.matter - 1],
            rule=a.text(),
            yes_area=_m2(self.yes_area),
            part_area=_m2(self.participating_area),
            area_check=_compare(a, self.yes_area, self.participating_area, area=True),
            yes_heads=self.yes_heads,
            part_heads=self.participating_heads,
            heads_check=_compare(a, self.yes_heads, self.participating_heads, area=False),
        )
        verdict = msg("vote.passed" if self.passed else "vote.not-passed")
        return msg("vote.arithmetic", quorum=quorum, approval=approval, verdict=verdict)

    def as_json(self) -> dict[str, Any]:
        """The figures as stored with the resolution (``Resolution.tally``) and answered by the
        API: areas as m² strings, heads as integers, thresholds as exact fractions."""

        def threshold(t: Threshold, part: tuple[int, int], heads: tuple[int, int]) -> Any:
            area_met = t.met(*part) and part[1] > 0
            heads_met = t.met(*heads) and heads[1] > 0
            return {
                "rule": t.rule,
                "share": str(t.share),
                "area": f"{_m2(part[0])}/{_m2(part[1])}",
                "heads": f"{heads[0]}/{heads[1]}",
                "area_met": area_met,
                "heads_met": heads_met,
                "met": area_met and heads_met,
            }

        return {
            "source": SOURCE,
            "matter": self.matter,
            "total_area": _m2(self.total_area),
            "total_heads": self.total_heads,
            "participating_area": _m2(self.participating_area),
            "participating_heads": self.participating_heads,
            "yes_area": _m2(self.yes_area),
            "yes_heads": self.yes_heads,
            "no_area": _m2(self.no_area),
            "no_heads": self.no_heads,
            "abstain_area": _m2(self.abstain_area),
            "abstain_heads": self.abstain_heads,
            "split_heads": self.split_heads,
            "quorum": threshold(
                self.quorum,
                (self.participating_area, self.total_area),
                (self.participating_heads, self.total_heads),
            ),
            "approval": threshold(
                self.approval,
                (self.yes_area, self.participating_area),
                (self.yes_heads, self.participating_heads),
            ),
            "passed": self.passed,
            "head_rule": HEAD_RULE,
            # The words as they were in English when the vote was recorded: what
            # :func:`arithmetic_of` checks a rendering against (and shows for a tally it cannot
            # redo). Readers get the paragraph in their language, drawn from the figures.
            "arithmetic": self.arithmetic().render("en"),
        }


def _m2(centi: int) -> str:
    return f"{from_fen(centi):f}"


def _compare(t: Threshold, part: int, whole: int, *, area: bool) -> Msg:
    show = _m2 if area else str
    num, den = t.share.numerator, t.share.denominator
    left, right = part * den, num * whole
    met = whole > 0 and t.met(part, whole)
    sign = t.symbol if met else ("=" if left == right else "<")
    return msg(
        "vote.compare",
        part=show(part),
        den=den,
        left=show(left),
        sign=sign,
        whole=show(whole),
        num=num,
        right=show(right),
        met=msg("vote.met" if met else "vote.not-met"),
    )


def tally_of(figures: Mapping[str, Any]) -> Tally | None:
    """The tally a resolution's stored figures (:meth:`Tally.as_json`) record, or None when
    they are not all there (a tally recorded in another shape)."""
    try:
        tally = Tally(
            matter=_whole(figures["matter"]),
            total_area=_centi(figures["total_area"]),
            total_heads=_whole(figures["total_heads"]),
            participating_area=_centi(figures["participating_area"]),
            participating_heads=_whole(figures["participating_heads"]),
            yes_area=_centi(figures["yes_area"]),
            yes_heads=_whole(figures["yes_heads"]),
            no_area=_centi(figures["no_area"]),
            no_heads=_whole(figures["no_heads"]),
            abstain_area=_centi(figures["abstain_area"]),
            abstain_heads=_whole(figures["abstain_heads"]),
            split_heads=_whole(figures["split_heads"]),
            quorum=_threshold(figures["quorum"]),
            approval=_threshold(figures["approval"]),
        )
    except (KeyError, TypeError, ValueError, ArithmeticError, ZeroDivisionError):
        return None
    return tally if 1 <= tally.matter <= 9 else None


def arithmetic_of(figures: Mapping[str, Any]) -> Msg:
    """A stored tally's arithmetic paragraph in the reader's language: drawn again from its
    figures when they redo, word for word, the English paragraph recorded with them (every
    resolution recorded by :func:`tally`, before and since the paragraph was translated);
    otherwise the recorded words as they are (a tally of another shape)."""
    recorded = figures.get("arithmetic")
    found = tally_of(figures)
    if found is not None:
        text = found.arithmetic()
        if not isinstance(recorded, str) or text.render("en") == recorded:
            return text
    return msg("common.text", text=str(recorded or ""))


def head_rule_of(figures: Mapping[str, Any]) -> Msg:
    """How the stored tally counted heads, in the reader's language (``vote.head-rule``), or
    the recorded words when they are not this module's."""
    recorded = figures.get("head_rule")
    if recorded is None or recorded == HEAD_RULE:
        return msg("vote.head-rule")
    return msg("common.text", text=str(recorded))


def _whole(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(value)
    return value


def _centi(value: Any) -> int:
    """``"285.20"`` m² as 28520 hundredths; anything but a plain decimal string is refused."""
    if not isinstance(value, str):
        raise TypeError(value)
    centi = to_fen(Decimal(value))
    if _m2(centi) != value:
        raise ValueError(value)
    return centi


def _threshold(value: Any) -> Threshold:
    rule, share = value["rule"], Fraction(str(value["share"]))
    if rule not in ("at least", "more than") or not 0 < share <= 1:
        raise ValueError(value)
    return Threshold(rule, share)


class BallotProblem(ValueError):
    """Ballots naming units outside the register, or a unit twice; ``problems`` lists them as
    (index, unit, message)."""

    def __init__(self, problems: list[tuple[int, str, Msg]]) -> None:
        self.problems = problems
        super().__init__("; ".join(m.render("en") for _, _, m in problems))


def check_ballots(register: Sequence[Voter], ballots: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Ballots as ``{unit: vote}``; ``BallotProblem`` lists unknown units, repeated units and
    unknown votes, every one of them."""
    known = {v.code for v in register}
    seen: dict[str, int] = {}
    problems: list[tuple[int, str, Msg]] = []
    for index, (unit, vote) in enumerate(ballots):
        if unit not in known:
            problems.append((index, unit, msg("vote.unit-not-registered", unit=unit)))
        elif unit in seen:
            problems.append((index, unit, msg("vote.two-ballots", unit=unit, first=seen[unit])))
        elif vote not in VOTES:
            problems.append(
                (index, unit, msg("vote.unknown-vote", vote=vote, votes=", ".join(VOTES)))
            )
        else:
            seen[unit] = index
    if problems:
        raise BallotProblem(problems)
    return {unit: vote for unit, vote in ballots}


def tally(register: Sequence[Voter], ballots: Mapping[str, str], *, matter: int) -> Tally:
    """The art. 278 test of ``ballots`` (unit code → yes/no/abstain, checked by
    :func:`check_ballots`) against the whole ``register``."""
    if not 1 <= matter <= 9:
        raise ValueError(f"matter {matter} is not one of the nine items of art. 278")
    total_area = sum(v.area_centi for v in register)
    total_heads = len({v.head for v in register})
    area = dict.fromkeys(VOTES, 0)
    head_votes: dict[tuple[bool, str], set[str]] = {}
    for voter in register:
        vote = ballots.get(voter.code)
        if vote is None:
            continue
        area[vote] += voter.area_centi
        head_votes.setdefault(voter.head, set()).add(vote)
    heads = dict.fromkeys(VOTES, 0)
    split = 0
    for votes in head_votes.values():
        if len(votes) == 1:
            heads[next(iter(votes))] += 1
        else:
            split += 1
    return Tally(
        matter=matter,
        total_area=total_area,
        total_heads=total_heads,
        participating_area=sum(area.values()),
        participating_heads=len(head_votes),
        yes_area=area["yes"],
        yes_heads=heads["yes"],
        no_area=area["no"],
        no_heads=heads["no"],
        abstain_area=area["abstain"],
        abstain_heads=heads["abstain"],
        split_heads=split,
        quorum=QUORUM,
        approval=approval_threshold(matter),
    )
