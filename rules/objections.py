"""Owners' objections (异议) to a closed period's published notice.

Under each published notice (a closed period) anyone may file an objection for a unit of the
register, without a login: the unit, a contact for the answer (a phone number or an e-mail
address), the figure or line it concerns and the text. Filings are limited per unit
(:data:`UNIT_PER_DAY`) and per address (:data:`ADDRESS_PER_DAY`) each day (China Standard
Time); the counters are rows of ``objectioncount``, so the limits hold across processes.

An approver or admin answers each objection (:func:`answer`); it is due
``objection_answer_days`` (rules file, default 15) calendar days after its filing, and one still
open after that day is overdue (:func:`overdue`). The public notice shows each objection with
its building only (the unit code before its first ``-``), never the unit or the contact.

The contact is personal information kept for the answer alone: ``objection_contact_days``
(default 90) calendar days after the answer it is erased by :func:`sweep`, which runs at
start-up and after each answer. Contacts never enter the audit trail (events record the unit
and the period), the public notice or an export.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from http import HTTPStatus
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict
from sqlalchemy import delete, select, update
from sqlmodel import Session, col

from ledger import clock, events
from ledger.books import Books
from ledger.clock import CST
from ledger.db import reader, writer
from ledger.errors import LedgerError, NotFound, Problem, StateConflict, ValidationFailed
from ledger.messages import Invalid, msg
from ledger.models import Community, Objection, ObjectionCount, PeriodClose, Unit
from ledger.schemas import UnitCode, clean_text
from rules.ruleset import of

#: Objections a unit may file in one day, and filings from one address in one day.
UNIT_PER_DAY = 5
ADDRESS_PER_DAY = 20
OPEN = "open"
ANSWERED = "answered"

_PHONE = re.compile(r"\A\+?[0-9][0-9 -]{5,22}[0-9]\Z")
_EMAIL = re.compile(r"\A[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+\Z")


class TooMany(LedgerError):
    """A daily limit on filings is reached (429)."""

    status = HTTPStatus.TOO_MANY_REQUESTS


def contact(value: object) -> str:
    """A phone number (digits, an optional leading ``+``, spaces or ``-`` between) or an
    e-mail address, at most 100 characters."""
    text = clean_text(value, max_length=100, min_length=1, multiline=False).strip()
    if _PHONE.match(text) and sum(ch.isdigit() for ch in text) >= 7:
        return text
    if _EMAIL.match(text):
        return text
    raise Invalid(msg("objections.contact-phone-number-e"))


def _one_line(max_length: int) -> BeforeValidator:
    return BeforeValidator(
        lambda v: clean_text(v, max_length=max_length, min_length=1, multiline=False)
    )


def _lines(max_length: int) -> BeforeValidator:
    return BeforeValidator(lambda v: clean_text(v, max_length=max_length, min_length=1))


class ObjectionIn(BaseModel):
    """An objection as filed: ``{"unit", "contact", "concerns", "text"}``."""

    model_config = ConfigDict(extra="forbid")

    unit: UnitCode
    contact: Annotated[str, BeforeValidator(contact)]
    concerns: Annotated[str, _one_line(200)]
    text: Annotated[str, _lines(2000)]


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: Annotated[str, _lines(2000)]


class Filed(BaseModel):
    """The answer to a filing: its number, ``open`` and the day the answer is due."""

    id: int
    status: str
    answer_due: date


class ObjectionOut(BaseModel):
    """An objection as the committee sees it (the contact until it is erased)."""

    id: int
    period: str
    unit: str
    building: str | None
    contact: str | None
    concerns: str
    text: str
    status: str
    filed_at: datetime
    answer_due: date
    overdue: bool
    answer: str | None
    answered_by: str | None
    answered_on: date | None
    contact_until: date | None


@dataclass(frozen=True)
class PublicObjection:
    """An objection as the public notice shows it: the building, never the unit or contact."""

    id: int
    building: str | None
    concerns: str
    text: str
    status: str
    answer: str | None
    answered_on: date | None
    answer_due: date
    overdue: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "building": self.building,
            "concerns": self.concerns,
            "text": self.text,
            "status": self.status,
            "answer": self.answer,
            "answered_on": None if self.answered_on is None else self.answered_on.isoformat(),
            "answer_due": self.answer_due.isoformat(),
            "overdue": self.overdue,
        }


def building(unit: str) -> str | None:
    """The building of a unit code: the part before its first ``-`` (None without one, so a
    code that is a unit alone is never shown)."""
    head, sep, _ = unit.partition("-")
    return head if sep and head else None


def is_overdue(row: Objection, on: date) -> bool:
    return row.status == OPEN and on > row.answer_due


def _out(row: Objection, on: date) -> ObjectionOut:
    assert row.id is not None
    return ObjectionOut(
        id=row.id,
        period=row.period,
        unit=row.unit,
        building=building(row.unit),
        contact=row.contact,
        concerns=row.concerns,
        text=row.text,
        status=row.status,
        filed_at=row.filed_at,
        answer_due=row.answer_due,
        overdue=is_overdue(row, on),
        answer=row.answer,
        answered_by=row.answered_by,
        answered_on=row.answered_on,
        contact_until=row.contact_until,
    )


def _close(session: Session, community: Community, period: str) -> PeriodClose:
    """The close of ``period``; NotFound (as for no such period) when it is not closed."""
    close = (
        session.execute(
            select(PeriodClose)
            .where(col(PeriodClose.community_id) == community.id)
            .where(col(PeriodClose.period) == period)
        )
        .scalars()
        .first()
    )
    if close is None:
        raise NotFound(
            [
                Problem(
                    msg(
                        "objections.no-closed-period-objections", period=period, slug=community.slug
                    ),
                    rule="closed-periods-only",
                    details={"period": period},
                )
            ]
        )
    assert isinstance(close, PeriodClose)
    return close


def posted_on(close: PeriodClose) -> date:
    """A notice is posted the day its period closes (China Standard Time)."""
    moment = close.closed_at
    if moment.tzinfo is None:  # SQLite returns naive datetimes; they were stored as UTC
        from datetime import UTC

        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CST).date()


def posted_until(books: Books, slug: str, close: PeriodClose) -> date:
    """The last day the notice stays posted: ``disclosure_days`` after it was posted."""
    days = of(books).file(slug).at(close.end).disclosure_days
    return posted_on(close) + timedelta(days=days)


def _count(
    session: Session, community_id: str, scope: str, key: str, day: date, limit: int
) -> None:
    """One more filing for ``key`` today; TooMany (writing nothing) at ``limit``."""
    row = (
        session.execute(
            select(ObjectionCount)
            .where(col(ObjectionCount.community_id) == community_id)
            .where(col(ObjectionCount.scope) == scope)
            .where(col(ObjectionCount.key) == key)
            .where(col(ObjectionCount.day) == day)
        )
        .scalars()
        .first()
    )
    if row is None:
        row = ObjectionCount(community_id=community_id, scope=scope, key=key, day=day, count=0)
    if row.count >= limit:
        who = f"unit {key}" if scope == "unit" else "this address"
        raise TooMany(
            [
                Problem(
                    msg(
                        "objections.has-filed-objections-today",
                        who=who,
                        count=row.count,
                        limit=limit,
                    ),
                    field="unit" if scope == "unit" else None,
                    rule="objection-limit",
                    details={"scope": scope, "filed": row.count, "limit": limit, "day": str(day)},
                )
            ]
        )
    row.count += 1
    session.add(row)


def file(
    *, books: Books, slug: str, period: str, body: ObjectionIn, address: str | None = None
) -> Filed:
    """File an objection under the notice of the closed ``period``. NotFound: no such community
    or closed period; 422: no such unit; 429: a daily limit reached. Nothing is written on a
    refusal."""
    today = clock.today()
    settings = of(books).file(slug).at(today)
    due = today + timedelta(days=settings.objection_answer_days)
    with writer(books.engine) as session:
        community = books.community(session, slug, for_update=True)
        close = _close(session, community, period)
        unit = session.execute(
            select(Unit.id)  # type: ignore[call-overload]
            .where(col(Unit.community_id) == community.id)
            .where(col(Unit.code) == body.unit)
        ).first()
        if unit is None:
            raise ValidationFailed(
                [
                    Problem(
                        msg("objections.no-unit-objection-filed", unit=body.unit, slug=slug),
                        field="unit",
                        rule="objection-unit",
                        details={"unit": body.unit},
                    )
                ]
            )
        _count(session, community.id, "unit", body.unit, today, UNIT_PER_DAY)
        if address:
            _count(session, community.id, "address", address[:100], today, ADDRESS_PER_DAY)
        row = Objection(
            community_id=community.id,
            period=close.period,
            unit=body.unit,
            contact=body.contact,
            concerns=body.concerns,
            text=body.text,
            status=OPEN,
            filed_at=clock.now(),
            answer_due=due,
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        events.record(
            session,
            community_id=community.id,
            actor="public",
            action="objection.file",
            object_type="objection",
            object_id=str(row.id),
            address=address,
            # never the contact: the audit trail is exported and kept for good
            details={
                "period": close.period,
                "unit": body.unit,
                "concerns": body.concerns,
                "answer_due": due.isoformat(),
            },
        )
        return Filed(id=row.id, status=OPEN, answer_due=due)


def _rows(session: Session, community_id: str, period: str | None = None) -> list[Objection]:
    query = select(Objection).where(col(Objection.community_id) == community_id)
    if period is not None:
        query = query.where(col(Objection.period) == period)
    return list(session.execute(query.order_by(col(Objection.id))).scalars())


def listing(*, books: Books, slug: str, period: str | None = None) -> list[ObjectionOut]:
    """Every objection of the community (or of one period), oldest first, for its members."""
    today = clock.today()
    with reader(books.engine) as session:
        community = books.community(session, slug)
        return [_out(row, today) for row in _rows(session, community.id, period)]


def overdue(*, books: Books, slug: str, on: date | None = None) -> list[ObjectionOut]:
    """The objections still open after their answer was due (on ``on``, default today)."""
    day = on or clock.today()
    return [o for o in listing(books=books, slug=slug) if o.status == OPEN and day > o.answer_due]


def public(session: Session, community: Community, period: str) -> tuple[PublicObjection, ...]:
    """The objections under ``period``'s notice as the public sees them (building only)."""
    today = clock.today()
    out = []
    for row in _rows(session, community.id, period):
        assert row.id is not None
        out.append(
            PublicObjection(
                id=row.id,
                building=building(row.unit),
                concerns=row.concerns,
                text=row.text,
                status=row.status,
                answer=row.answer,
                answered_on=row.answered_on,
                answer_due=row.answer_due,
                overdue=is_overdue(row, today),
            )
        )
    return tuple(out)


def answer(
    *,
    books: Books,
    slug: str,
    objection_id: int,
    body: AnswerIn,
    actor: str,
    address: str | None = None,
) -> ObjectionOut:
    """Answer an open objection (NotFound: none with that number here; 409: answered
    already). Its contact is kept ``objection_contact_days`` more days."""
    today = clock.today()
    settings = of(books).file(slug).at(today)
    with writer(books.engine) as session:
        community = books.community(session, slug, for_update=True)
        row = session.get(Objection, objection_id)
        if row is None or row.community_id != community.id:
            raise NotFound(
                [
                    Problem(
                        msg("objections.no-objection", objection_id=objection_id, slug=slug),
                        rule="objection",
                        details={"id": objection_id},
                    )
                ]
            )
        if row.status != OPEN:
            raise StateConflict(
                [
                    Problem(
                        msg(
                            "objections.objection-was-answered-by",
                            objection_id=objection_id,
                            answered_on=row.answered_on,
                            answered_by=row.answered_by,
                        ),
                        rule="objection-answered",
                        details={"id": objection_id, "answered_on": str(row.answered_on)},
                    )
                ]
            )
        row.status = ANSWERED
        row.answer = body.answer
        row.answered_by = actor
        row.answered_at = clock.now()
        row.answered_on = today
        row.contact_until = today + timedelta(days=settings.objection_contact_days)
        session.add(row)
        events.record(
            session,
            community_id=community.id,
            actor=actor,
            action="objection.answer",
            object_type="objection",
            object_id=str(objection_id),
            address=address,
            details={
                "period": row.period,
                "answer": body.answer,
                "late": today > row.answer_due,
            },
        )
        session.flush()
        found = _out(row, today)
    sweep(books)
    return found


def sweep(books: Books, *, on: date | None = None) -> int:
    """Erase the contacts kept past ``contact_until`` and the counters of past days; the
    number of contacts erased."""
    day = on or clock.today()
    with writer(books.engine) as session:
        erased = session.execute(
            update(Objection)
            .where(col(Objection.contact).is_not(None))
            .where(col(Objection.contact_until).is_not(None))
            .where(col(Objection.contact_until) < day)
            .values(contact=None)
        )
        session.execute(delete(ObjectionCount).where(col(ObjectionCount.day) < day))
        return int(getattr(erased, "rowcount", 0) or 0)
