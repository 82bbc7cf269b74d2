"""Creating a dividend or subsidy: the schedule a passed resolution allows, and its entry.

The resolution must exist, have passed, carry an allocation setting and a purpose covering the
kind. The schedule is computed over the unit register (:mod:`rules.prorata`), and the entry
goes through ``ledger.journal`` like any other, so every rule checks it and it waits for a
second member's approval (dividends and subsidies always do). Its per-unit lines are stored as
``AllocationLine`` rows in the same database transaction as the entry.

The entries:

- a **dividend** is owed to the owners, then paid out over time, unit by unit: it debits
  ``Expenses:5101-业务活动成本:06-业主分红`` and credits
  ``Liabilities:2209-其他应付款:02-应付业主分红`` (each payment later debits the payable and
  credits the bank);
- a **subsidy** of property-management fees is paid to the manager in one transfer on the
  owners' behalf: it debits ``Expenses:5101-业务活动成本:04-补贴物业费`` and credits the bank
  (so the no-overdraft rule sees the money leave).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer
from sqlalchemy import select
from sqlmodel import Session, col

from ledger import chart, journal
from ledger.books import Books
from ledger.errors import Problem, RuleViolations, StateConflict, ValidationFailed
from ledger.messages import Msg, cite, msg
from ledger.models import AllocationLine, Entry, Unit, keyed
from ledger.money import fmt, from_fen, to_fen
from ledger.schemas import (
    IdempotencyKey,
    IsoDate,
    Money,
    PostingIn,
    TransactionIn,
    TransactionOut,
    clean_text,
)
from rules.prorata import STEP, AllocationSetting, Part, Recipient, schedule
from rules.resolution_register import allows, find, setting_of
from rules.vote import SOURCE, arithmetic_of

Kind = Literal["dividend", "subsidy"]
#: (expense debited, account credited, payee, name) per kind.
ACCOUNTS: dict[str, tuple[str, str, str, str]] = {
    "dividend": (chart.USE_DIVIDEND, chart.DIVIDENDS_PAYABLE, "全体业主", "业主分红"),
    "subsidy": (chart.USE_SUBSIDY, chart.BANK, "物业服务企业", "补贴物业费"),
}
Area = Annotated[Decimal, PlainSerializer(fmt, return_type=str)]


class AllocationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: IsoDate
    kind: Kind
    total: Money | None = Field(
        default=None, description="the amount to split: required in total mode, refused in rate"
    )
    idempotency_key: IdempotencyKey | None = None
    again: bool = Field(
        default=False,
        description="allocate again under a resolution that already has an allocation on this "
        "date, or beyond its budget; needs a reason",
    )
    reason: Annotated[
        str | None,
        BeforeValidator(lambda v: v if v is None else clean_text(v, max_length=500, min_length=1)),
    ] = Field(default=None, description="why the resolution is allocated again")


class ScheduleLine(BaseModel):
    unit: str
    area: Area = Field(description="exclusive area, m²")
    amount: Money


class AllocationOut(BaseModel):
    entry: TransactionOut
    resolution: str
    setting: AllocationSetting
    total: Money
    schedule: list[ScheduleLine]


def _refuse(message: Msg, rule: str, *, field: str | None = None, **details: object) -> Problem:
    return Problem(message, field=field, rule=rule, details=dict(details))


def allocate(
    *,
    books: Books,
    slug: str,
    number: str,
    body: AllocationIn,
    actor: str,
    address: str | None = None,
) -> tuple[AllocationOut, bool]:
    """Compute the schedule and post the entry (pending approval). Returns the answer and
    whether this call created it (``False`` when an idempotency key replayed it)."""
    with Session(books.engine) as session:
        community = books.community(session, slug)
        row = find(session, community, number)
        setting = setting_of(row)
        units = list(
            session.execute(
                select(Unit).where(col(Unit.community_id) == community.id).order_by(col(Unit.code))
            ).scalars()
        )
    purpose = tuple(json.loads(row.purpose or "[]"))
    arithmetic = arithmetic_of(json.loads(row.tally or "{}"))
    expense, credit, payee, name = ACCOUNTS[body.kind]
    rules: list[Problem] = []
    fields: list[Problem] = []
    if not row.passed:
        rules.append(
            _refuse(
                msg(
                    "allocate.resolution-did-not-pass",
                    number=number,
                    source=cite(SOURCE),
                    kind=body.kind,
                    arithmetic=arithmetic,
                ),
                "resolution-passed",
                resolution=number,
            )
        )
    if not allows(purpose, body.kind, expense):
        rules.append(
            _refuse(
                msg(
                    "allocate.resolution-does-allow-purpose",
                    number=number,
                    kind=body.kind,
                    purpose=", ".join(purpose) or "empty",
                ),
                "resolution-purpose",
                resolution=number,
                purpose=list(purpose),
            )
        )
    if setting is None:
        rules.append(
            _refuse(
                msg("allocate.resolution-sets-no-allocation", number=number),
                "allocation-setting",
                resolution=number,
            )
        )
    elif setting.mode == "total" and body.total is None:
        fields.append(
            _refuse(
                msg("allocate.resolution-splits-total-give", number=number),
                "allocation-total",
                field="total",
            )
        )
    elif setting.mode == "rate" and body.total is not None:
        fields.append(
            _refuse(
                msg(
                    "allocate.resolution-pays-yuan-per",
                    number=number,
                    rate=setting.rate,
                    value="m²" if setting.basis == "area" else "unit",
                ),
                "allocation-total",
                field="total",
                total=str(body.total),
            )
        )
    elif body.total is not None and (
        body.total <= 0 or to_fen(body.total) % STEP[setting.rounding]
    ):
        whole = setting.rounding == "yuan_floor"
        fields.append(
            _refuse(
                msg(
                    "allocate.total-must-be-positive-yuan"
                    if whole
                    else "allocate.total-must-be-positive",
                    total=body.total,
                ),
                "allocation-total",
                field="total",
                total=str(body.total),
            )
        )
    if not units:
        rules.append(_refuse(msg("allocate.unit-register-empty", slug=slug), "unit-register"))
    if body.again and body.reason is None:
        fields.append(
            _refuse(
                msg("allocate.allocating-again-needs-reason"), "allocation-again", field="reason"
            )
        )
    if fields:
        raise ValidationFailed(fields)
    if rules:
        raise RuleViolations(rules)
    assert setting is not None
    recipients = [Recipient(u.id or 0, u.code, u.area_centi) for u in units]
    total_fen = None if body.total is None else to_fen(body.total)
    parts = schedule(setting, recipients, total_fen)
    amount = from_fen(sum(p.amount_fen for p in parts))
    if amount <= 0:
        raise RuleViolations(
            [
                _refuse(
                    msg("allocate.resolution-s-rate-gives", number=number),
                    "allocation-total",
                )
            ]
        )
    if not body.again:
        _refuse_again(books, community.id, number, body, amount, from_fen(row.budget_fen))
    again = f"（再次分配：{body.reason}）" if body.again else ""
    draft = TransactionIn(
        date=body.date,
        payee=payee,
        narration=(
            f"{number}号决议《{row.title}》{name}{again}: {setting.describe()}, "
            f"{len(parts)}户合计 {fmt(amount)} 元"
        )[:1000],
        kind=body.kind,
        postings=[
            PostingIn(account=expense, amount=amount),
            PostingIn(account=credit, amount=-amount),
        ],
        resolution=number,
        documents=[f"决议 {number}"],
        idempotency_key=body.idempotency_key,
    )
    posted = journal.post(
        books=books,
        slug=slug,
        draft=draft,
        actor=actor,
        address=address,
        schedule=[(p.unit_id, p.area_centi, p.amount_fen) for p in parts],
    )
    if not posted.created:
        parts = stored_schedule(books, community.id, posted.entry.id)
    return (
        AllocationOut(
            entry=posted.entry,
            resolution=number,
            setting=setting,
            total=amount,
            schedule=[
                ScheduleLine(
                    unit=p.code, area=from_fen(p.area_centi), amount=from_fen(p.amount_fen)
                )
                for p in parts
            ],
        ),
        posted.created,
    )


def _refuse_again(
    books: Books,
    community_id: str,
    number: str,
    body: AllocationIn,
    amount: Decimal,
    budget: Decimal,
) -> None:
    """Refuse (409) a second allocation under one resolution for one date, or one beyond the
    resolution's budget counting the allocations posted or pending (a reversed one does not
    count), unless the call says ``again`` with a reason. An idempotent replay passes."""
    with Session(books.engine) as session:
        rows = session.execute(
            select(Entry).where(
                col(Entry.community_id) == community_id,
                col(Entry.resolution) == number,
                col(Entry.kind).in_(("dividend", "subsidy")),
                col(Entry.status).in_(("posted", "pending")),
            )
        ).scalars()
        earlier = list(rows)
        reversed_ids = set(
            session.execute(
                select(col(Entry.reverses)).where(
                    col(Entry.community_id) == community_id,
                    col(Entry.reverses).in_([e.id for e in earlier]),
                    col(Entry.status) == "posted",
                )
            ).scalars()
        )
        legs = {e.id: journal.legs_of(session, community_id, e.id) for e in earlier}
    live = [e for e in earlier if e.id not in reversed_ids]
    if body.idempotency_key is not None and any(
        e.idempotency_key == body.idempotency_key for e in live
    ):
        return  # the same call again: journal.post replays it
    same_day = [e for e in live if e.date == body.date]
    if same_day:
        raise StateConflict(
            [
                _refuse(
                    msg(
                        "allocate.resolution-already-has-dated",
                        number=number,
                        kind=same_day[0].kind,
                        date=body.date,
                        status=same_day[0].status,
                        id=same_day[0].id,
                    ),
                    "allocation-again",
                    resolution=number,
                    existing=[e.id for e in same_day],
                )
            ]
        )
    allocated = sum(
        (sum((leg.amount for leg in legs[e.id] if leg.amount > 0), Decimal("0.00")) for e in live),
        Decimal("0.00"),
    )
    if allocated + amount > budget:
        raise StateConflict(
            [
                _refuse(
                    msg(
                        "allocate.resolution-s-budget-already",
                        number=number,
                        budget=fmt(budget),
                        allocated=fmt(allocated),
                        amount=fmt(amount),
                    ),
                    "allocation-again",
                    resolution=number,
                    budget=str(budget),
                    allocated=str(allocated),
                    amount=str(amount),
                )
            ]
        )


def stored_schedule(books: Books, community_id: str, entry_id: str) -> list[Part]:
    """An entry's schedule as stored, by unit code."""
    with Session(books.engine) as session:
        rows = session.execute(
            select(
                col(AllocationLine.unit_id),
                col(Unit.code),
                col(AllocationLine.area_centi),
                col(AllocationLine.amount_fen),
            )
            .join(Unit, keyed(AllocationLine, "unit_id", Unit))
            .where(col(AllocationLine.community_id) == community_id)
            .where(col(AllocationLine.entry_id) == entry_id)
            .order_by(col(Unit.code))
        )
        return [Part(unit_id, code, area, amount) for unit_id, code, area, amount in rows]
