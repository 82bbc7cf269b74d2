"""The unit register: unit code, opaque owner id, exclusive area, developer-unsold flag.

Areas are exact: square metres with at most two places, stored as hundredths
(``Unit.area_centi``). The register is what the art. 278 vote test counts (areas, heads) and
what dividends and subsidies are split over (art. 283), so a bad row is refused, never guessed.

An import adds units; it never changes or removes one. It is all or nothing: every problem of
every row is reported (with its line number for a CSV), and nothing is stored while any
remains. Owner ids stay inside the service: nothing public ever shows them.

The CSV (UTF-8, with or without BOM)::

    unit,owner,area,developer_unsold
    1-1-0101,O0001,89.30,false
    10-2-1601,developer,68.52,true

``developer_unsold`` may be left out (column or value): it defaults to ``false``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, insert, select
from sqlmodel import Session, SQLModel, col

from ledger import events
from ledger.books import Books
from ledger.db import writer
from ledger.errors import Problem, ValidationFailed
from ledger.messages import Invalid, Msg, msg, text_of
from ledger.models import Unit
from ledger.money import from_fen
from ledger.schemas import clean_text, unit_code

HEADER = ("unit", "owner", "area", "developer_unsold")
RULE = "unit-register"
#: An area as text: ASCII digits and at most one point (not ``1_000``, ``1e2`` or ``８９``).
AREA_TEXT = re.compile(r"\A-?[0-9]+(\.[0-9]+)?\Z")
#: The largest exclusive area one unit may have; more is a typo (m² entered as dm²...).
MAX_AREA = Decimal("100000.00")
#: The most units one import may carry.
MAX_UNITS = 50_000


@dataclass(frozen=True)
class UnitIn:
    """One row of the register as given: unit code, owner id, area in m², unsold flag."""

    unit: str
    owner: str
    area: Decimal
    developer_unsold: bool = False

    @property
    def area_centi(self) -> int:
        return int(self.area * 100)


def area_of(centi: int) -> Decimal:
    """Hundredths of a square metre as square metres with two places."""
    return from_fen(centi)


def _problem(where: str, message: Msg, **details: Any) -> Problem:
    return Problem(
        msg("common.at", where=where, message=message),
        field=where,
        rule=RULE,
        details=details,
    )


def _short(value: object) -> str:
    """``repr(value)``, cut to 40 characters so a pasted column does not flood the message."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_area(value: object) -> Decimal:
    """An exclusive area: a positive decimal of square metres with at most two places."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise Invalid(msg("units.area-must-decimal-string", value=_short(value)))
    text = str(value).strip(" ")
    if isinstance(value, str) and not AREA_TEXT.match(text):
        raise Invalid(msg("units.area-number", value=_short(value)))
    try:
        area = Decimal(text)
    except InvalidOperation:
        raise Invalid(msg("units.area-number", value=_short(value))) from None
    if not area.is_finite():
        raise Invalid(msg("units.area-number", value=_short(value)))
    exponent = area.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise Invalid(msg("units.area-has-more-than", value=_short(value)))
    if area <= 0:
        raise Invalid(msg("units.area-must-positive-got", value=_short(value)))
    if area > MAX_AREA:
        raise Invalid(msg("units.area-exceeds-m", value=_short(value), max_area=MAX_AREA))
    return area.quantize(Decimal("0.01"))


def _flag(value: object) -> bool:
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    raise Invalid(msg("units.developer-unsold-must-true", value=value))


def check_row(where: str, raw: dict[str, Any]) -> tuple[UnitIn | None, list[Problem]]:
    """One row (a CSV line or a JSON object) as a unit, or its problems."""
    problems: list[Problem] = []
    code = raw.get("unit")
    owner = raw.get("owner")
    area: Decimal | None = None
    flag = False
    try:
        # A unit code goes into URLs (the public lookup), file names, CSV cells and the
        # disclosure: ``ledger.schemas.unit_code`` says what one may hold.
        code = unit_code(code.strip() if isinstance(code, str) else code)
    except ValueError as exc:
        problems.append(
            _problem(
                where,
                text_of(exc),
                unit=code[:40] if isinstance(code, str) else None,
            )
        )
    if owner is None or (isinstance(owner, str) and not owner.strip()):
        problems.append(_problem(where, msg("units.owner-id-missing")))
    else:
        try:
            owner = clean_text(owner, max_length=100, min_length=1, multiline=False).strip()
        except ValueError as exc:
            problems.append(_problem(where, msg("units.owner-id", exc=exc)))
    try:
        area = parse_area(raw.get("area"))
    except ValueError as exc:
        problems.append(_problem(where, text_of(exc), area=str(raw.get("area"))[:40]))
    try:
        flag = _flag(raw.get("developer_unsold"))
    except ValueError as exc:
        problems.append(_problem(where, text_of(exc)))
    if problems:
        return None, problems
    assert isinstance(code, str) and isinstance(owner, str) and area is not None
    return UnitIn(code, owner, area, flag), []


def parse_csv(data: bytes | str, *, name: str = "units.csv") -> list[UnitIn]:
    """The units of a register CSV; ``ValidationFailed`` listing every bad line."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationFailed(
                [Problem(msg("units.utf-text", name=name, exc=exc), field=name, rule=RULE)]
            ) from None
    else:
        text = data.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        header = []
    columns = tuple(h.strip() for h in header)
    if columns not in (HEADER, HEADER[:3]):
        raise ValidationFailed(
            [
                Problem(
                    msg(
                        "units.line-header-must-developer",
                        name=name,
                        header=",".join(HEADER),
                        columns=",".join(columns) or "empty",
                    ),
                    field="line 1",
                    rule=RULE,
                    details={"header": list(columns)},
                )
            ]
        )
    rows: list[tuple[str, dict[str, Any]]] = []
    problems: list[Problem] = []
    try:
        start = reader.line_num + 1
        for values in reader:
            line, start = start, reader.line_num + 1  # a quoted field may span lines
            if not any(v.strip() for v in values):
                continue  # blank line
            where = f"line {line}"
            if len(values) != len(columns):
                problems.append(
                    _problem(
                        where,
                        msg(
                            "units.expected-fields-found", columns=len(columns), values=len(values)
                        ),
                    )
                )
                continue
            rows.append((where, dict(zip(columns, values, strict=True))))
    except csv.Error as exc:
        problems.append(_problem(f"line {reader.line_num}", msg("units.valid-csv", exc=exc)))
    return check_rows(rows, problems)


def parse_json(items: Sequence[dict[str, Any]]) -> list[UnitIn]:
    """The units of a JSON list (the API body); problems name ``units[i]``."""
    rows: list[tuple[str, dict[str, Any]]] = []
    problems: list[Problem] = []
    for index, item in enumerate(items):
        where = f"units[{index}]"
        if not isinstance(item, dict):
            problems.append(_problem(where, msg("units.must-object")))
            continue
        extra = set(item) - set(HEADER)
        if extra:
            problems.append(
                _problem(where, msg("units.unknown-field-s", extra=", ".join(sorted(extra))))
            )
            continue
        rows.append((where, item))
    return check_rows(rows, problems)


def check_rows(
    rows: Iterable[tuple[str, dict[str, Any]]], problems: list[Problem] | None = None
) -> list[UnitIn]:
    """Every row checked, duplicates within the rows refused; all problems at once."""
    problems = list(problems or [])
    units: list[UnitIn] = []
    first_seen: dict[str, str] = {}
    for where, raw in rows:
        unit, found = check_row(where, raw)
        problems += found
        if unit is None:
            continue
        if unit.unit in first_seen:
            problems.append(
                _problem(
                    where,
                    msg(
                        "units.unit-appears-twice-first",
                        unit=unit.unit,
                        first_seen=first_seen[unit.unit],
                    ),
                    unit=unit.unit,
                )
            )
            continue
        first_seen[unit.unit] = where
        units.append(unit)
    if len(units) > MAX_UNITS:
        problems.append(Problem(msg("units.at-most-units-per", max_units=MAX_UNITS), rule=RULE))
    if not units and not problems:
        problems.append(Problem(msg("units.no-units-import"), rule=RULE))
    if problems:
        raise ValidationFailed(sorted(problems, key=_line))
    return units


def _line(problem: Problem) -> int:
    """Problems of a file in line order (a JSON list's keep their order)."""
    field = problem.field or ""
    return int(field[5:]) if field.startswith("line ") and field[5:].isdigit() else 0


@dataclass(frozen=True)
class RegisterSummary:
    added: int
    units: int
    total_area: Decimal
    rev: int


def import_units(
    *,
    books: Books,
    slug: str,
    units: Sequence[UnitIn],
    actor: str,
    address: str | None = None,
    source: str = "api",
) -> RegisterSummary:
    """Add ``units`` to the register, all or none; a unit already registered is refused.
    Bumps ``community.rev`` so the rules see the new register."""
    with writer(books.engine) as session:
        community = books.community(session, slug, for_update=True)
        codes = [u.unit for u in units]
        existing: set[str] = set()
        for start in range(0, len(codes), 900):  # stay under bound-parameter limits
            chunk = codes[start : start + 900]
            existing.update(
                session.execute(
                    select(col(Unit.code))
                    .where(col(Unit.community_id) == community.id)
                    .where(col(Unit.code).in_(chunk))
                ).scalars()
            )
        if existing:
            raise ValidationFailed(
                [
                    Problem(
                        msg("units.unit-already-register-import", code=code, slug=slug),
                        field=code,
                        rule=RULE,
                        details={"unit": code},
                    )
                    for code in codes
                    if code in existing
                ]
            )
        rows = [
            {
                "community_id": community.id,
                "code": u.unit,
                "owner": u.owner,
                "area_centi": u.area_centi,
                "developer_unsold": u.developer_unsold,
            }
            for u in units
        ]
        session.execute(insert(SQLModel.metadata.tables["unit"]), rows)
        community.rev += 1
        session.add(community)
        events.record(
            session,
            community_id=community.id,
            actor=actor,
            action="units",
            object_type="register",
            object_id=slug,
            address=address,
            details={"added": len(rows), "source": source},
        )
        session.flush()
        count, area = session.execute(
            select(func.count(), func.coalesce(func.sum(col(Unit.area_centi)), 0)).where(
                col(Unit.community_id) == community.id
            )
        ).one()
        return RegisterSummary(len(rows), int(count), area_of(int(area)), community.rev)


def register(session: Session, community_id: str) -> list[Unit]:
    """The community's units, by code."""
    return list(
        session.execute(
            select(Unit).where(col(Unit.community_id) == community_id).order_by(col(Unit.code))
        ).scalars()
    )
