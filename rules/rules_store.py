"""The rules text in the database: each setting a new ``rulestext`` row, the latest in force.

The rules file used to be read from ``<data>/<slug>/rules.toml``, so a hand edit changed the
rules silently: nobody recorded who changed them or when, and a version could take effect
inside a closed period, changing the basis of a figure already published. Now:

- the text is a row (``number``, ``text``, ``sha256``, ``set_by``, ``set_at``), written with a
  ``rules-set`` event carrying the number, the SHA-256 and the text, in one transaction that
  also bumps ``Community.rev`` (so every process's rule state picks it up, see
  :meth:`ledger.books.Books.state`);
- :func:`set_rules` refuses a broken text (422, naming the version and the key) and a text
  that changes the settings in force on any day up to the end of the last closed period (409,
  ``closed-period``): a new or changed version may take effect only after it;
- ``rules.toml`` is written from the database after each change (mode 0600) for people to read
  and diff, and for the beancount plugin beside the projection; it is never read back, except
  once: a community with no row yet (books from before this table) imports the file as row 1,
  set by ``system`` (a ``rules-import`` event), or the defaults when there is no file.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from ledger import clock, events
from ledger.books import Books
from ledger.db import reader, writer
from ledger.errors import PeriodLocked, Problem, ValidationFailed
from ledger.messages import msg
from ledger.models import Community, PeriodClose, RulesText
from ledger.projection import RULES_FILE
from rules import config as rules_config

log = logging.getLogger(__name__)

#: Who imported a community's rules file into the database (the first read of old books).
IMPORTED_BY = "system"
SET = "rules-set"
IMPORT = "rules-import"


@dataclass(frozen=True)
class RulesOut:
    """One setting of the rules: the text as set, its number, SHA-256, who and when."""

    number: int
    text: str
    sha256: str
    set_by: str
    set_at: datetime

    @classmethod
    def of(cls, row: RulesText) -> RulesOut:
        return cls(row.number, row.text, row.sha256, row.set_by, _utc(row.set_at))


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _utc(moment: datetime) -> datetime:
    # SQLite returns naive datetimes; they were stored as UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# --- reading ----------------------------------------------------------------------------------


def latest_number(session: Session, community_id: str) -> int | None:
    """The number of the text in force, or None when the community has none yet."""
    number: int | None = session.execute(
        select(func.max(col(RulesText.number))).where(col(RulesText.community_id) == community_id)
    ).scalar()
    return number


def row(session: Session, community_id: str, number: int) -> RulesText:
    found: RulesText = session.execute(
        select(RulesText)
        .where(col(RulesText.community_id) == community_id)
        .where(col(RulesText.number) == number)
    ).scalar_one()
    return found


def history(
    session: Session, community_id: str, *, until: datetime | None = None
) -> list[RulesOut]:
    """Every setting, oldest first; with ``until``, those set at or before it."""
    rows = session.execute(
        select(RulesText)
        .where(col(RulesText.community_id) == community_id)
        .order_by(col(RulesText.number))
    ).scalars()
    found = [RulesOut.of(r) for r in rows]
    if until is not None:
        found = [r for r in found if r.set_at <= _utc(until)]
    return found


def settings_on(
    session: Session, community_id: str, day: date, *, until: datetime | None = None
) -> rules_config.RuleSettings:
    """The settings in force on ``day`` by the text set at or before ``until`` (the latest
    text without it); the defaults for books that have none yet."""
    texts = history(session, community_id, until=until) or history(session, community_id)[:1]
    if not texts:
        return rules_config.DEFAULTS
    return rules_config.parse(texts[-1].text).at(day)


def in_force(*, books: Books, slug: str) -> RulesOut:
    """The text in force (imported first when the community has none yet)."""
    with reader(books.engine) as session:
        community = books.community(session, slug)
        number = latest_number(session, community.id)
        if number is not None:
            return RulesOut.of(row(session, community.id, number))
    return ensure(books=books, slug=slug)


# --- writing ----------------------------------------------------------------------------------


def source_text(path: Path) -> str:
    """What a community without a row imports: its rules file, or the defaults."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return rules_config.DEFAULT_TEXT


def insert(
    session: Session,
    community: Community,
    *,
    text: str,
    actor: str,
    action: str,
    address: str | None = None,
) -> RulesText:
    """Add the next row and its event (the caller holds the community's row lock, and
    commits)."""
    number = (latest_number(session, community.id) or 0) + 1
    stored = RulesText(
        community_id=community.id,
        number=number,
        text=text,
        sha256=sha256_of(text),
        set_by=actor,
        set_at=clock.now(),
    )
    session.add(stored)
    events.record(
        session,
        community_id=community.id,
        actor=actor,
        action=action,
        object_type="rules",
        object_id=str(number),
        address=address,
        details={"number": number, "sha256": stored.sha256, "text": text},
    )
    session.flush()
    return stored


def import_into(session: Session, community: Community, path: Path) -> RulesText:
    """Import ``path`` (or the defaults) as row 1, in the caller's transaction, which holds the
    community's row lock. A broken file is refused (``RulesFileError``), and nothing written."""
    text = source_text(path)
    try:
        rules_config.parse(text, name=path.name)
    except rules_config.RulesFileError as exc:
        raise rules_config.RulesFileError(
            msg("rules_store.books-from-before-rules", exc=exc, path=path)
        ) from None
    return insert(session, community, text=text, actor=IMPORTED_BY, action=IMPORT)


def ensure(*, books: Books, slug: str) -> RulesOut:
    """The text in force, importing the rules file (or the defaults) in a transaction of its
    own when the community has none yet."""
    return ensure_text(books.engine, slug, books.rules_path(slug))[1]


def ensure_text(engine: Engine, slug: str, path: Path) -> tuple[str, RulesOut]:
    """:func:`ensure` for an engine and the rules file's path; with the community's id."""
    with writer(engine) as session:
        community = Books.community_of_slug(session, slug, for_update=True)
        number = latest_number(session, community.id)
        if number is not None:
            return community.id, RulesOut.of(row(session, community.id, number))
        found = RulesOut.of(import_into(session, community, path))
    publish(path, found.text)
    return community.id, found


def create(*, books: Books, slug: str, actor: str, text: str = rules_config.DEFAULT_TEXT) -> None:
    """A new community's first rules (row 1, set by its creator), and its file."""
    with writer(books.engine) as session:
        community = books.community(session, slug, for_update=True)
        if latest_number(session, community.id) is None:
            insert(session, community, text=text, actor=actor, action=SET)
    publish(books.rules_path(slug), text)


def set_rules(
    *, books: Books, slug: str, text: str, actor: str, address: str | None = None
) -> tuple[RulesOut, bool]:
    """Make ``text`` the rules in force. Returns the setting in force and whether it changed
    (setting the text in force again stores nothing).

    Refused, with nothing written: a text that does not parse (422 ``rules-file``, naming the
    version and the key), and a text that changes the settings in force on any day up to the
    end of the last closed period (409 ``closed-period``)."""
    try:
        new = rules_config.parse(text, name=RULES_FILE)
    except rules_config.RulesFileError as exc:
        raise ValidationFailed(
            [Problem(exc.problems[0].text, field="text", rule="rules-file", details={})]
        ) from None
    path = books.rules_path(slug)
    with writer(books.engine) as session:
        community = books.community(session, slug, for_update=True)
        number = latest_number(session, community.id)
        current = (
            row(session, community.id, number)
            if number is not None
            else import_into(session, community, path)
        )
        if current.text == text:
            found, changed = RulesOut.of(current), False
        else:
            closes = list(
                session.execute(
                    select(PeriodClose).where(col(PeriodClose.community_id) == community.id)
                ).scalars()
            )
            problem = closed_change(_readable(session, community.id, current), new, closes)
            if problem is not None:
                raise PeriodLocked([problem])
            stored = insert(session, community, text=text, actor=actor, action=SET, address=address)
            community.rev += 1  # every process's rule state refreshes (Books.state)
            session.add(community)
            found, changed = RulesOut.of(stored), True
    publish(path, found.text)
    return found, changed


def _readable(
    session: Session, community_id: str, current: RulesText
) -> rules_config.RulesFile | None:
    """The rules in force, or, should the row have been made unreadable behind the service's
    back, the latest readable setting before it (None when there is none)."""
    for item in [current.text, *(r.text for r in reversed(history(session, community_id)))]:
        try:
            return rules_config.parse(item)
        except rules_config.RulesFileError:
            continue
    return None


def closed_change(
    old: rules_config.RulesFile | None, new: rules_config.RulesFile, closes: list[PeriodClose]
) -> Problem | None:
    """Why ``new`` may not replace ``old``: it changes the settings in force on a day up to the
    end of the last closed period (a figure published for it would lose its basis). The
    settings change only where a version takes effect, so those days are the ones compared."""
    if not closes or old is None:
        return None
    last = max(closes, key=lambda c: c.end)
    first = min(old.versions[0].effective_from, new.versions[0].effective_from)
    days = sorted(
        {first}
        | {v.effective_from for v in (*old.versions, *new.versions) if v.effective_from <= last.end}
    )
    for day in days:
        if day > last.end or old.at(day) == new.at(day):
            continue
        before, after = old.at(day).describe(), new.at(day).describe()
        keys = sorted(k for k in before if before[k] != after[k])
        index = _version_on(new, day)
        effective = new.versions[index - 1].effective_from
        inside = next((c for c in closes if c.start <= day <= c.end), last)
        allowed = last.end + timedelta(days=1)
        return Problem(
            msg(
                "rules_store.version-effective-changes-force",
                rules_file=RULES_FILE,
                index=index,
                effective=effective,
                keys=", ".join(keys),
                day=day,
                period=inside.period,
                start=inside.start,
                end=inside.end,
                allowed=allowed,
            ),
            field="text",
            rule="closed-period",
            details={
                "version": index,
                "effective_from": str(effective),
                "day": str(day),
                "settings": {k: {"old": before[k], "new": after[k]} for k in keys},
                "period": inside.period,
                "last_closed_end": str(last.end),
                "earliest": str(allowed),
            },
        )
    return None


def _version_on(rules: rules_config.RulesFile, day: date) -> int:
    """The 1-based number of the version in force on ``day`` (the first before any)."""
    index = 1
    for position, version in enumerate(rules.versions, start=1):
        if version.effective_from <= day:
            index = position
    return index


# --- the file, for people and the beancount plugin --------------------------------------------


def publish(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (mode 0600) unless it already holds it; atomic (a temporary
    file renamed over it). Never raises: the database is the record, and a failure is logged
    (the next change or first read writes it again)."""
    payload = text.encode("utf-8")
    try:
        if path.exists() and path.read_bytes() == payload:
            return
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=".rules-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(payload)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(name, 0o600)
            os.replace(name, path)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
    except OSError:
        log.exception("rules file %s: could not write it from the database", path)


__all__ = [
    "IMPORTED_BY",
    "RulesOut",
    "closed_change",
    "create",
    "ensure",
    "history",
    "in_force",
    "publish",
    "set_rules",
    "sha256_of",
]
