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
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ledger.money import from_fen
from ledger.render import render_custom

if TYPE_CHECKING:
    from ledger.models import PeriodClose, Resolution

RESOLUTION = "resolution"
CLOSE = "close"


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


# --- as beancount directives (the projection carries them; the plugin reads them back) -------


def render_resolution(fact: ResolutionFact) -> str:
    """``<voted_on> custom "resolution" "<number>"`` with the fact in string metadata."""
    meta = {
        "title": fact.title,
        "matter": str(fact.matter),
        "passed": "true" if fact.passed else "false",
        "effective-from": fact.effective_from.isoformat(),
        "budget": f"{fact.budget:.2f}",
        "purpose": json.dumps(list(fact.purpose), ensure_ascii=False),
    }
    if fact.expires_on is not None:
        meta["expires-on"] = fact.expires_on.isoformat()
    return render_custom(fact.voted_on, RESOLUTION, [fact.number], meta)


def render_close(fact: CloseFact) -> str:
    """``<end> custom "close" "<period>"`` with the range, the chain head, who and when."""
    meta = {
        "start": fact.start.isoformat(),
        "head-seq": str(fact.head_seq),
        "head-hash": fact.head_hash,
        "closed-by": fact.closed_by,
        "closed-at": fact.closed_at.isoformat(),
    }
    return render_custom(fact.end, CLOSE, [fact.period], meta)


def _value(entry: Any) -> str:
    value = entry.values[0] if entry.values else None
    return str(getattr(value, "value", value))


def facts_from_entries(
    entries: Iterable[Any],
) -> tuple[dict[str, ResolutionFact], list[CloseFact]]:
    """The resolutions and closes among parsed beancount entries (``data.Custom``).
    Raises ``ValueError`` (with the line) on a directive that does not parse."""
    resolutions: dict[str, ResolutionFact] = {}
    closes: list[CloseFact] = []
    for entry in entries:
        type_ = getattr(entry, "type", None)
        if type_ not in (RESOLUTION, CLOSE) or not hasattr(entry, "values"):
            continue
        meta = entry.meta or {}
        try:
            if type_ == RESOLUTION:
                number = _value(entry)
                expires = meta.get("expires-on")
                resolutions[number] = ResolutionFact(
                    number=number,
                    title=str(meta["title"]),
                    matter=int(meta["matter"]),
                    passed=meta["passed"] == "true",
                    voted_on=entry.date,
                    effective_from=date.fromisoformat(str(meta["effective-from"])),
                    expires_on=date.fromisoformat(str(expires)) if expires else None,
                    budget=Decimal(str(meta["budget"])),
                    purpose=tuple(json.loads(str(meta["purpose"]))),
                )
            else:
                closes.append(
                    CloseFact(
                        period=_value(entry),
                        start=date.fromisoformat(str(meta["start"])),
                        end=entry.date,
                        head_seq=int(meta["head-seq"]),
                        head_hash=str(meta["head-hash"]),
                        closed_by=str(meta["closed-by"]),
                        closed_at=datetime.fromisoformat(str(meta["closed-at"])),
                    )
                )
        except (KeyError, ValueError, TypeError) as exc:
            where = f"{meta.get('filename', '?')}:{meta.get('lineno', '?')}"
            raise ValueError(f"{where}: custom {type_!r} directive is malformed: {exc}") from None
    closes.sort(key=lambda c: c.start)
    return resolutions, closes
