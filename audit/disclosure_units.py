"""The unit lookup: what one unit received (dividends, subsidies) in closed periods only.

An allocation counts once its entry is inside a closed period and within the chain head that
close recorded; one reversed within that head does not count. No owner is ever named.

Per dividend (resolution), what the unit was allocated, paid and is still owed: a payout
(``rules.payout``) counts by the same rule, so a pending payout is not paid, and what the page
shows is as at the last close.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlmodel import Session, col

from audit.disclosure_model import SCHEDULE_KINDS, ZERO, UnitDividend, UnitReceipt, UnitReceipts
from ledger.books import Books
from ledger.errors import NotFound, Problem
from ledger.messages import msg
from ledger.models import AllocationLine, Entry, PeriodClose, Unit, keyed
from ledger.money import from_fen


def unit_receipts(*, books: Books, slug: str, unit: str) -> UnitReceipts:
    """What one unit received (dividends, subsidies) in closed periods, period by period."""
    with Session(books.engine) as session:
        community = books.community(session, slug)
        row = (
            session.execute(
                select(Unit)
                .where(Unit.community_id == community.id)  # type: ignore[arg-type]
                .where(Unit.code == unit)  # type: ignore[arg-type]
            )
            .scalars()
            .first()
        )
        if row is None:
            raise NotFound(
                [
                    Problem(
                        msg("disclosure_units.no-unit", unit=unit, slug=slug),
                        rule="unit",
                        details={},
                    )
                ]
            )
        receipts: list[UnitReceipt] = []
        paid: dict[str | None, int] = {}
        for close, entry, _unit, fen in _counted(session, community.id, row.id):
            if entry.kind == "payout":
                paid[entry.resolution] = paid.get(entry.resolution, 0) + fen
                continue
            receipts.append(
                UnitReceipt(close.period, entry.kind, entry.date, entry.resolution, from_fen(fen))
            )
        return UnitReceipts(
            slug=community.slug,
            community=community.name,
            unit=row.code,
            area=from_fen(row.area_centi),
            receipts=tuple(receipts),
            dividends=_dividends(receipts, paid),
        )


def _counted(
    session: Session, community_id: str, unit_id: int | None = None
) -> list[tuple[PeriodClose, Entry, int, int]]:
    """The allocation lines that count (dividends, subsidies, payouts; of one unit, or of all):
    each with its close, entry, unit id and fen, in entry order."""
    closes = list(
        session.execute(
            select(PeriodClose)
            .where(PeriodClose.community_id == community_id)  # type: ignore[arg-type]
            .order_by(PeriodClose.start)  # type: ignore[arg-type]
        ).scalars()
    )
    query = (
        select(Entry, col(AllocationLine.unit_id), col(AllocationLine.amount_fen))
        .join(AllocationLine, keyed(AllocationLine, "entry_id", Entry))
        .where(Entry.community_id == community_id)  # type: ignore[arg-type]
        .where(Entry.status == "posted")  # type: ignore[arg-type]
        .where(col(Entry.kind).in_((*SCHEDULE_KINDS, "payout")))
        .order_by(Entry.seq)  # type: ignore[arg-type]
    )
    if unit_id is not None:
        query = query.where(col(AllocationLine.unit_id) == unit_id)
    reversal_seq = {
        reverses: seq
        for reverses, seq in session.execute(
            select(col(Entry.reverses), col(Entry.seq))
            .where(Entry.community_id == community_id)  # type: ignore[arg-type]
            .where(Entry.reverses.is_not(None))  # type: ignore[union-attr]
            .where(Entry.status == "posted")  # type: ignore[arg-type]
        )
    }
    out = []
    for entry, unit, fen in session.execute(query).all():
        close = next(
            (
                c
                for c in closes
                if c.start <= entry.date <= c.end and (entry.seq or 0) <= c.head_seq
            ),
            None,
        )
        if close is None:
            continue
        undone = reversal_seq.get(entry.id)
        if undone is not None and undone <= close.head_seq:
            continue
        out.append((close, entry, unit, fen))
    return out


def dividend_totals(
    *, books: Books, slug: str, resolutions: Sequence[str | None]
) -> tuple[UnitDividend, ...]:
    """Per dividend resolution, over all units: allocated, paid and still owed, counted as the
    unit lookup counts them (closed periods, within the close's chain head), so the notice's
    totals are the sums of what each unit's page shows."""
    with Session(books.engine) as session:
        community = books.community(session, slug)
        lines = _counted(session, community.id)
    allocated: dict[str | None, int] = dict.fromkeys(resolutions, 0)
    paid: dict[str | None, int] = dict.fromkeys(resolutions, 0)
    for _close, entry, _unit, fen in lines:
        if entry.resolution not in allocated:
            continue
        if entry.kind == "dividend":
            allocated[entry.resolution] += fen
        elif entry.kind == "payout":
            paid[entry.resolution] += fen
    return tuple(
        UnitDividend(
            resolution=number,
            allocated=from_fen(allocated[number]),
            paid=from_fen(paid[number]),
            owed=from_fen(allocated[number] - paid[number]),
        )
        for number in resolutions
    )


def _dividends(
    receipts: list[UnitReceipt], paid_fen: dict[str | None, int]
) -> tuple[UnitDividend, ...]:
    """Per resolution, in order of its first dividend: allocated, paid and still owed."""
    allocated: dict[str | None, Decimal] = {}
    for r in receipts:
        if r.kind == "dividend":
            allocated[r.resolution] = allocated.get(r.resolution, ZERO) + r.amount
    return tuple(
        UnitDividend(
            resolution=number,
            allocated=amount,
            paid=from_fen(paid_fen.get(number, 0)),
            owed=amount - from_fen(paid_fen.get(number, 0)),
        )
        for number, amount in allocated.items()
    )
