"""The documents behind the entries: invoices (发票), receipts, contracts, resolution minutes
and ballots, as PDF or images.

A document is stored in the database once per community under the SHA-256 of its bytes (an
upload of the same bytes again stores nothing new and answers the same document), linked to
entries, resolutions and contracts (a contract by its number, as entries cite it), and
served to the community's members as an attachment. What it is is decided by its content,
never by its name:

- a PDF starts with ``%PDF-`` and carries no script: no ``/JavaScript``, ``/JS`` or
  ``/Launch`` action anywhere, compressed streams included (so no ``/OpenAction`` that runs
  one);
- a PNG, JPEG or WebP image starts with its format's signature;
- 1 byte to :data:`MAX_BYTES`; a name ending in one type's extension with another type's
  content (a "receipt.png" that is not a PNG) is refused too.

Linking a document to a posted entry rewrites the projection: the document is written beside
the ledger and named in a beancount ``document`` directive (:mod:`ledger.documents`), so Fava
shows it on the entry's accounts. ``require_document_for_approval`` (the rules file) makes an
entry of the approval threshold or more wait for one before it is approved.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlmodel import Session, col

from ledger import clock, events
from ledger.books import Books
from ledger.db import reader, writer
from ledger.documents import EXTENSIONS, links
from ledger.errors import NotFound, Problem, ValidationFailed
from ledger.messages import Msg, msg
from ledger.models import Contract, Document, DocumentLink, Entry, Resolution

#: The largest document accepted, in bytes (a phone's photo of a receipt, a scanned contract).
MAX_BYTES = 20 * 1024 * 1024
#: Room for the multipart framing around a document at its largest.
UPLOAD_OVERHEAD = 64 * 1024
#: What each content type is called in messages.
KINDS = {
    "application/pdf": "a PDF",
    "image/png": "a PNG image",
    "image/jpeg": "a JPEG image",
    "image/webp": "a WebP image",
}
#: The extensions a name may end in, and the type each promises.
NAMED = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
}
#: PDF actions that run something: a script, or another program.
_ACTIONS = re.compile(rb"/(JavaScript|JS|Launch)(?=[\s/<>\[\]()%{}]|$)")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.DOTALL)
#: How much a compressed stream may inflate to while it is searched for scripts.
_INFLATE_CAP = 64 * 1024 * 1024


class DocumentOut(BaseModel):
    sha256: str = Field(description="SHA-256 of the bytes, hex: the document's address")
    name: str = Field(description="the file name as uploaded, without any folder")
    bytes: int
    type: str = Field(description="application/pdf, image/png, image/jpeg or image/webp")


class DocumentListed(DocumentOut):
    entries: list[str] = Field(default_factory=list, description="ids of the entries it backs")
    resolutions: list[str] = Field(default_factory=list)
    contracts: list[str] = Field(
        default_factory=list, description="numbers of the contracts it backs"
    )
    uploaded_by: str
    uploaded_at: str


def _refuse(
    message: Msg, field: str = "file", rule: str = "document", **details: object
) -> ValidationFailed:
    return ValidationFailed([Problem(message, field=field, rule=rule, details=dict(details))])


def clean_name(name: str, kind: str) -> str:
    """The file name without folders or control characters, at most 200 characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    base = base[-200:] if len(base) > 200 else base
    return base or f"document.{EXTENSIONS[kind]}"


def _scripts(body: bytes) -> list[str]:
    """The script actions a PDF carries, in its plain text or its compressed streams."""
    found: set[str] = set()

    def scan(data: bytes) -> None:
        data = _NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), data)
        found.update(m.group(1).decode() for m in _ACTIONS.finditer(data))

    scan(body)
    for match in _STREAM.finditer(body):
        raw = match.group(1)
        try:
            inflater = zlib.decompressobj()
            scan(inflater.decompress(raw, _INFLATE_CAP))
        except zlib.error:
            continue
    return sorted(found)


def sniff(body: bytes, name: str = "") -> str:
    """The document's type from its content; refuses (422, field ``file``) an empty or
    oversized file, a type that is not accepted, a name promising another type, and a PDF
    with a script."""
    size = len(body)
    if size == 0:
        raise _refuse(msg("documents.document-empty-bytes"), rule="document-size", bytes=0)
    if size > MAX_BYTES:
        raise _refuse(
            msg("documents.document-bytes-over-limit", size=size, max_bytes=MAX_BYTES),
            rule="document-size",
            bytes=size,
            limit=MAX_BYTES,
        )
    kind = None
    if body.startswith(b"%PDF-"):
        kind = "application/pdf"
    elif body.startswith(b"\x89PNG\r\n\x1a\n"):
        kind = "image/png"
    elif body.startswith(b"\xff\xd8\xff"):
        kind = "image/jpeg"
    elif body[:4] == b"RIFF" and body[8:12] == b"WEBP":
        kind = "image/webp"
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    promised = NAMED.get(extension)
    if kind is None:
        said = f" (its name {name!r} says {KINDS[promised]})" if promised else ""
        raise _refuse(
            msg("documents.document-pdf-png-jpeg", said=said),
            rule="document-type",
            name=name,
        )
    if promised is not None and promised != kind:
        raise _refuse(
            msg(
                "documents.document-s-name-says",
                name=name,
                kinds=KINDS[promised],
                kinds_2=KINDS[kind],
            ),
            rule="document-type",
            name=name,
            type=kind,
        )
    if kind == "application/pdf":
        scripts = _scripts(body)
        if scripts:
            raise _refuse(
                msg("documents.pdf-runs-code", actions=", ".join(f"/{s}" for s in scripts)),
                rule="document-script",
                actions=scripts,
            )
    return kind


def _entry(session: Session, community_id: str, entry_id: str) -> Entry:
    entry: Entry | None = session.execute(
        select(Entry)
        .where(col(Entry.community_id) == community_id)
        .where(col(Entry.id) == entry_id)
    ).scalar_one_or_none()
    if entry is None:
        raise NotFound(
            [
                Problem(
                    msg("documents.no-entry-community", entry_id=entry_id),
                    field="entry",
                    rule="document-link",
                )
            ]
        )
    if entry.status == "rejected":
        raise _refuse(
            msg("documents.entry-was-rejected-document", entry_id=entry_id),
            field="entry",
            rule="document-link",
        )
    return entry


def _resolution(session: Session, community_id: str, number: str) -> None:
    found = session.execute(
        select(col(Resolution.id))
        .where(col(Resolution.community_id) == community_id)
        .where(col(Resolution.number) == number)
    ).first()
    if found is None:
        raise NotFound(
            [
                Problem(
                    msg("documents.no-resolution-community", number=number),
                    field="resolution",
                    rule="document-link",
                )
            ]
        )


def _contract(session: Session, community_id: str, number: str) -> None:
    found = session.execute(
        select(col(Contract.id))
        .where(col(Contract.community_id) == community_id)
        .where(col(Contract.number) == number)
    ).first()
    if found is None:
        raise NotFound(
            [
                Problem(
                    msg("documents.no-contract-community", number=number),
                    field="contract",
                    rule="document-link",
                )
            ]
        )


def add(
    *,
    books: Books,
    slug: str,
    body: bytes,
    name: str,
    actor: str,
    entry: str | None = None,
    resolution: str | None = None,
    contract: str | None = None,
    address: str | None = None,
    project: bool = True,
) -> tuple[DocumentOut, bool]:
    """Store a document (once per SHA-256) and link it to ``entry``, ``resolution`` and/or
    ``contract`` (each once: a link that is there already is not made again). Returns it and
    whether its bytes were new. Nothing is written when anything is refused.

    A link to a posted entry rewrites the projection; ``project=False`` leaves that to the
    caller's own :meth:`~ledger.books.Books.rebuild_projection` after a batch of uploads (the
    demo's build), since the appends in between do not read the header."""
    kind = sniff(body, name)
    digest = hashlib.sha256(body).hexdigest()
    now = clock.now()
    rewrite = False
    with writer(books.engine) as session:
        community = books.community(session, slug, for_update=True)
        linked_entry = _entry(session, community.id, entry) if entry else None
        if resolution:
            _resolution(session, community.id, resolution)
        if contract:
            _contract(session, community.id, contract)
        row = session.execute(
            select(Document)
            .where(col(Document.community_id) == community.id)
            .where(col(Document.sha256) == digest)
        ).scalar_one_or_none()
        created = row is None
        if row is None:
            row = Document(
                community_id=community.id,
                sha256=digest,
                name=clean_name(name, kind),
                type=kind,
                size=len(body),
                body=body,
                uploaded_by=actor,
                uploaded_at=now,
            )
            session.add(row)
            session.flush()
            events.record(
                session,
                community_id=community.id,
                actor=actor,
                action="document-add",
                object_type="document",
                object_id=digest,
                address=address,
                details={"name": row.name, "type": kind, "bytes": len(body)},
            )
        assert row.id is not None
        targets: list[dict[str, str | None]] = [
            {"entry": linked_entry.id if linked_entry else None},
            {"resolution": resolution or None},
            {"contract": contract or None},
        ]
        for target in targets:
            if not any(target.values()):
                continue
            link = {"entry": None, "resolution": None, "contract": None, **target}
            if _link(session, community.id, row.id, link, actor, now):
                events.record(
                    session,
                    community_id=community.id,
                    actor=actor,
                    action="document-link",
                    object_type="document",
                    object_id=digest,
                    address=address,
                    details=link,
                )
                posted = bool(linked_entry and linked_entry.status == "posted")
                rewrite = rewrite or (link["entry"] is not None and posted)
        out = DocumentOut(sha256=digest, name=row.name, bytes=row.size, type=row.type)
    if rewrite and project:
        books.rebuild_projection(slug)
    return out, created


def _link(
    session: Session,
    community_id: str,
    document_id: int,
    link: dict[str, str | None],
    actor: str,
    now: object,
) -> bool:
    """Link once: False when the link (its entry, resolution and contract, one of them set)
    is there already. The unique constraint cannot say so: its NULLs never collide."""
    columns = {
        "entry": col(DocumentLink.entry_id),
        "resolution": col(DocumentLink.resolution),
        "contract": col(DocumentLink.contract),
    }
    query = (
        select(col(DocumentLink.id))
        .where(col(DocumentLink.community_id) == community_id)
        .where(col(DocumentLink.document_id) == document_id)
    )
    for key, column in columns.items():
        value = link[key]
        query = query.where(column == value if value is not None else column.is_(None))
    if session.execute(query).first() is not None:
        return False
    session.add(
        DocumentLink(
            community_id=community_id,
            document_id=document_id,
            entry_id=link["entry"],
            resolution=link["resolution"],
            contract=link["contract"],
            linked_by=actor,
            linked_at=now,  # type: ignore[arg-type]
        )
    )
    session.flush()
    return True


def _sha(value: str) -> str:
    if not re.fullmatch(r"[0-9a-f]{64}", value):
        raise NotFound(
            [Problem(msg("documents.no-document", value=value), field="sha256", rule="document")]
        )
    return value


def get(*, books: Books, slug: str, sha256: str) -> tuple[DocumentOut, bytes]:
    """A community's document and its bytes (404 when it has none by that hash)."""
    digest = _sha(sha256)
    with reader(books.engine) as session:
        community = books.community(session, slug)
        row = session.execute(
            select(Document)
            .where(col(Document.community_id) == community.id)
            .where(col(Document.sha256) == digest)
        ).scalar_one_or_none()
        if row is None:
            raise NotFound(
                [Problem(msg("documents.no-document-2", digest=digest, slug=slug), rule="document")]
            )
        return DocumentOut(
            sha256=row.sha256, name=row.name, bytes=row.size, type=row.type
        ), row.body


def listed(
    *, books: Books, slug: str, entry: str | None = None, contract: str | None = None
) -> list[DocumentListed]:
    """The community's documents with what each backs (only those behind ``entry`` and/or
    ``contract``, if given), oldest first; without their bytes."""
    with reader(books.engine) as session:
        community = books.community(session, slug)
        rows = session.execute(
            select(
                col(Document.id),
                col(Document.sha256),
                col(Document.name),
                col(Document.size),
                col(Document.type),
                col(Document.uploaded_by),
                col(Document.uploaded_at),
            )
            .where(col(Document.community_id) == community.id)
            .order_by(col(Document.uploaded_at), col(Document.id))
        ).all()
        backs: dict[int, list[tuple[str | None, str | None, str | None]]] = {}
        for document_id, entry_id, resolution, number in links(session, community.id):
            backs.setdefault(document_id, []).append((entry_id, resolution, number))
    out = []
    for document_id, sha, name, size, kind, by, at in rows:
        own = backs.get(document_id, [])
        entries = sorted({e for e, _, _ in own if e})
        contracts = sorted({c for _, _, c in own if c})
        if entry is not None and entry not in entries:
            continue
        if contract is not None and contract not in contracts:
            continue
        out.append(
            DocumentListed(
                sha256=sha,
                name=name,
                bytes=size,
                type=kind,
                entries=entries,
                resolutions=sorted({r for _, r, _ in own if r}),
                contracts=contracts,
                uploaded_by=by,
                uploaded_at=at.isoformat(),
            )
        )
    return out


@dataclass(frozen=True)
class Stored:
    """A document as an export or a notice takes it: its bytes, the file name it gets beside
    a ledger (``documents/<sha256>.<ext>``) and what it backs."""

    sha256: str
    name: str
    type: str
    body: bytes
    entries: tuple[str, ...]
    resolutions: tuple[str, ...]
    contracts: tuple[str, ...]
    uploaded_at: date

    @property
    def relative(self) -> str:
        return f"documents/{self.sha256}.{EXTENSIONS[self.type]}"


def stored(*, books: Books, slug: str, entries: set[str] | None = None) -> Iterator[Stored]:
    """Each document of the community (only those behind one of ``entries``, if given), with
    its bytes, one at a time: for the audit package and the notices."""
    for item in listed(books=books, slug=slug):
        if entries is not None and not entries.intersection(item.entries):
            continue
        _out, body = get(books=books, slug=slug, sha256=item.sha256)
        yield Stored(
            item.sha256,
            item.name,
            item.type,
            body,
            tuple(item.entries),
            tuple(item.resolutions),
            tuple(item.contracts),
            date.fromisoformat(item.uploaded_at[:10]),
        )
