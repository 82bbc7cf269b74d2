"""Accounting periods as people name them: a year (``2025``), a quarter (``2025Q1``) or a date
range (``2025-01-01..2025-06-30``), inclusive at both ends, in the books' calendar (CST)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ledger.errors import Problem, ValidationFailed
from ledger.messages import Msg, msg

_YEAR = re.compile(r"\A([0-9]{4})\Z")
_QUARTER = re.compile(r"\A([0-9]{4})[Qq]([1-4])\Z")
_RANGE = re.compile(r"\A([0-9]{4}-[0-9]{2}-[0-9]{2})\.\.([0-9]{4}-[0-9]{2}-[0-9]{2})\Z")


@dataclass(frozen=True)
class Period:
    label: str
    start: date
    end: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    @property
    def slug(self) -> str:
        """The label in a form fit for a file name (``2025-01-01_2025-06-30`` for a range)."""
        return self.label.replace("..", "_")


#: The earliest day a period may start: no committee kept these books before 1900, and a
#: period of year 1 cannot even be exported (the balances carried in are dated the day
#: before it, and its bounds in UTC fall before the calendar).
FIRST_DAY = date(1900, 1, 1)


def parse_period(text: str) -> Period:
    """``2025`` → the year; ``2025Q1`` → the quarter; ``A..B`` → A to B inclusive; from 1900."""
    period = _parse(text)
    if period is not None and period.start >= FIRST_DAY:
        return period
    raise ValidationFailed(
        [
            Problem(
                msg("period.period-use-year-quarter", text=text, year=FIRST_DAY.year),
                field="period",
                rule="period-format",
                details={"period": text, "first_day": FIRST_DAY.isoformat()},
            )
        ]
    )


def _parse(text: str) -> Period | None:
    value = text.strip()
    try:
        if match := _YEAR.match(value):
            year = int(match.group(1))
            return Period(value, date(year, 1, 1), date(year, 12, 31))
        if match := _QUARTER.match(value):
            year, quarter = int(match.group(1)), int(match.group(2))
            start = date(year, 3 * quarter - 2, 1)
            after = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
            return Period(f"{year}Q{quarter}", start, after - timedelta(days=1))
    except ValueError:
        pass  # year 0, or the quarter after 9999: outside the calendar, refused below
    if match := _RANGE.match(value):
        try:
            start, end = date.fromisoformat(match.group(1)), date.fromisoformat(match.group(2))
        except ValueError:
            pass
        else:
            if start <= end:
                return Period(value, start, end)
    return None


#: Why a closed period takes nothing more (the plugin's rule ``closed-period`` says the same).
LOCKED_SOURCE = "Shanghai 住宅物业管理规定 art. 66 (disclosed periods stay as disclosed)"


def locked_message(what: Msg, day: date, close: Any) -> tuple[Msg, dict[str, Any]]:
    """The one wording of the refusal of anything dated in or before a closed period (periods
    close in order, so everything up to the last close's end is sealed), for the posting path
    and the plugin alike, with its details."""
    where = msg("period.inside" if close.start <= day <= close.end else "period.before-end")
    message = msg(
        "period.locked",
        what=what,
        day=day,
        where=where,
        period=close.period,
        start=close.start,
        end=close.end,
        head_seq=close.head_seq,
        source=msg("source.locked"),
    )
    details = {
        "period": close.period,
        "date": str(day),
        "start": str(close.start),
        "end": str(close.end),
        "head_seq": close.head_seq,
    }
    return message, details


def before_start_message(what: Msg, day: date, start: date) -> tuple[Msg, dict[str, Any]]:
    """The refusal of anything dated before the books start."""
    message = msg("period.before-start", what=what, day=day, start=start)
    return message, {"date": str(day), "books_start": str(start)}
