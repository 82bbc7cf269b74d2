"""``commons verify``: is the database an unbroken chain, does it pass through every head
recorded elsewhere (each period's close, the audit trail, heads a member kept: ``--head``),
is the audit trail an unbroken chain that agrees with the journal, do the rules hold over the
journal, is the projection the journal, does beancount load it cleanly (the plugin re-checks
chain and rules)? docs/chain.md says what each of these proves, and what none of them can."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, assert_never

from beancount import loader
from beancount.core import data
from sqlalchemy import select
from sqlmodel import Session, col

from ledger import events
from ledger.books import Books
from ledger.chain import (
    ChainProblem,
    ChainStart,
    Fault,
    Head,
    HeadFault,
    HeadProblem,
    Link,
    check_chain,
    check_heads,
)
from ledger.facts import facts_from_entries
from ledger.models import Community, Entry, Event, PeriodClose
from ledger.render import genesis_hash, parse_entries, render_txn, txn_from_entry
from rules.config import RulesFileError
from rules.engine import build_state
from rules.registry import RULES
from rules.ruleset import of


@dataclass
class Report:
    slug: str
    entries: int = 0
    head: str = ""
    #: Events in the audit trail's chain, and heads the journal was checked against.
    events: int = 0
    heads: int = 0
    problems: list[str] = field(default_factory=list)
    #: The journal's chain as read (in seq order) and the entry id of each seq.
    links: list[Link] = field(default_factory=list, repr=False)
    ids: dict[int, str] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.ok:
            kept = f", passes through {self.heads} recorded head(s)" if self.heads else ""
            return (
                f"{self.slug}: OK, {self.entries} entries, chain head {self.head[:16]}{kept}, "
                f"{self.events} events in the audit trail's chain, "
                "projection matches the journal, beancount loads it with no errors"
            )
        return f"{self.slug}: {len(self.problems)} problem(s)"


def chain_message(problem: ChainProblem, entry_id: str) -> str:
    """How ``commons verify`` words a fault in the journal's chain (``check_chain``)."""
    match problem.fault:
        case Fault.SEQ:
            return f"seq {problem.expected}: missing from the journal (next is {problem.found})"
        case Fault.LINK:
            return f"seq {problem.seq}: prev-hash does not link to seq {(problem.seq or 0) - 1}"
        case Fault.HASH:
            return f"seq {problem.seq} (entry {entry_id}): hash does not match its text"
    assert_never(problem.fault)


def verify_chain(books: Books, session: Session, slug: str, report: Report) -> dict[int, str]:
    """Recompute the chain from the rows (``ledger.chain.check_chain`` over each entry's
    stored text), and check that the rows still render to that text. Returns seq → canonical
    text (from the rows)."""
    community = books.community(session, slug)
    texts: dict[int, str] = {}
    stored = {
        e.seq: e
        for e in session.execute(
            select(Entry)
            .where(col(Entry.community_id) == community.id)
            .where(col(Entry.status) == "posted")
        ).scalars()
    }
    rows: list[Entry] = []
    links: list[Link] = []
    for item in books.chained(session, community.id):
        seq = item.txn.seq or 0
        row = stored[seq]
        texts[seq] = render_txn(item.txn)
        rows.append(row)
        links.append(Link(seq, item.prev_hash, item.hash, row.text or ""))
    faults: dict[int, list[ChainProblem]] = {}
    for problem in check_chain(links, ChainStart.genesis(community.id)):
        faults.setdefault(problem.index, []).append(problem)
    for index, (row, link) in enumerate(zip(rows, links, strict=True)):
        found = faults.get(index, [])
        messages = [chain_message(p, row.id) for p in found if p.fault is Fault.SEQ]
        if texts[link.seq or 0] != row.text:
            messages.append(
                f"seq {link.seq} (entry {row.id}): the rows (postings, fields) differ from the "
                "text that was hashed when it was posted"
            )
        messages += [chain_message(p, row.id) for p in found if p.fault is not Fault.SEQ]
        report.problems += messages
    for seq in sorted(set(stored) - set(texts), key=lambda s: (s is None, s or 0)):
        report.problems.append(
            f"seq {seq} (entry {stored[seq].id}): posted, but beyond the community's head "
            f"(seq {community.head_seq}): the head was moved back"
        )
    report.links = links
    report.ids = {link.seq or 0: row.id for link, row in zip(links, rows, strict=True)}
    report.entries = (links[-1].seq or 0) if links else 0
    report.head = (links[-1].hash or "") if links else genesis_hash(community.id)
    if community.head_seq != report.entries or community.head_hash != report.head:
        report.problems.append(
            f"community head says seq {community.head_seq}, the journal ends at {report.entries}"
        )
    return texts


def head_message(problem: HeadProblem) -> str:
    """How ``commons verify`` words a head the journal's chain does not pass through."""
    head = problem.head
    where = f"{head.source}: " if head.source else ""
    match problem.fault:
        case HeadFault.BEYOND:
            return (
                f"{where}chain head seq {head.seq} ({head.hash}), but the journal ends at seq "
                f"{problem.end}: the journal was cut short (entries after seq {problem.end} "
                "deleted)"
            )
        case HeadFault.HASH if problem.found is None:
            return f"{where}chain head seq {head.seq}: the journal has no entry at seq {head.seq}"
        case HeadFault.HASH:
            return (
                f"{where}the journal's entry at seq {head.seq} has hash {problem.found}, not "
                f"{head.hash} as recorded: the journal up to seq {head.seq} was rewritten"
            )
    assert_never(problem.fault)


def _details(text: str) -> dict[str, Any]:
    try:
        found = json.loads(text)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def recorded_heads(session: Session, community: Community) -> list[Head]:
    """The journal heads the database recorded beside the chain: each period close's row,
    and the head each ``close`` event of the audit trail recorded (the event chain protects
    the latter, so editing a close's row alone does not hide a rewrite)."""
    heads = [
        Head(close.head_seq, close.head_hash, f"close of {close.period}")
        for close in session.execute(
            select(PeriodClose)
            .where(col(PeriodClose.community_id) == community.id)
            .order_by(col(PeriodClose.start))
        ).scalars()
    ]
    for seq, object_id, details in session.execute(
        select(col(Event.seq), col(Event.object_id), col(Event.details))
        .where(col(Event.community_id) == community.id)
        .where(col(Event.action) == "close")
        .order_by(col(Event.seq))
    ):
        found = _details(details)
        if isinstance(found.get("head_seq"), int) and isinstance(found.get("head_hash"), str):
            heads.append(
                Head(
                    found["head_seq"], found["head_hash"], f"event seq {seq} (close of {object_id})"
                )
            )
    return heads


def verify_heads(community: Community, heads: Iterable[Head], report: Report) -> None:
    """Does the journal's chain (as :func:`verify_chain` read it) pass through every head?"""
    heads = list(heads)
    report.heads += len(heads)
    for problem in check_heads(report.links, heads, genesis_hash(community.id)):
        report.problems.append(head_message(problem))


def event_message(problem: ChainProblem, event: Any) -> str:
    """How ``commons verify`` words a fault in the audit trail's chain."""
    what = f"event seq {problem.seq} ({event.action} {event.object_type} {event.object_id})"
    match problem.fault:
        case Fault.SEQ:
            return (
                f"event seq {problem.expected}: missing from the audit trail (deleted; the next "
                f"is seq {problem.found})"
            )
        case Fault.LINK:
            return f"{what}: prev_hash does not link to event seq {(problem.seq or 0) - 1}"
        case Fault.HASH:
            return f"{what}: hash does not match its text (edited after it was written)"
    assert_never(problem.fault)


def verify_events(session: Session, community: Community, report: Report) -> None:
    """The audit trail's chain, link by link (``ledger.chain.check_chain`` over each event's
    canonical text, ``ledger.events.text``), its head against the community row's, and the
    trail against the journal: every posted entry has the event that chained it, every such
    event names an entry the journal holds, and every export's recorded head is in the
    journal."""
    rows = list(
        session.execute(
            select(
                col(Event.id),
                col(Event.seq),
                col(Event.prev_hash),
                col(Event.hash),
                col(Event.at),
                col(Event.actor),
                col(Event.action),
                col(Event.object_type),
                col(Event.object_id),
                col(Event.address),
                col(Event.details),
            )
            .where(col(Event.community_id) == community.id)
            .order_by(col(Event.seq), col(Event.id))
        )
    )
    chained = [r for r in rows if r.seq is not None]
    for r in rows:
        if r.seq is None:
            report.problems.append(
                f"event id {r.id} ({r.action} {r.object_type} {r.object_id}): not in the audit "
                "trail's chain (written outside it)"
            )
    links = [Link(r.seq, r.prev_hash, r.hash, events.text_of(dict(r._mapping))) for r in chained]
    for problem in check_chain(links, ChainStart(1, events.genesis_hash(community.id))):
        report.problems.append(event_message(problem, chained[problem.index]))
    report.events = chained[-1].seq if chained else 0
    head = chained[-1].hash if chained else None
    if (community.event_seq, community.event_head) != (report.events, head):
        report.problems.append(
            f"the community's event head says seq {community.event_seq}, the audit trail ends "
            f"at seq {report.events}"
        )
    _events_against_journal(chained, report)


def _events_against_journal(chained: Sequence[Any], report: Report) -> None:
    hashes = {link.hash for link in report.links}
    recorded: set[int] = set()
    for r in chained:
        details = _details(r.details)
        what = f"event seq {r.seq} ({r.action} {r.object_type} {r.object_id})"
        if r.object_type == "entry" and isinstance(details.get("seq"), int):
            seq = details["seq"]
            recorded.add(seq)
            holder = report.ids.get(seq)
            # Events of older releases named the original of a reversal, the reversal in details.
            named = details.get("reversal") or r.object_id
            if holder is None:
                report.problems.append(
                    f"{what}: records entry seq {seq}, which the journal does not hold "
                    f"(the journal ends at seq {report.entries})"
                )
            elif holder != named:
                report.problems.append(f"{what}: records seq {seq}, which is entry {holder}")
        exported = details.get("head_hash") if r.action == "export" else None
        if isinstance(exported, str) and exported not in hashes:
            report.problems.append(
                f"{what}: the chain head it exported ({exported}) is not in the journal: the "
                "journal was rewritten or cut short since"
            )
    for seq in sorted(set(report.ids) - recorded):
        report.problems.append(
            f"seq {seq} (entry {report.ids[seq]}): no event of the audit trail records it "
            "being posted"
        )


def verify_projection(books: Books, slug: str, texts: dict[int, str], report: Report) -> None:
    path = books.projection(slug).path
    if not path.exists():
        report.problems.append(f"projection {path} is missing (run: commons rebuild {slug})")
        return
    entries, errors = [], []
    for part in books.projection(slug).history():  # with closed years: and its includes
        try:
            found, failed = parse_entries(part.read_text(encoding="utf-8"))
        except FileNotFoundError:
            report.problems.append(f"projection {part.name} is missing")
            continue
        entries += found
        errors += failed
    for error in errors:
        report.problems.append(f"projection line {error.source.get('lineno')}: {error.message}")
    seen: dict[int, str] = {}
    for entry in entries:
        if isinstance(entry, data.Transaction) and "seq" in entry.meta:
            txn, _prev, _hash = txn_from_entry(entry)
            seq = txn.seq or 0
            if seq in seen:
                report.problems.append(f"projection: seq {seq} appears twice")
            seen[seq] = render_txn(txn)
    for seq, text in texts.items():
        if seq not in seen:
            report.problems.append(f"projection: seq {seq} is missing")
        elif seen[seq] != text:
            report.problems.append(f"projection: seq {seq} differs from the journal")
    for seq in sorted(set(seen) - set(texts)):
        report.problems.append(f"projection: seq {seq} is not in the journal")
    verify_facts(books, slug, entries, report)


def _differences(ours: object, theirs: object) -> str:
    """``field projection ≠ database`` for each field of two facts that differs."""
    return ", ".join(
        f"{f.name} {getattr(theirs, f.name)} ≠ {getattr(ours, f.name)}"
        for f in fields(ours)  # type: ignore[arg-type]
        if getattr(ours, f.name) != getattr(theirs, f.name)
    )


def verify_facts(books: Books, slug: str, entries: list[data.Directive], report: Report) -> None:
    """The projection's ``custom "resolution"`` and ``custom "close"`` directives against the
    database. The chain does not cover them, and the plugin judges spending by them, so an
    edited budget or vote would otherwise pass bean-check unnoticed."""
    try:
        in_file, closes_in_file = facts_from_entries(entries)
    except ValueError as exc:
        report.problems.append(f"projection: {exc}")
        return
    with Session(books.engine) as session:
        community = books.community(session, slug)
        resolutions, closes = books.facts(session, community.id)
    stored = {r.number: r for r in resolutions}
    for number, fact in sorted(stored.items()):
        found = in_file.get(number)
        if found is None:
            report.problems.append(f"projection: resolution {number} is missing")
        elif found != fact:
            report.problems.append(
                f"projection: resolution {number} differs from the database "
                f"(projection ≠ database): {_differences(fact, found)}"
            )
    for number in sorted(set(in_file) - set(stored)):
        report.problems.append(f"projection: resolution {number} is not in the database")
    stored_closes = {c.period: c for c in closes}
    file_closes = {c.period: c for c in closes_in_file}
    for period, close in sorted(stored_closes.items()):
        seen_close = file_closes.get(period)
        if seen_close is None:
            report.problems.append(f"projection: close {period} is missing")
        elif seen_close != close:
            report.problems.append(
                f"projection: close {period} differs from the database "
                f"(projection ≠ database): {_differences(close, seen_close)}"
            )
    for period in sorted(set(file_closes) - set(stored_closes)):
        report.problems.append(f"projection: close {period} is not in the database")


def verify_rules(books: Books, session: Session, slug: str, report: Report) -> None:
    """Fold the rules over the journal, as the posting path did, and list every violation
    (with the facts the database holds: resolutions, closed periods)."""
    community = books.community(session, slug)
    try:
        context = of(books).context(session, community)
    except RulesFileError as exc:
        report.problems.append(f"rules file {books.rules_path(slug)}: {exc}")
        return
    state = build_state(context, RULES)
    for txn, violation in state.fold(item.txn for item in books.chained(session, community.id)):
        report.problems.append(f"rules: seq {txn.seq} ({txn.date}): {violation.message}")


def verify_beancount(books: Books, slug: str, report: Report) -> None:
    path = books.projection(slug).path
    if not path.exists():
        return
    _entries, errors, _options = loader.load_file(str(path))
    for error in errors:
        lineno = (error.source or {}).get("lineno")
        report.problems.append(f"beancount: line {lineno}: {error.message}")


def verify(books: Books, slug: str, heads: Sequence[Head] = ()) -> Report:
    """Everything ``commons verify`` checks; ``heads`` are heads kept outside the server."""
    report = Report(slug)
    with Session(books.engine) as session:
        texts = verify_chain(books, session, slug, report)
        community = books.community(session, slug)
        verify_heads(community, recorded_heads(session, community), report)
        verify_heads(community, heads, report)
        verify_events(session, community, report)
        verify_rules(books, session, slug, report)
    verify_projection(books, slug, texts, report)
    verify_beancount(books, slug, report)
    return report
