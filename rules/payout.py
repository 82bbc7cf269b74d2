"""Paying a dividend out: the owners are owed what an approved dividend credited to 2209-02
应付业主分红, unit by unit; a payout pays some or all of it.

A payout is an entry of its own kind (``payout``), created only here (``commons payout``,
``POST .../resolutions/{number}/payouts``), never typed: it debits the payable and credits the
bank, for the units asked (or every unit still owed), each unit's amount being exactly what is
still owed to it under the resolution. Its per-unit lines are stored with the entry, as an
allocation's are, so what each unit was paid and is still owed can be shown to its owner. It
goes through ``ledger.journal`` like any spending: every rule checks it, and it waits for a
second member when its amount (alone or with other payouts in the window) is at or over the
approval threshold.

Methods: ``bank`` (paid to the owner's account) and ``fee_offset`` (set against the owner's
property fee: paid to the manager on the owner's behalf). Both leave the bank.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlmodel import Session, col

from ledger import chart, journal
from ledger.books import Books
from ledger.errors import Problem, ValidationFailed
from ledger.messages import msg
from ledger.models import AllocationLine, Entry, Unit, keyed
from ledger.money import fmt, from_fen
from ledger.schemas import IdempotencyKey, Money, PostingIn, TransactionIn, TransactionOut
from rules.resolution_register import find

Method = Literal["bank", "fee_offset"]
UnitCode = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[^\s]+$")]
PAYEE = {"bank": "业主（分红支付）", "fee_offset": "物业服务企业（分红抵物业费）"}


class PayoutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: date
    units: Annotated[list[UnitCode], Field(min_length=1, max_length=5000)] | None = Field(
        default=None, description="the units to pay; default every unit still owed"
    )
    method: Method = "bank"
    idempotency_key: IdempotencyKey | None = None


class PayoutLine(BaseModel):
    unit: str
    amount: Money


class PayoutOut(BaseModel):
    entry: TransactionOut
    resolution: str
    method: Method
    total: Money
    lines: list[PayoutLine]


@dataclass(frozen=True)
class Owed:
    """What one unit was allocated under a resolution's dividends, and paid (or being paid)."""

    unit_id: int
    code: str
    area_centi: int
    allocated_fen: int
    paid_fen: int

    @property
    def owed_fen(self) -> int:
        return self.allocated_fen - self.paid_fen


def owed(session: Session, community_id: str, number: str) -> list[Owed]:
    """Per unit, what the resolution's posted dividends allocated and its payouts (posted or
    pending) paid; a reversed dividend or payout (its reversal posted) counts for nothing."""
    reversed_ids = select(col(Entry.reverses)).where(
        col(Entry.community_id) == community_id,
        col(Entry.status) == "posted",
        col(Entry.reverses).is_not(None),
    )

    def sums(kind: str, statuses: tuple[str, ...]) -> dict[int, int]:
        rows = session.execute(
            select(col(AllocationLine.unit_id), func.sum(col(AllocationLine.amount_fen)))
            .join(Entry, keyed(AllocationLine, "entry_id", Entry))
            .where(
                col(Entry.community_id) == community_id,
                col(Entry.resolution) == number,
                col(Entry.kind) == kind,
                col(Entry.status).in_(statuses),
                col(Entry.id).not_in(reversed_ids),
            )
            .group_by(col(AllocationLine.unit_id))
        )
        return {unit: int(fen) for unit, fen in rows}

    allocated = sums("dividend", ("posted",))
    paid = sums("payout", ("posted", "pending"))
    units = session.execute(
        select(Unit).where(col(Unit.id).in_(list(allocated))).order_by(col(Unit.code))
    ).scalars()
    return [
        Owed(u.id or 0, u.code, u.area_centi, allocated[u.id or 0], paid.get(u.id or 0, 0))
        for u in units
    ]


def payout(
    *,
    books: Books,
    slug: str,
    number: str,
    body: PayoutIn,
    actor: str,
    address: str | None = None,
) -> tuple[PayoutOut, bool]:
    """Enter the payout (posted, or pending approval). Returns the answer and whether this
    call created it (``False`` when an idempotency key replayed it)."""
    with Session(books.engine) as session:
        community = books.community(session, slug)
        row = find(session, community, number)
        found = owed(session, community.id, number)
    by_code = {o.code: o for o in found}
    problems: list[Problem] = []
    if body.units is not None:
        unknown = [u for u in body.units if u not in by_code]
        if unknown:
            problems.append(
                Problem(
                    msg(
                        "payout.no-dividend-under-resolution",
                        number=number,
                        unknown=", ".join(unknown),
                    ),
                    field="units",
                    rule="payout-units",
                    details={"units": unknown},
                )
            )
        chosen = [by_code[u] for u in body.units if u in by_code]
    else:
        chosen = found
    settled = [o.code for o in chosen if o.owed_fen <= 0]
    if body.units is not None and settled:
        problems.append(
            Problem(
                msg("payout.nothing-owed-unit-s", settled=", ".join(settled), number=number),
                field="units",
                rule="payout-owed",
                details={"units": settled},
            )
        )
    lines = [o for o in chosen if o.owed_fen > 0]
    if not lines and not problems:
        problems.append(
            Problem(
                msg("payout.nothing-owed-under-resolution", number=number),
                rule="payout-owed",
                details={"resolution": number},
            )
        )
    if problems:
        raise ValidationFailed(problems)
    total = from_fen(sum(o.owed_fen for o in lines))
    how = "银行转账" if body.method == "bank" else "抵扣物业费"
    draft = TransactionIn(
        date=body.date,
        payee=PAYEE[body.method],
        narration=(
            f"{number}号决议《{row.title}》分红支付（{how}）: {len(lines)}户合计 {fmt(total)} 元"
        )[:1000],
        kind="payout",
        postings=[
            PostingIn(account=chart.DIVIDENDS_PAYABLE, amount=total),
            PostingIn(account=chart.BANK, amount=-total),
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
        schedule=[(o.unit_id, o.area_centi, o.owed_fen) for o in lines],
    )
    out = PayoutOut(
        entry=posted.entry,
        resolution=number,
        method=body.method,
        total=total,
        lines=[PayoutLine(unit=o.code, amount=from_fen(o.owed_fen)) for o in lines],
    )
    return out, posted.created


def status(books: Books, slug: str, number: str) -> list[tuple[str, Decimal, Decimal]]:
    """(unit, allocated, still owed) per unit under a resolution's dividends."""
    with Session(books.engine) as session:
        community = books.community(session, slug)
        return [
            (o.code, from_fen(o.allocated_fen), from_fen(o.owed_fen))
            for o in owed(session, community.id, number)
        ]
