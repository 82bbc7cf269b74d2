"""Documents in the projection: each uploaded document linked to a posted entry is written
beside the ledger as ``documents/<sha256>.<ext>`` and named, by that relative path, in a
beancount ``document`` directive on each account of the entry, dated the entry's date. Fava
then lists it in the account's journal and on its Documents page, and serves it from there;
the file holds no server path (beancount resolves the relative path against the ledger file).

The bytes live in the database (``ledger.models.Document``); the files are a cache, written by
whichever node writes its projection, and only when missing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import select
from sqlmodel import Session, col

from ledger.models import Account, Document, DocumentLink, Entry, Posting, keyed
from ledger.render import quote

#: The folder, beside the ledger file, the projection writes documents into.
FOLDER = "documents"
#: Each accepted type and the extension its file gets.
EXTENSIONS = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
}


@dataclass(frozen=True)
class Placed:
    """A document on one account of a posted entry."""

    sha256: str
    type: str
    name: str
    day: date
    account: str
    entry_id: str
    seq: int

    @property
    def relative(self) -> str:
        return f"{FOLDER}/{self.sha256}.{EXTENSIONS.get(self.type, 'bin')}"

    def render(self) -> str:
        meta = [
            f"  name: {quote(self.name)}",
            f"  entry-id: {quote(self.entry_id)}",
            f"  entry-seq: {self.seq}",
        ]
        head = f"{self.day.isoformat()} document {self.account} {quote(self.relative)}"
        return "\n".join([head, *meta]) + "\n"


class Link(NamedTuple):
    """What one document backs: an entry, a resolution (its number) or a contract (its
    number); one of the three per link."""

    document_id: int
    entry_id: str | None
    resolution: str | None
    contract: str | None


def links(session: Session, community_id: str) -> list[Link]:
    """Every link of the community's documents."""
    return [
        Link(*row)
        for row in session.execute(
            select(
                col(DocumentLink.document_id),
                col(DocumentLink.entry_id),
                col(DocumentLink.resolution),
                col(DocumentLink.contract),
            )
            .join(Document, keyed(DocumentLink, "document_id", Document))
            .where(col(DocumentLink.community_id) == community_id)
        )
    ]


#: How many entries one query of :func:`placed` names (well under any driver's limit).
_CHUNK = 500


def placed(session: Session, community_id: str) -> list[Placed]:
    """Every (document, account) of the community's posted entries, in entry order.

    The entries with documents are found first, then their legs: in one query SQLite's
    planner (no statistics) went through every posted entry's legs looking for a link, a
    second at 100,000 entries on each start, for a community with no documents at all."""
    linked = list(
        session.execute(
            select(col(DocumentLink.entry_id))
            .where(col(DocumentLink.community_id) == community_id)
            .where(col(DocumentLink.entry_id).is_not(None))
            .distinct()
        ).scalars()
    )
    found: set[Placed] = set()
    for start in range(0, len(linked), _CHUNK):
        rows = session.execute(
            select(
                col(Document.sha256),
                col(Document.type),
                col(Document.name),
                col(Entry.date),
                col(Account.name),
                col(Entry.id),
                col(Entry.seq),
            )
            .join(DocumentLink, keyed(DocumentLink, "document_id", Document))
            .join(Entry, keyed(DocumentLink, "entry_id", Entry))
            .join(Posting, keyed(Posting, "entry_id", Entry))
            .join(Account, keyed(Posting, "account_id", Account))
            .where(col(Document.community_id) == community_id)
            .where(col(Entry.id).in_(linked[start : start + _CHUNK]))
            .where(col(Entry.status) == "posted")
        ).all()
        found.update(Placed(*row) for row in rows)
    return sorted(found, key=lambda p: (p.seq, p.account, p.sha256))


def write_files(
    session: Session, community_id: str, directory: Path, wanted: Iterable[Placed]
) -> None:
    """Write the documents ``wanted`` into ``directory/documents/`` when missing (atomically:
    a temporary file renamed into place)."""
    folder = directory / FOLDER
    missing = {p.sha256: p for p in wanted if not (directory / p.relative).is_file()}
    if not missing:
        return
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    rows = session.execute(
        select(col(Document.sha256), col(Document.body))
        .where(col(Document.community_id) == community_id)
        .where(col(Document.sha256).in_(list(missing)))
    )
    for sha, body in rows:
        target = directory / missing[sha].relative
        tmp = target.with_name(target.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "wb") as out:
            out.write(body)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)


def directives(session: Session, community_id: str, directory: Path) -> tuple[str, ...]:
    """The ``document`` directives of the community's projection, its files written first
    (bean-check refuses a directive whose file is missing)."""
    found = placed(session, community_id)
    write_files(session, community_id, directory, found)
    return tuple(p.render() for p in found)
