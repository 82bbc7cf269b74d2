"""Chain heads kept outside the server: reading them for ``commons verify --head/--heads``
and taking one with ``commons checkpoint``. A head is ``(seq, hash)`` of the journal at a
moment; docs/chain.md says what keeping one proves."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

from sqlmodel import Session

from audit.verify import Report, recorded_heads, verify_chain, verify_events, verify_heads
from ledger import clock
from ledger.books import Books
from ledger.chain import Head
from ledger.errors import Problem, StateConflict
from ledger.messages import msg

_HASH = re.compile(r"[0-9a-f]{64}")


def parse_head(text: str, source: str = "") -> Head:
    """``SEQ:HASH`` (``--head``) as a :class:`Head`; ``ValueError`` saying what is wrong."""
    seq, sep, digest = text.strip().partition(":")
    return _head(seq, digest if sep else "", source or f"--head {text.strip()}")


def _head(seq: str, digest: str, source: str) -> Head:
    if not (seq.isascii() and seq.isdigit()):
        raise ValueError(f"{source}: the seq {seq!r} is not a whole number")
    if not _HASH.fullmatch(digest):
        raise ValueError(f"{source}: {digest!r} is not a hash (64 hex digits, lowercase)")
    return Head(int(seq), digest, source)


def read_heads(path: Path, slug: str) -> list[Head]:
    """The heads in a file kept outside the server, for ``slug``: lines of ``SEQ:HASH`` or
    ``slug seq hash time`` (``commons checkpoint``'s line; lines of other communities are
    skipped; blank lines and ``#`` comments too), or a JSON document holding chain heads
    (``head_seq`` and ``head_hash`` side by side: a published notice's JSON, an audit
    package's manifest). ``ValueError`` when the file holds no head of ``slug`` or a line is
    not one of these."""
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("{"):
        return _json_heads(text, path.name, slug)
    heads = []
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split()
        source = f"{path.name}:{number}"
        if not words or words[0].startswith("#"):
            continue
        if len(words) == 1:
            heads.append(parse_head(words[0], source))
        elif len(words) in (3, 4) and words[1].isdigit():
            if words[0] == slug:
                heads.append(_head(words[1], words[2], source))
        else:
            raise ValueError(f"{source}: neither SEQ:HASH nor 'slug seq hash time': {line!r}")
    if not heads:
        raise ValueError(f"{path.name}: no chain head of {slug}")
    return heads


def _json_heads(text: str, name: str, slug: str) -> list[Head]:
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{name}: not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise ValueError(f"{name}: not a notice or a manifest (a JSON object)")
    community = document.get("community")
    of = document.get("slug") or (community.get("slug") if isinstance(community, dict) else None)
    if of is not None and of != slug:
        raise ValueError(f"{name}: is of community {of}, not {slug}")
    heads = []
    found: list[tuple[str, dict[str, Any]]] = []
    _find_heads(document, "", found)
    for where, item in found:
        heads.append(_head(str(item["head_seq"]), str(item["head_hash"]), f"{name}{where}"))
    if not heads:
        raise ValueError(f"{name}: no chain head (head_seq and head_hash) in it")
    return heads


def _find_heads(value: Any, where: str, found: list[tuple[str, dict[str, Any]]]) -> None:
    if isinstance(value, dict):
        if value.get("head_seq") is not None and value.get("head_hash") is not None:
            found.append((where, value))
        for key, item in value.items():
            _find_heads(item, f"{where}.{key}" if where else f" {key}", found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _find_heads(item, f"{where}[{index}]", found)


@dataclass(frozen=True)
class Checkpoint:
    """The journal's head at a moment, as ``commons checkpoint`` prints it for members to keep
    outside the server (``verify --heads`` reads the line back)."""

    slug: str
    seq: int
    hash: str
    at: str

    def line(self) -> str:
        return f"{self.slug} {self.seq} {self.hash} {self.at}"


def checkpoint(books: Books, slug: str) -> Checkpoint:
    """The journal's current head, once its chain, its recorded heads and the audit trail
    verify (a kept head of a broken chain would vouch for the break): ``StateConflict``
    listing the problems otherwise."""
    report = Report(slug)
    with Session(books.engine) as session:
        verify_chain(books, session, slug, report)
        community = books.community(session, slug)
        verify_heads(community, recorded_heads(session, community), report)
        verify_events(session, community, report)
    if not report.ok:
        raise StateConflict(
            [
                Problem(
                    msg("heads.books-do-verify-kept", slug=slug, problem=problem),
                    rule="chain",
                )
                for problem in report.findings
            ]
        )
    at = clock.now().astimezone(UTC).isoformat(timespec="seconds")
    return Checkpoint(slug, report.entries, report.head, at)
