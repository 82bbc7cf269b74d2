"""The one clock. Nothing else in the project calls ``date.today()`` or ``datetime.now()``,
so tests freeze time with freezegun and every timestamp agrees."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

#: Committees keep their books in China Standard Time; "today" is the local date there.
CST = timezone(timedelta(hours=8), "CST")


def now() -> datetime:
    """The current moment, timezone-aware (UTC)."""
    return datetime.now(UTC)


def today() -> date:
    """Today's date in China Standard Time, the books' calendar."""
    return now().astimezone(CST).date()
