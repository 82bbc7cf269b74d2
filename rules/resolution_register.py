"""Entering owners' resolutions: validate, tally against the register, store, and tell the rules.

A resolution is entered with its ballots (one per voting unit); the service computes whether it
passed from the unit register (:mod:`rules.vote`), never from figures its author typed.
The row, its ballots, the event and the bump of ``community.rev`` (so the posting path's rule
state is rebuilt with the new fact) are one database transaction; after it commits, the
resolution's ``custom "resolution"`` directive is appended to the projection so the beancount
plugin sees the same fact.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col

from ledger import clock, events
from ledger.books import Books, txn_of
from ledger.chart import USE_DIVIDEND, USE_SUBSIDY
from ledger.db import writer
from ledger.errors import Conflict, NotFound, Problem, ValidationFailed
from ledger.journal import legs_of
from ledger.messages import DEFAULT_LANG, Invalid, Lang, Msg, msg
from ledger.models import Ballot, Community, Entry, Resolution, Unit, keyed
from ledger.money import from_fen, to_fen
from ledger.schemas import IsoDate, Money, UnitCode, clean_text
from ledger.txn import KINDS
from rules.engine import RuleState
from rules.prorata import AllocationSetting
from rules.resolution_required import NAME as RESOLUTION_RULE
from rules.resolution_required import ResolutionRequired, counted
from rules.vote import (
    SOURCE,
    BallotProblem,
    Voter,
    arithmetic_of,
    check_ballots,
    head_rule_of,
    tally,
)

#: What a resolution may allow, by kind: not the entries the service generates (a payout is
#: what a dividend's resolution allows already), nor the opening balances.
PURPOSE_KINDS = tuple(
    k for k in KINDS if k not in {"reversal", "opening", "closing", "payout", "accrual"}
)
#: A resolution number goes into URLs and beancount strings: a letter or digit, then letters,
#: digits, ``.``, ``-``.
NUMBER = r"^\w[\w.-]{0,39}$"
MAX_BALLOTS = 50_000


def _not_blank(value: str) -> str:
    if not value.strip():
        raise Invalid(msg("resolution_register.must-blank"))
    return value


Line = Annotated[
    str,
    BeforeValidator(partial(clean_text, max_length=200, min_length=1, multiline=False)),
    AfterValidator(_not_blank),
]
Number = Annotated[str, Field(pattern=NUMBER, description="e.g. 2025-03")]


class BallotIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit: UnitCode
    vote: Literal["yes", "no", "abstain"]


class ResolutionIn(BaseModel):
    """A resolution as the committee enters it (the API body and ``--file`` of the CLI)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "number": "2025-03",
                "title": "2025年度公共收益分红",
                "matter": 9,
                "voted_on": "2025-11-30",
                "effective_from": "2025-12-01",
                "budget": "40000.00",
                "purpose": ["dividend"],
                "allocation": {"mode": "rate", "basis": "area", "rate": "0.50", "rounding": "fen"},
                "ballots": [{"unit": "1-1-0101", "vote": "yes"}],
            }
        },
    )

    number: Number
    title: Line
    matter: Annotated[
        int, Field(strict=True, ge=1, le=9, description="the item of 民法典 art. 278, 1 to 9")
    ]
    voted_on: IsoDate
    effective_from: IsoDate
    expires_on: IsoDate | None = None
    budget: Money
    purpose: Annotated[
        list[Line],
        Field(max_length=20, description="kinds (dividend, upgrade...) and/or account names"),
    ] = []
    allocation: AllocationSetting | None = None
    ballots: Annotated[list[BallotIn], Field(max_length=MAX_BALLOTS)]

    @model_validator(mode="after")
    def _dates_and_budget(self) -> Self:
        if self.effective_from < self.voted_on:
            raise Invalid(msg("resolution_register.effective-from-before-voted"))
        if self.expires_on is not None and self.expires_on < self.effective_from:
            raise Invalid(msg("resolution_register.expires-before-effective-from"))
        if self.budget < 0:
            raise Invalid(msg("resolution_register.budget-cannot-negative"))
        return self


class ResolutionOut(BaseModel):
    number: str
    title: str
    matter: int
    voted_on: date
    effective_from: date
    expires_on: date | None
    budget: Money
    purpose: list[str]
    allocation: AllocationSetting | None
    passed: bool
    tally: dict[str, Any] = Field(
        description="total, participating and yes area (m²) and heads, the thresholds applied "
        "and whether each was met, and the arithmetic and the head rule in words (in the "
        "reader's language)"
    )
    arithmetic: str = Field(description="the decision in one paragraph, in the reader's language")
    created_by: str
    created_at: datetime
    ballots: list[BallotIn] | None = Field(
        default=None, description="how each unit voted (one resolution only)"
    )


def _problem(field: str, message: Msg, rule: str, **details: Any) -> Problem:
    return Problem(message, field=field, rule=rule, details=details)


def voters(units: list[Unit]) -> list[Voter]:
    return [Voter(u.code, u.owner, u.area_centi, u.developer_unsold) for u in units]


def allows(purpose: list[str] | tuple[str, ...], kind: str, account: str) -> bool:
    """Whether a purpose list covers ``kind`` or ``account`` (an account purpose covers its
    sub-accounts)."""
    return kind in purpose or any(account == p or account.startswith(p + ":") for p in purpose)


def _check_purpose(body: ResolutionIn, accounts: set[str]) -> list[Problem]:
    problems = [
        _problem(
            f"purpose[{i}]",
            msg(
                "resolution_register.purpose-neither-kind-nor",
                item=item,
                purpose_kinds=", ".join(PURPOSE_KINDS),
            ),
            "resolution-purpose",
            purpose=item,
        )
        for i, item in enumerate(body.purpose)
        if item not in PURPOSE_KINDS and item not in accounts
    ]
    if body.allocation is not None and not any(
        allows(body.purpose, kind, account)
        for kind, account in (
            ("dividend", USE_DIVIDEND),
            ("subsidy", USE_SUBSIDY),
        )
    ):
        problems.append(
            _problem(
                "allocation",
                msg("resolution_register.allocation-setting-for-dividend"),
                "resolution-purpose",
            )
        )
    return problems


def create(
    *,
    books: Books,
    slug: str,
    body: ResolutionIn,
    actor: str,
    address: str | None = None,
    lang: Lang = DEFAULT_LANG,
) -> ResolutionOut:
    """Tally, store and announce a resolution; refused whole (nothing stored) on any problem.
    The answer's words are in ``lang``."""
    from ledger.models import Account

    today = clock.today()
    try:
        with writer(books.engine) as session:
            community = books.community(session, slug, for_update=True)
            problems: list[Problem] = []
            if body.voted_on > today:
                problems.append(
                    _problem(
                        "voted_on",
                        msg(
                            "resolution_register.voted-future-today",
                            voted_on=body.voted_on,
                            today=today,
                        ),
                        "no-future-dates",
                    )
                )
            accounts = set(
                session.execute(
                    select(col(Account.name)).where(col(Account.community_id) == community.id)
                ).scalars()
            )
            problems += _check_purpose(body, accounts)
            if body.budget == 0 and (body.purpose or body.allocation is not None):
                problems.append(
                    _problem(
                        "budget",
                        msg(
                            "resolution_register.budget-allows-no-spending",
                            purpose=", ".join(body.purpose) or "a dividend or subsidy",
                        ),
                        "resolution-budget",
                        budget="0.00",
                    )
                )
            units = list(
                session.execute(
                    select(Unit).where(col(Unit.community_id) == community.id)
                ).scalars()
            )
            if not units:
                problems.append(
                    _problem(
                        "ballots",
                        msg(
                            "resolution_register.unit-register-empty-import",
                            slug=slug,
                            source=SOURCE,
                        ),
                        "unit-register",
                    )
                )
            register = voters(units)
            try:
                votes = check_ballots(register, [(b.unit, b.vote) for b in body.ballots])
            except BallotProblem as exc:
                votes = {}
                if units:
                    problems += [
                        _problem(f"ballots[{i}].unit", message, "ballots", unit=unit)
                        for i, unit, message in exc.problems
                    ]
            if _exists(session, community, body.number):
                raise _duplicate(slug, body.number)
            if problems:
                raise ValidationFailed(problems)
            result = tally(register, votes, matter=body.matter)
            figures = result.as_json()
            row = Resolution(
                community_id=community.id,
                number=body.number,
                title=body.title,
                matter=body.matter,
                voted_on=body.voted_on,
                effective_from=body.effective_from,
                expires_on=body.expires_on,
                budget_fen=to_fen(body.budget),
                purpose=json.dumps(body.purpose, ensure_ascii=False),
                allocation=(
                    body.allocation.model_dump_json() if body.allocation is not None else None
                ),
                passed=result.passed,
                tally=json.dumps(figures, ensure_ascii=False),
                created_by=actor,
                created_at=clock.now(),
            )
            session.add(row)
            session.flush()
            ids = {u.code: u.id for u in units}
            if votes:
                session.execute(
                    insert(SQLModel.metadata.tables["ballot"]),
                    [
                        {
                            "community_id": community.id,
                            "resolution_id": row.id,
                            "unit_id": ids[unit],
                            "vote": vote,
                        }
                        for unit, vote in votes.items()
                    ],
                )
            community.rev += 1
            session.add(community)
            events.record(
                session,
                community_id=community.id,
                actor=actor,
                action="resolution",
                object_type="resolution",
                object_id=body.number,
                address=address,
                details={
                    "passed": result.passed,
                    "matter": body.matter,
                    "ballots": len(votes),
                    "budget": f"{body.budget:.2f}",
                },
            )
            out = to_out(row, lang=lang)
    except IntegrityError:
        raise _duplicate(slug, body.number) from None
    books.rebuild_projection(slug)  # the header carries the resolutions
    return out


def _exists(session: Session, community: Community, number: str) -> bool:
    return (
        session.execute(
            select(col(Resolution.id))
            .where(col(Resolution.community_id) == community.id)
            .where(col(Resolution.number) == number)
        ).first()
        is not None
    )


def _duplicate(slug: str, number: str) -> Conflict:
    return Conflict(
        [
            Problem(
                msg(
                    "resolution_register.resolution-already-exists-resolution",
                    number=number,
                    slug=slug,
                ),
                field="number",
                rule="resolution-number",
                details={"number": number},
            )
        ]
    )


def to_out(
    row: Resolution, ballots: list[BallotIn] | None = None, *, lang: Lang = DEFAULT_LANG
) -> ResolutionOut:
    """A stored resolution as answered, its words in ``lang``: the arithmetic paragraph and
    the head rule are drawn again from the stored figures (``rules.vote.arithmetic_of``), so
    a resolution recorded before they were translated reads in either language too."""
    figures = json.loads(row.tally or "{}")
    arithmetic = arithmetic_of(figures).render(lang)
    words = {"arithmetic": arithmetic, "head_rule": head_rule_of(figures).render(lang)}
    figures = {**figures, **{key: text for key, text in words.items() if key in figures}}
    return ResolutionOut(
        number=row.number,
        title=row.title,
        matter=row.matter,
        voted_on=row.voted_on,
        effective_from=row.effective_from,
        expires_on=row.expires_on,
        budget=from_fen(row.budget_fen),
        purpose=json.loads(row.purpose or "[]"),
        allocation=setting_of(row),
        passed=row.passed,
        tally=figures,
        arithmetic=arithmetic,
        created_by=row.created_by,
        created_at=row.created_at,
        ballots=ballots,
    )


def setting_of(row: Resolution) -> AllocationSetting | None:
    return AllocationSetting.model_validate_json(row.allocation) if row.allocation else None


def find(session: Session, community: Community, number: str) -> Resolution:
    row: Resolution | None = (
        session.execute(
            select(Resolution)
            .where(col(Resolution.community_id) == community.id)
            .where(col(Resolution.number) == number)
        )
        .scalars()
        .first()
    )
    if row is None:
        raise NotFound(
            [
                Problem(
                    msg("resolution_register.no-resolution", number=number, slug=community.slug),
                    rule="resolution",
                )
            ]
        )
    return row


def get(*, books: Books, slug: str, number: str, lang: Lang = DEFAULT_LANG) -> ResolutionOut:
    """One resolution with its figures and how each unit voted."""
    with Session(books.engine) as session:
        community = books.community(session, slug)
        row = find(session, community, number)
        ballots = [
            BallotIn(unit=code, vote=vote)
            for code, vote in session.execute(
                select(col(Unit.code), col(Ballot.vote))
                .join(Unit, keyed(Ballot, "unit_id", Unit))
                .where(col(Ballot.community_id) == community.id)
                .where(col(Ballot.resolution_id) == row.id)
                .order_by(col(Unit.code))
            )
        ]
        return to_out(row, ballots, lang=lang)


def list_all(*, books: Books, slug: str, lang: Lang = DEFAULT_LANG) -> list[ResolutionOut]:
    with Session(books.engine) as session:
        community = books.community(session, slug)
        rows = session.execute(
            select(Resolution)
            .where(col(Resolution.community_id) == community.id)
            .order_by(col(Resolution.voted_on), col(Resolution.number))
        ).scalars()
        return [to_out(row, lang=lang) for row in rows]


__all__ = [
    "BallotIn",
    "ResolutionIn",
    "ResolutionOut",
    "allows",
    "create",
    "find",
    "get",
    "list_all",
    "setting_of",
]


@dataclass(frozen=True)
class BudgetUse:
    """What a resolution's budget looks like to an entry citing it, as the rule
    (:class:`rules.resolution_required.ResolutionRequired`) will count it when the entry is
    approved: the budget, what the posted entries citing it used, and what this one adds."""

    number: str
    title: str
    passed: bool
    budget: Decimal
    spent: Decimal
    this: Decimal

    @property
    def left(self) -> Decimal:
        """The budget left before this entry."""
        return self.budget - self.spent

    @property
    def after(self) -> Decimal:
        """The budget left once this entry is posted (negative: approving it is refused)."""
        return self.left - self.this


def budget_use(*, books: Books, slug: str, entry_ids: Sequence[str]) -> dict[str, BudgetUse]:
    """For each of ``entry_ids`` (pending entries) that cites a resolution the community has,
    the resolution's :class:`BudgetUse`; read from the rules' state of the posted books, so the
    approver sees the figures the approval will be checked against."""
    with Session(books.engine) as session:
        community = books.community(session, slug)
        entries = [
            entry
            for entry in session.execute(
                select(Entry)
                .where(col(Entry.community_id) == community.id)
                .where(col(Entry.id).in_(list(entry_ids)))
            ).scalars()
            if entry.resolution
        ]
        txns = [txn_of(entry, tuple(legs_of(session, community.id, entry.id))) for entry in entries]
        state = books.state(session, community)
    out: dict[str, BudgetUse] = {}
    with state.lock:
        checks = state.checks
        if not isinstance(checks, RuleState):
            return out
        rule = next((r for r in checks.rules if getattr(r, "name", "") == RESOLUTION_RULE), None)
        for txn in txns:
            fact = checks.context.resolutions.get(txn.resolution or "")
            if fact is None or not isinstance(rule, ResolutionRequired):
                continue
            out[txn.id] = BudgetUse(
                number=fact.number,
                title=fact.title,
                passed=fact.passed,
                budget=fact.budget,
                spent=rule.spent.get(fact.number, Decimal("0.00")),
                this=counted(checks.context, txn),
            )
    return out
