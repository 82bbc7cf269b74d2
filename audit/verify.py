"""``commons verify``: is the database an unbroken chain, does it pass through every head
recorded elsewhere (each period's close, the audit trail, heads a member kept: ``--head``),
is the audit trail an unbroken chain that agrees with the journal, do the rules hold over the
journal, is the projection the journal, does beancount load it cleanly (the plugin re-checks
chain and rules)? docs/chain.md says what each of these proves, and what none of them can.

The report's summary and findings are catalogue messages (``verify.*``), printed in the
reader's language; ``Report.problems`` words them in English, for logs and assertions."""

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
from ledger.messages import Lang, Msg, msg, text_of
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
    #: What is wrong, in the order found, as catalogue messages.
    findings: list[Msg] = field(default_factory=list)
    #: The journal's chain as read (in seq order) and the entry id of each seq.
    links: list[Link] = field(default_factory=list, repr=False)
    ids: dict[int, str] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def problems(self) -> list[str]:
        """The findings in English, as ``str()`` words a message: for logs and assertions.
        People read :meth:`lines` in their language."""
        return [str(finding) for finding in self.findings]

    def summary(self) -> Msg:
        if self.ok and self.heads:
            return msg(
                "verify.ok-with-heads",
                slug=self.slug,
                entries=self.entries,
                head=self.head[:16],
                heads=self.heads,
                events=self.events,
            )
        if self.ok:
            return msg(
                "verify.ok",
                slug=self.slug,
                entries=self.entries,
                head=self.head[:16],
                events=self.events,
            )
        return msg("verify.problem-count", what=self.slug, count=len(self.findings))

    def lines(self, lang: Lang) -> list[str]:
        """The report as ``commons verify`` prints it: the summary, then each finding."""
        return [self.summary().render(lang)] + [
            f"  - {finding.render(lang)}" for finding in self.findings
        ]


def chain_message(problem: ChainProblem, entry_id: str) -> Msg:
    """How ``commons verify`` words a fault in the journal's chain (``check_chain``)."""
    match problem.fault:
        case Fault.SEQ:
            return msg("verify.seq-missing", expected=problem.expected, found=problem.found)
        case Fault.LINK:
            return msg("verify.seq-link", seq=problem.seq, previous=(problem.seq or 0) - 1)
        case Fault.HASH:
            return msg("verify.seq-hash", seq=problem.seq, entry_id=entry_id)
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
            messages.append(msg("verify.rows-differ", seq=link.seq, entry_id=row.id))
        messages += [chain_message(p, row.id) for p in found if p.fault is not Fault.SEQ]
        report.findings += messages
    for seq in sorted(set(stored) - set(texts), key=lambda s: (s is None, s or 0)):
        report.findings.append(
            msg(
                "verify.beyond-head",
                seq=seq,
                entry_id=stored[seq].id,
                head_seq=community.head_seq,
            )
        )
    report.links = links
    report.ids = {link.seq or 0: row.id for link, row in zip(links, rows, strict=True)}
    report.entries = (links[-1].seq or 0) if links else 0
    report.head = (links[-1].hash or "") if links else genesis_hash(community.id)
    if community.head_seq != report.entries or community.head_hash != report.head:
        report.findings.append(
            msg("verify.community-head", head_seq=community.head_seq, entries=report.entries)
        )
    return texts


def head_message(problem: HeadProblem) -> Msg:
    """How ``commons verify`` words a head the journal's chain does not pass through."""
    head = problem.head
    text: Msg
    match problem.fault:
        case HeadFault.BEYOND:
            text = msg("verify.head-beyond", seq=head.seq, hash=head.hash, end=problem.end)
        case HeadFault.HASH if problem.found is None:
            text = msg("verify.head-missing", seq=head.seq)
        case HeadFault.HASH:
            text = msg("verify.head-rewritten", seq=head.seq, found=problem.found, hash=head.hash)
        case _:
            assert_never(problem.fault)
    return msg("common.at", where=head.source, message=text) if head.source else text


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
        Head(close.head_seq, close.head_hash, msg("verify.close-of", period=close.period))
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
                    found["head_seq"],
                    found["head_hash"],
                    msg("verify.close-event", seq=seq, period=object_id),
                )
            )
    return heads


def verify_heads(community: Community, heads: Iterable[Head], report: Report) -> None:
    """Does the journal's chain (as :func:`verify_chain` read it) pass through every head?"""
    heads = list(heads)
    report.heads += len(heads)
    for problem in check_heads(report.links, heads, genesis_hash(community.id)):
        report.findings.append(head_message(problem))


def _event(seq: int | None, event: Any) -> Msg:
    """``event seq 5 (post entry e1)``: an event of the audit trail, named."""
    return msg(
        "verify.event",
        seq=seq,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
    )


def event_message(problem: ChainProblem, event: Any) -> Msg:
    """How ``commons verify`` words a fault in the audit trail's chain."""
    what = _event(problem.seq, event)
    match problem.fault:
        case Fault.SEQ:
            return msg("verify.event-missing", expected=problem.expected, found=problem.found)
        case Fault.LINK:
            return msg("verify.event-link", event=what, previous=(problem.seq or 0) - 1)
        case Fault.HASH:
            return msg("verify.event-hash", event=what)
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
            report.findings.append(
                msg(
                    "verify.event-unchained",
                    id=r.id,
                    action=r.action,
                    object_type=r.object_type,
                    object_id=r.object_id,
                )
            )
    links = [Link(r.seq, r.prev_hash, r.hash, events.text_of(dict(r._mapping))) for r in chained]
    for problem in check_chain(links, ChainStart(1, events.genesis_hash(community.id))):
        report.findings.append(event_message(problem, chained[problem.index]))
    report.events = chained[-1].seq if chained else 0
    head = chained[-1].hash if chained else None
    if (community.event_seq, community.event_head) != (report.events, head):
        report.findings.append(
            msg("verify.event-head", event_seq=community.event_seq, events=report.events)
        )
    _events_against_journal(chained, report)


def _events_against_journal(chained: Sequence[Any], report: Report) -> None:
    hashes = {link.hash for link in report.links}
    recorded: set[int] = set()
    for r in chained:
        details = _details(r.details)
        what = _event(r.seq, r)
        if r.object_type == "entry" and isinstance(details.get("seq"), int):
            seq = details["seq"]
            recorded.add(seq)
            holder = report.ids.get(seq)
            # Events of older releases named the original of a reversal, the reversal in details.
            named = details.get("reversal") or r.object_id
            if holder is None:
                report.findings.append(
                    msg("verify.event-no-entry", event=what, seq=seq, entries=report.entries)
                )
            elif holder != named:
                report.findings.append(
                    msg("verify.event-other-entry", event=what, seq=seq, entry_id=holder)
                )
        exported = details.get("head_hash") if r.action == "export" else None
        if isinstance(exported, str) and exported not in hashes:
            report.findings.append(msg("verify.event-export-head", event=what, head=exported))
    for seq in sorted(set(report.ids) - recorded):
        report.findings.append(msg("verify.entry-no-event", seq=seq, entry_id=report.ids[seq]))


def verify_projection(books: Books, slug: str, texts: dict[int, str], report: Report) -> None:
    path = books.projection(slug).path
    if not path.exists():
        report.findings.append(msg("verify.projection-missing", path=path, slug=slug))
        return
    entries, errors = [], []
    for part in books.projection(slug).history():  # with closed years: and its includes
        try:
            found, failed = parse_entries(part.read_text(encoding="utf-8"))
        except FileNotFoundError:
            report.findings.append(msg("verify.projection-part-missing", name=part.name))
            continue
        entries += found
        errors += failed
    for error in errors:
        report.findings.append(
            msg(
                "verify.projection-line",
                lineno=error.source.get("lineno"),
                message=msg("common.text", text=error.message),
            )
        )
    seen: dict[int, str] = {}
    for entry in entries:
        if isinstance(entry, data.Transaction) and "seq" in entry.meta:
            txn, _prev, _hash = txn_from_entry(entry)
            seq = txn.seq or 0
            if seq in seen:
                report.findings.append(msg("verify.projection-seq-twice", seq=seq))
            seen[seq] = render_txn(txn)
    for seq, text in texts.items():
        if seq not in seen:
            report.findings.append(msg("verify.projection-seq-missing", seq=seq))
        elif seen[seq] != text:
            report.findings.append(msg("verify.projection-seq-differs", seq=seq))
    for seq in sorted(set(seen) - set(texts)):
        report.findings.append(msg("verify.projection-seq-extra", seq=seq))
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
        report.findings.append(msg("verify.projection", problem=text_of(exc)))
        return
    with Session(books.engine) as session:
        community = books.community(session, slug)
        resolutions, closes = books.facts(session, community.id)
    stored = {r.number: r for r in resolutions}
    for number, fact in sorted(stored.items()):
        found = in_file.get(number)
        if found is None:
            report.findings.append(msg("verify.resolution-missing", number=number))
        elif found != fact:
            report.findings.append(
                msg(
                    "verify.resolution-differs",
                    number=number,
                    differences=_differences(fact, found),
                )
            )
    for number in sorted(set(in_file) - set(stored)):
        report.findings.append(msg("verify.resolution-extra", number=number))
    stored_closes = {c.period: c for c in closes}
    file_closes = {c.period: c for c in closes_in_file}
    for period, close in sorted(stored_closes.items()):
        seen_close = file_closes.get(period)
        if seen_close is None:
            report.findings.append(msg("verify.close-missing", period=period))
        elif seen_close != close:
            report.findings.append(
                msg(
                    "verify.close-differs",
                    period=period,
                    differences=_differences(close, seen_close),
                )
            )
    for period in sorted(set(file_closes) - set(stored_closes)):
        report.findings.append(msg("verify.close-extra", period=period))


def verify_rules(books: Books, session: Session, slug: str, report: Report) -> None:
    """Fold the rules over the journal, as the posting path did, and list every violation
    (with the facts the database holds: resolutions, closed periods)."""
    community = books.community(session, slug)
    try:
        context = of(books).context(session, community)
    except RulesFileError as exc:
        report.findings.append(
            msg(
                "verify.rules-file",
                path=books.rules_path(slug),
                problem=msg("common.list", items=[p.text for p in exc.problems]),
            )
        )
        return
    state = build_state(context, RULES)
    for txn, violation in state.fold(item.txn for item in books.chained(session, community.id)):
        report.findings.append(
            msg("verify.rules", seq=txn.seq, date=txn.date, violation=violation.text)
        )


def verify_beancount(books: Books, slug: str, report: Report) -> None:
    path = books.projection(slug).path
    if not path.exists():
        return
    _entries, errors, _options = loader.load_file(str(path))
    for error in errors:
        lineno = (error.source or {}).get("lineno")
        report.findings.append(
            msg(
                "verify.beancount",
                lineno=lineno,
                message=msg("common.text", text=error.message),
            )
        )


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
