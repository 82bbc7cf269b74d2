"""What the owners decided, as the rules see it: resolutions and closed periods.

These are the facts the rules read besides the transactions. The posting path builds them from
the database (``Resolution`` and ``PeriodClose`` rows, see :func:`resolution_fact` and
:func:`close_fact`); the projection carries them as ``custom`` directives so the beancount plugin
builds the very same facts from the file, and both drivers judge alike.

This module is the contract between the register/resolution/allocation side (which writes the
rows) and the rule modules (which read the facts). Keep both sides to it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from ledger.models import PeriodClose, Resolution
from ledger.money import from_fen


@dataclass(frozen=True)
class ResolutionFact:
    """An owners' resolution as the spending rule needs it."""

    number: str
    title: str
    matter: int  # 1..9, the items of 民法典 art. 278
    passed: bool
    voted_on: date
    effective_from: date
    expires_on: date | None
    budget: Decimal
    #: Kinds (``dividend``, ``upgrade``...) and/or beancount account names it may pay.
    purpose: tuple[str, ...]

    def in_effect(self, day: date) -> bool:
        return self.effective_from <= day and (self.expires_on is None or day <= self.expires_on)


@dataclass(frozen=True)
class CloseFact:
    """A closed period: nothing dated in ``start..end`` (inclusive) may be posted or reversed
    after it; ``head_seq``/``head_hash`` are the chain head when it closed."""

    period: str
    start: date
    end: date
    head_seq: int
    head_hash: str
    closed_by: str
    closed_at: datetime

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


def resolution_fact(row: Resolution) -> ResolutionFact:
    return ResolutionFact(
        number=row.number,
        title=row.title,
        matter=row.matter,
        passed=row.passed,
        voted_on=row.voted_on,
        effective_from=row.effective_from,
        expires_on=row.expires_on,
        budget=from_fen(row.budget_fen),
        purpose=tuple(json.loads(row.purpose)),
    )


def close_fact(row: PeriodClose) -> CloseFact:
    return CloseFact(
        period=row.period,
        start=row.start,
        end=row.end,
        head_seq=row.head_seq,
        head_hash=row.head_hash,
        closed_by=row.closed_by,
        closed_at=row.closed_at,
    )
