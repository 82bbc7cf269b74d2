"""A closed period's public notice, rendered once and stored (table ``storednotice``).

The statement of a closed period reads the journal only up to the chain head recorded at the
close (:func:`audit.disclosure.statement`), the rules of a closed period cannot change
(``rules.rules_store.closed_change``) and resolutions are never edited, so its rendering is
fixed once the period is closed. It is drawn once per format and language, on the first request
(or by ``commons disclose``), and kept in the database with its SHA-256: every node serving the
same database answers with the same bytes, and no visitor can make a node draw a PDF again.

Rendering is deterministic (charts carry a fixed hash salt and no date; WeasyPrint's PDF of the
same page is the same bytes), so two nodes drawing the same notice at once agree; the unique
constraint keeps the first insert and the other node reads it back. Within one process a lock
per notice keeps concurrent first requests from drawing it more than once.

What may change after the close is never part of the stored bytes: :func:`live` reads it at
request time: the entries of the period reversed since the close (a dividend or subsidy
reversed by a later entry still shows in the sealed schedule), and the owners' objections
(:mod:`rules.objections`) with their building, status and answer, the day the notice stays
posted until and the form to file one, and per dividend resolution of the period what has been
paid and what is still unpaid over all units (payouts count once their period is closed).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import col

from audit import disclosure
from audit import disclosure_render as render
from audit.disclosure_model import UnitDividend, jsonable
from audit.disclosure_units import dividend_totals
from ledger import clock
from ledger.books import Books
from ledger.db import reader, writer
from ledger.errors import Problem, ValidationFailed
from ledger.messages import msg
from ledger.models import Entry, StoredNotice
from ledger.money import fmt_cny
from rules import objections
from rules.objections import PublicObjection

FORMATS: tuple[str, ...] = render.FORMATS
#: The layout's version, part of each stored notice's key (the ``format`` column holds
#: ``pdf@2``): a change to what a notice shows or how it is laid out bumps it, so closed
#: periods are drawn again once in the new layout instead of serving the old bytes. Rows of an
#: older version stay in the table, untouched. 1 (the bare format): before the registers, the
#: print layout and the text summary; 2: since.
NOTICE_VERSION = 2
LANGS: tuple[str, ...] = ("zh", "en")
#: Where the live section goes in a stored HTML page (the page's own end).
BODY_END = b"</body>"


@dataclass(frozen=True)
class Notice:
    """A stored notice: its bytes, their SHA-256 (hex) and the chain head it was drawn at."""

    community_id: str
    period: str
    format: str
    lang: str
    body: bytes
    sha256: str
    head_seq: int


@dataclass(frozen=True)
class Reversal:
    """An entry dated in the period that a later entry (posted after the close) reverses."""

    seq: int
    date: dt.date
    kind: str
    resolution: str | None
    reversed_by_seq: int
    reversed_on: dt.date


@dataclass(frozen=True)
class Live:
    """What changed about a closed period since its close, read at request time."""

    slug: str
    period: str
    head_seq_at_close: int
    head_seq_now: int
    reversals: tuple[Reversal, ...]
    #: The last day the notice stays posted (``disclosure_days`` after the close).
    posted_until: dt.date | None = None
    objections: tuple[PublicObjection, ...] = ()
    #: Per dividend resolution of the period, over all units: allocated, paid and still owed,
    #: as at the last close (:func:`audit.disclosure_units.dividend_totals`).
    dividends: tuple[UnitDividend, ...] = ()

    @property
    def overdue(self) -> tuple[PublicObjection, ...]:
        return tuple(o for o in self.objections if o.overdue)

    def as_json(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "period": self.period,
            "head_seq_at_close": self.head_seq_at_close,
            "head_seq_now": self.head_seq_now,
            "posted_until": None if self.posted_until is None else self.posted_until.isoformat(),
            "objections": [o.as_json() for o in self.objections],
            "dividends": [jsonable(d) for d in self.dividends],
            "reversals": [
                {
                    "seq": r.seq,
                    "date": r.date.isoformat(),
                    "kind": r.kind,
                    "resolution": r.resolution,
                    "reversed_by_seq": r.reversed_by_seq,
                    "reversed_on": r.reversed_on.isoformat(),
                }
                for r in self.reversals
            ],
        }


def base_url(slug: str, period: str) -> str:
    return f"/public/{slug}/disclosures/{period}"


def units_url(slug: str) -> str:
    return f"/public/{slug}/units"


def check(fmt: str, lang: str) -> None:
    """422 for a format or language that is not one of :data:`FORMATS` / :data:`LANGS`:
    never a new rendering."""
    problems = []
    if fmt not in FORMATS:
        problems.append(
            Problem(
                msg("notices.unknown-format-one", fmt=fmt, formats=", ".join(FORMATS)),
                field="format",
                rule="notice-format",
                details={"format": fmt, "allowed": list(FORMATS)},
            )
        )
    if lang not in LANGS:
        problems.append(
            Problem(
                msg("notices.unknown-language-one", lang=lang, langs=", ".join(LANGS)),
                field="lang",
                rule="notice-lang",
                details={"lang": lang, "allowed": list(LANGS)},
            )
        )
    if problems:
        raise ValidationFailed(problems)


_locks: dict[tuple[str, str, str, str], threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock(key: tuple[str, str, str, str]) -> threading.Lock:
    with _locks_guard:
        found = _locks.get(key)
        if found is None:
            found = _locks[key] = threading.Lock()
        return found


def stored_format(fmt: str) -> str:
    """The ``format`` column of a stored notice of this layout version (:data:`NOTICE_VERSION`)."""
    return f"{fmt}@{NOTICE_VERSION}"


def notice(*, books: Books, slug: str, period: str, fmt: str, lang: str, site: str = "") -> Notice:
    """The stored notice of the closed ``period`` in ``fmt`` and ``lang``, drawn and stored on
    the first call. NotFound when the period is not closed (or the community does not exist),
    ValidationFailed for an unknown format or language. ``site`` is the service's configured
    public address (``COMMONS_PUBLIC_URL``): the PDF's QR code and the text summary's links
    carry it, so it comes from the configuration, never from a request's ``Host``."""
    check(fmt, lang)
    community_id, close_period = _close(books, slug, period)
    key = (community_id, close_period, fmt, lang)
    found = _read(books, key)
    if found is not None:
        return found
    with _lock(key):  # one drawing per process; other nodes are settled by the unique key
        found = _read(books, key)
        if found is not None:
            return found
        statement = disclosure.statement(books=books, slug=slug, period=close_period)
        body = render.render(
            statement,
            fmt=fmt,
            lang=lang,
            base_url=base_url(slug, close_period),
            units_url=units_url(slug),
            site=site.rstrip("/"),
        )
        drawn = Notice(
            community_id,
            close_period,
            fmt,
            lang,
            body,
            hashlib.sha256(body).hexdigest(),
            statement.head_seq,
        )
        try:
            with writer(books.engine) as session:
                session.add(
                    StoredNotice(
                        community_id=drawn.community_id,
                        period=drawn.period,
                        format=stored_format(drawn.format),
                        lang=drawn.lang,
                        body=drawn.body,
                        sha256=drawn.sha256,
                        head_seq=drawn.head_seq,
                        created_at=clock.now(),
                    )
                )
        except IntegrityError:  # another node stored it first: serve what it stored
            found = _read(books, key)
            if found is None:  # pragma: no cover - the row that refused ours must be there
                raise
            return found
        return drawn


def _close(books: Books, slug: str, period: str) -> tuple[str, str]:
    with reader(books.engine) as session:
        community = books.community(session, slug)
        close = disclosure.find_close(session, community, period)
        return community.id, close.period


def _read(books: Books, key: tuple[str, str, str, str]) -> Notice | None:
    community_id, period, fmt, lang = key
    with reader(books.engine) as session:
        row = (
            session.execute(
                select(StoredNotice)
                .where(col(StoredNotice.community_id) == community_id)
                .where(col(StoredNotice.period) == period)
                .where(col(StoredNotice.format) == stored_format(fmt))
                .where(col(StoredNotice.lang) == lang)
            )
            .scalars()
            .first()
        )
        if row is None:
            return None
        assert isinstance(row, StoredNotice)
        return Notice(
            row.community_id, row.period, fmt, row.lang, row.body, row.sha256, row.head_seq
        )


# --- what may change after the close ------------------------------------------------------


def live(*, books: Books, slug: str, period: str) -> Live:
    """The closed ``period``'s live part: its entries reversed by entries posted after the
    close, and the objections filed under its notice. Indexed queries; nothing is drawn."""
    original = aliased(Entry)
    reversal = aliased(Entry)
    with reader(books.engine) as session:
        community = books.community(session, slug)
        close = disclosure.find_close(session, community, period)
        rows = session.execute(
            select(
                col(original.seq),
                col(original.date),
                col(original.kind),
                col(original.resolution),
                col(reversal.seq),
                col(reversal.date),
            )
            .join(original, col(original.id) == col(reversal.reverses))
            .where(col(reversal.community_id) == community.id)
            .where(col(reversal.status) == "posted")
            .where(col(reversal.seq) > close.head_seq)
            .where(col(original.date) >= close.start)
            .where(col(original.date) <= close.end)
            .order_by(col(reversal.seq))
        ).all()
        filed = objections.public(session, community, close.period)
        until = objections.posted_until(books, community.slug, close)
        dividend_resolutions = list(
            session.execute(
                select(col(Entry.resolution))
                .where(col(Entry.community_id) == community.id)
                .where(col(Entry.kind) == "dividend")
                .where(col(Entry.status) == "posted")
                .where(col(Entry.seq) <= close.head_seq)
                .where(col(Entry.date) >= close.start)
                .where(col(Entry.date) <= close.end)
                .group_by(col(Entry.resolution))
                .order_by(func.min(col(Entry.seq)))
            ).scalars()
        )
        return Live(
            slug=community.slug,
            period=close.period,
            head_seq_at_close=close.head_seq,
            head_seq_now=community.head_seq,
            reversals=tuple(
                Reversal(seq or 0, day, kind, resolution, by_seq or 0, on)
                for seq, day, kind, resolution, by_seq, on in rows
            ),
            posted_until=until,
            objections=filed,
            dividends=dividend_totals(
                books=books, slug=community.slug, resolutions=dividend_resolutions
            ),
        )


@cache
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("audit", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cny"] = fmt_cny
    return env


LIVE_LABELS = {
    "zh": {
        "title": "结账后的变动",
        "text": "以下内容在本期结账（第 {seq} 号记录）之后发生，不属于上方已封存的公示；"
        "截至第 {now} 号记录。",
        "reversed": "第 {seq} 号记录（{date}，{kind}）已由第 {by} 号记录（{on}）冲销。",
        "posted": "本公示张贴至 {until}。",
        "objections": "业主异议",
        "none": "尚无异议。",
        "number": "第 {id} 号异议",
        "building": "{building} 栋",
        "concerns": "涉及：{concerns}",
        "open": "待答复",
        "answered": "已答复",
        "due": "答复期限：{due}",
        "overdue": "逾期未答复（答复期限 {due}）",
        "answer": "答复（{on}）：",
        "file": "提出异议",
        "file_text": "业主可对本公示的数字或项目提出异议。房号和联系方式仅供业委会答复使用，"
        "不会公开；公开显示楼栋、涉及项目、异议内容和答复。",
        "unit": "房号（如 1-1-0101）",
        "contact": "联系方式（手机或电子邮箱）",
        "concerns_field": "涉及的数字或项目",
        "text_field": "异议内容",
        "submit": "提交异议",
        "dividends": "分红发放情况（截至最近结账）",
        "resolution": "决议",
        "allocated": "应分",
        "paid": "已付",
        "owed": "尚未支付",
        "no_resolution": "（无决议编号）",
    },
    "en": {
        "title": "Since the close",
        "text": "What follows happened after the period closed (entry #{seq}) and is not part "
        "of the sealed statement above; as of entry #{now}.",
        "reversed": "Entry #{seq} ({date}, {kind}) was reversed by entry #{by} ({on}).",
        "posted": "This notice is posted until {until}.",
        "objections": "Owners' objections",
        "none": "No objections yet.",
        "number": "Objection #{id}",
        "building": "building {building}",
        "concerns": "Concerns: {concerns}",
        "open": "awaiting an answer",
        "answered": "answered",
        "due": "answer due {due}",
        "overdue": "OVERDUE: not answered by {due}",
        "answer": "Answer ({on}): ",
        "file": "File an objection",
        "file_text": "Owners may object to a figure or line of this notice. The unit and the "
        "contact are for the committee's answer only and never shown; the building, what it "
        "concerns, the text and the answer are public.",
        "unit": "Unit (e.g. 1-1-0101)",
        "contact": "Contact (phone or e-mail)",
        "concerns_field": "The figure or line it concerns",
        "text_field": "Your objection",
        "submit": "File the objection",
        "dividends": "Dividends paid and still unpaid (as at the last close)",
        "resolution": "Resolution",
        "allocated": "Allocated",
        "paid": "Paid",
        "owed": "Still unpaid",
        "no_resolution": "(no resolution number)",
    },
}


def live_html(found: Live, *, lang: str) -> bytes:
    """The live section as an XHTML fragment: what changed since the close, the objections and
    the form to file one (posting to :func:`objections_url`, no script needed)."""
    labels = LIVE_LABELS["en" if lang == "en" else "zh"]
    text = (
        _env()
        .get_template("disclosure_live.html")
        .render(
            live=found,
            t=labels,
            lang=lang,
            action=objections_url(found.slug, found.period),
            fmt=lambda template, **kw: template.format(**kw),
            kind=lambda kind: render.labels(lang).get(kind, kind),
        )
    )
    return text.encode()


def objections_url(slug: str, period: str) -> str:
    return f"{base_url(slug, period)}/objections"


def with_live(page: bytes, section: bytes) -> bytes:
    """A stored HTML page with the live section before its end (the page itself otherwise)."""
    if not section:
        return page
    at = page.rfind(BODY_END)
    if at < 0:
        return page + section
    return page[:at] + section + page[at:]
