"""Beancount text: the only module that writes or reads entries as beancount.

An entry renders as its *canonical text* (what the hash chain covers) and, in the projection,
with two more metadata lines, ``prev-hash`` and ``hash``. Strings are escaped so that any
payee or narration stays inside its quotes on one line: ``\\`` → ``\\\\``, ``"`` → ``\\"``,
newline → ``\\n``, tab → ``\\t``; beancount's lexer undoes exactly these, so
render → parse → render is the identity and no text can start a directive of its own::

    2025-03-31 * "停车场" "3月地面停车费"
      id: "5f0c..."
      seq: 12
      kind: "income"
      entered-by: "treasurer"
      documents: "收据 0032"
      prev-hash: "9a1e..."
      hash: "77c2..."
      Assets:1002-银行存款:01-基本户   9600.00 CNY
      Income:4301-共有收益:01-停车费  -9600.00 CNY
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from beancount.core import data
from beancount.parser import parser

from ledger.money import CURRENCY, fmt
from ledger.txn import Leg, Txn

DOCUMENT_SEPARATOR = " | "
#: beancount's lexer undoes exactly these escapes; nothing else in a string is special.
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t"})


def quote(text: str) -> str:
    """A beancount string literal holding exactly ``text``."""
    return '"' + text.translate(_ESCAPES) + '"'


def genesis_hash(community_id: str) -> str:
    """The chain's starting point, derived from the community id."""
    return hashlib.sha256(f"commons-ledger genesis {community_id}".encode()).hexdigest()


def chain_hash(prev_hash: str, text: str) -> str:
    """``sha256(prev_hash + canonical text)``, hex."""
    return hashlib.sha256((prev_hash + text).encode("utf-8")).hexdigest()


def _meta_lines(txn: Txn) -> list[str]:
    lines = [f"  id: {quote(txn.id)}"]
    if txn.seq is not None:
        lines.append(f"  seq: {txn.seq}")
    lines.append(f"  kind: {quote(txn.kind)}")
    lines.append(f"  entered-by: {quote(txn.entered_by)}")
    if txn.approved_by:
        lines.append(f"  approved-by: {quote(txn.approved_by)}")
    if txn.resolution:
        lines.append(f"  resolution: {quote(txn.resolution)}")
    if txn.documents:
        lines.append(f"  documents: {quote(DOCUMENT_SEPARATOR.join(txn.documents))}")
    if txn.reverses:
        lines.append(f"  reverses: {quote(txn.reverses)}")
    if txn.contract:
        lines.append(f"  contract: {quote(txn.contract)}")
    return lines


def _posting_lines(legs: Iterable[Leg]) -> list[str]:
    return [f"  {leg.account}  {fmt(leg.amount)} {CURRENCY}" for leg in legs]


#: Tags some kinds carry in their heading line, so Fava's filter can leave them out: a year's
#: closing entry (``-#closing`` shows the year's income and expenses as they were).
TAGS = {"closing": " #closing"}


def _head(txn: Txn) -> str:
    tag = TAGS.get(txn.kind, "")
    return f"{txn.date.isoformat()} * {quote(txn.payee)} {quote(txn.narration)}{tag}"


def render_txn(txn: Txn) -> str:
    """The canonical text of an entry: what ``hash`` covers. Ends with a newline."""
    head = _head(txn)
    return "\n".join([head, *_meta_lines(txn), *_posting_lines(txn.legs)]) + "\n"


def render_projected(txn: Txn, prev_hash: str, hash_: str) -> str:
    """The entry as it stands in the projection: canonical text plus its chain links."""
    head = _head(txn)
    chain = [f"  prev-hash: {quote(prev_hash)}", f"  hash: {quote(hash_)}"]
    return "\n".join([head, *_meta_lines(txn), *chain, *_posting_lines(txn.legs)]) + "\n"


def with_chain(text: str, legs: int, prev_hash: str, hash_: str) -> str:
    """``render_projected`` from the canonical text already rendered (``render_txn``) and
    its number of legs: the chain links go before the postings, as there."""
    lines = text.split("\n")  # the last item is the empty string after the final newline
    cut = len(lines) - 1 - legs
    chain = [f"  prev-hash: {quote(prev_hash)}", f"  hash: {quote(hash_)}"]
    return "\n".join([*lines[:cut], *chain, *lines[cut:]])


def _meta_str(meta: dict[str, Any], key: str) -> str | None:
    value = meta.get(key)
    return None if value is None else str(value)


def txn_from_entry(entry: data.Transaction) -> tuple[Txn, str | None, str | None]:
    """Read a parsed beancount transaction back into a Txn, with its prev-hash and hash."""
    meta = entry.meta or {}
    seq = meta.get("seq")
    documents = _meta_str(meta, "documents")
    legs = []
    for posting in entry.postings:
        units = posting.units
        amount = units.number if units is not None else None
        legs.append(Leg(posting.account, amount if isinstance(amount, Decimal) else Decimal(0)))
    txn = Txn(
        id=_meta_str(meta, "id") or "",
        seq=int(seq) if isinstance(seq, Decimal | int) else None,
        date=entry.date,
        payee=entry.payee or "",
        narration=entry.narration or "",
        kind=_meta_str(meta, "kind") or "",
        legs=tuple(legs),
        entered_by=_meta_str(meta, "entered-by") or "",
        approved_by=_meta_str(meta, "approved-by"),
        resolution=_meta_str(meta, "resolution"),
        documents=tuple(documents.split(DOCUMENT_SEPARATOR)) if documents else (),
        reverses=_meta_str(meta, "reverses"),
        contract=_meta_str(meta, "contract"),
        source={"filename": meta.get("filename"), "lineno": meta.get("lineno")},
    )
    return txn, _meta_str(meta, "prev-hash"), _meta_str(meta, "hash")


def parse_entries(text: str) -> tuple[list[data.Directive], list[Any]]:
    """Parse beancount text (no plugins, no booking): the directives and the parse errors."""
    entries, errors, _options = parser.parse_string(text)
    return entries, errors


def render_open(name: str, open_date: date, meta: dict[str, str]) -> str:
    lines = [f"{open_date.isoformat()} open {name} {CURRENCY}"]
    lines += [f"  {key}: {quote(value)}" for key, value in meta.items()]
    return "\n".join(lines) + "\n"


def render_close(name: str, close_date: date) -> str:
    return f"{close_date.isoformat()} close {name}\n"


def render_custom(day: date, type_: str, values: Iterable[str], meta: dict[str, str]) -> str:
    """A ``custom`` directive with string values and string metadata (resolutions, closes)."""
    head = f"{day.isoformat()} custom {quote(type_)} " + " ".join(quote(v) for v in values)
    lines = [head.rstrip()] + [f"  {key}: {quote(value)}" for key, value in meta.items()]
    return "\n".join(lines) + "\n"
