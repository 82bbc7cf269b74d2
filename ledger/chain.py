"""The hash-chain check, once, for everyone who re-verifies the books.

Every posted entry carries ``seq``, ``prev-hash`` and ``hash``: ``hash = sha256(prev-hash +
canonical text)`` (``render.chain_hash``), ``prev-hash`` is the hash of the entry before it,
and the first entry (seq 1) links to ``render.genesis_hash(community id)``. Three readers check
this: the beancount plugin (``rules.plugin``, on a projection or an audit package's ledger),
``commons verify`` (on the database's rows) and ``commons verify-export`` (on an audit
package). Each turns the links it has into :class:`Link` values, calls :func:`check_chain`
and words the :class:`ChainProblem` values it gets back for its own readers.

A chain of three entries with the second one's amount edited::

    check_chain([Link(1, g, h1, t1), Link(2, h1, h2, t2_edited), Link(3, h2, h3, t3)],
                ChainStart.genesis(community_id))
    == [ChainProblem(index=1, seq=2, fault=Fault.HASH,
                     expected=chain_hash(h1, t2_edited), found=h2)]

The check never raises for a broken chain: every fault is a value, so a caller can report all
of them at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from beancount.core import data

from ledger.messages import Msg
from ledger.render import chain_hash, genesis_hash, render_txn, txn_from_entry
from ledger.txn import Txn


class Fault(StrEnum):
    """What is wrong with one link."""

    #: Its ``seq`` is not the one after the entry before it (a gap, a repeat, or missing).
    SEQ = "seq"
    #: Its ``prev-hash`` is not the hash of the entry before it (or of the start).
    LINK = "link"
    #: Its ``hash`` is not ``sha256(prev-hash + text)``: the text changed after it was hashed.
    HASH = "hash"


@dataclass(frozen=True)
class Link:
    """One entry as the chain sees it: its sequence number, the two hashes it records and the
    canonical text its hash covers (``render.render_txn``, or the text stored when posted)."""

    seq: int | None
    prev_hash: str | None
    hash: str | None
    text: str

    @classmethod
    def of(cls, txn: Txn, prev_hash: str | None, hash_: str | None) -> Link:
        """The link of a transaction read back from beancount or rows: its text rendered."""
        return cls(txn.seq, prev_hash, hash_, render_txn(txn))


@dataclass(frozen=True)
class ChainStart:
    """Where a stretch of the chain begins: the first link's ``seq`` and the hash its
    ``prev-hash`` must equal (the genesis hash for seq 1, else the hash of seq - 1)."""

    seq: int
    prev_hash: str

    @classmethod
    def genesis(cls, community_id: str) -> ChainStart:
        """The start of a whole chain: seq 1, linked to the community's genesis hash."""
        return cls(1, genesis_hash(community_id))


@dataclass(frozen=True)
class ChainProblem:
    """One fault in one link. ``index`` is the link's position in the sequence checked (so a
    caller can find its own entry or row), ``seq`` the link's own seq. ``expected`` and
    ``found``: for ``Fault.SEQ`` sequence numbers, for ``Fault.LINK`` the hash the prev-hash
    should be and the one recorded, for ``Fault.HASH`` the recomputed hash and the recorded one."""

    index: int
    seq: int | None
    fault: Fault
    expected: int | str | None
    found: int | str | None


def check_chain(links: Iterable[Link], start: ChainStart | None) -> list[ChainProblem]:
    """Every fault in ``links``, taken in the order given (chain order: sorted by seq).

    From ``start``, each link must have the next seq, a ``prev-hash`` equal to the hash before
    it, and a ``hash`` equal to ``chain_hash(its prev-hash, its text)``. With ``start`` None
    the chain begins at seq 1 and the first link's ``prev-hash`` is taken on trust (a reader
    that does not know the community cannot derive the genesis hash).

    A link's hash is checked against its *own* ``prev-hash``, so one edited entry gives one
    ``HASH`` fault, a re-pointed link one ``LINK`` fault, and neither cascades to the rest.
    After a link without a seq, the next one is expected to follow the last known seq; after
    a link without a hash (a ``HASH`` fault already), the next one's prev-hash is not checked.
    An empty chain has no faults; whether it should be empty is the caller's question.
    """
    problems: list[ChainProblem] = []
    expected_seq = start.seq if start is not None else 1
    expected_prev = start.prev_hash if start is not None else None
    for index, link in enumerate(links):
        if link.seq != expected_seq:
            problems.append(ChainProblem(index, link.seq, Fault.SEQ, expected_seq, link.seq))
        if expected_prev is not None and link.prev_hash != expected_prev:
            problems.append(
                ChainProblem(index, link.seq, Fault.LINK, expected_prev, link.prev_hash)
            )
        recomputed = chain_hash(link.prev_hash or "", link.text)
        if link.hash != recomputed:
            problems.append(ChainProblem(index, link.seq, Fault.HASH, recomputed, link.hash))
        expected_prev = link.hash
        expected_seq = (link.seq if link.seq is not None else expected_seq) + 1
    return problems


@dataclass(frozen=True)
class ChainedEntry:
    """A chained transaction of a parsed beancount file: the entry, the transaction read back
    from it (``render.txn_from_entry``) and its link."""

    entry: data.Transaction
    txn: Txn
    link: Link


def chained_entries(entries: Iterable[data.Directive]) -> list[ChainedEntry]:
    """The transactions of a parsed beancount file that carry a ``hash``, sorted by seq:
    what :func:`check_chain` checks in a projection or an audit package's ledger. Other
    transactions (an export's unchained opening balances) are left out."""
    chained = []
    for entry in entries:
        if isinstance(entry, data.Transaction) and "hash" in (entry.meta or {}):
            txn, prev_hash, hash_ = txn_from_entry(entry)
            chained.append(ChainedEntry(entry, txn, Link.of(txn, prev_hash, hash_)))
    chained.sort(key=lambda item: item.txn.seq or 0)
    return chained


# --- heads kept elsewhere ---------------------------------------------------------------------


@dataclass(frozen=True)
class Head:
    """A chain head recorded somewhere the rows could not rewrite it along with the chain: a
    line a member kept (``commons checkpoint``), a published notice, a period's close. It
    says the entry ``seq`` had hash ``hash`` (seq 0: the chain was empty, ``hash`` the
    genesis hash). ``source`` says where it came from, for the reader of a problem: words
    (a file's name and line, ``--head 3:...``) or a catalogue message (``close of 2025Q1``)."""

    seq: int
    hash: str
    source: str | Msg = ""


class HeadFault(StrEnum):
    """Why a chain does not pass through a head."""

    #: The chain ends before the head's seq: it was cut short (entries deleted at its end).
    BEYOND = "beyond"
    #: The entry at the head's seq has another hash: the chain up to it was rewritten.
    HASH = "hash"


@dataclass(frozen=True)
class HeadProblem:
    """One head the chain does not pass through; ``found`` is the hash at its seq (None when
    the chain ends before it), ``end`` the chain's last seq."""

    head: Head
    fault: HeadFault
    found: str | None
    end: int


def check_heads(links: Iterable[Link], heads: Iterable[Head], genesis: str) -> list[HeadProblem]:
    """Every head of ``heads`` that the chain ``links`` (a whole chain from seq 1, in order)
    does not pass through. Passing through a head means the link at the head's seq has exactly
    the head's hash. A head of seq 0 must be ``genesis``. Like :func:`check_chain`, this
    never raises: run it beside that check, which says whether the links themselves hold."""
    hashes = {0: genesis}
    end = 0
    for link in links:
        if link.seq is not None:
            hashes[link.seq] = link.hash or ""
            end = max(end, link.seq)
    problems = []
    for head in heads:
        found = hashes.get(head.seq)
        if head.seq > end:
            problems.append(HeadProblem(head, HeadFault.BEYOND, None, end))
        elif found != head.hash:
            problems.append(HeadProblem(head, HeadFault.HASH, found, end))
    return problems
