"""``commons verify``: is the database an unbroken chain, do the rules hold over the journal,
is the projection the journal, does beancount load it cleanly (the plugin re-checks chain and
rules)?"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import assert_never

from beancount import loader
from beancount.core import data
from sqlalchemy import select
from sqlmodel import Session, col

from ledger.books import Books
from ledger.chain import ChainProblem, ChainStart, Fault, Link, check_chain
from ledger.facts import facts_from_entries
from ledger.models import Entry
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
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.ok:
            return (
                f"{self.slug}: OK, {self.entries} entries, chain head {self.head[:16]}, "
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
    report.entries = (links[-1].seq or 0) if links else 0
    report.head = (links[-1].hash or "") if links else genesis_hash(community.id)
    if community.head_seq != report.entries or community.head_hash != report.head:
        report.problems.append(
            f"community head says seq {community.head_seq}, the journal ends at {report.entries}"
        )
    return texts


def verify_projection(books: Books, slug: str, texts: dict[int, str], report: Report) -> None:
    path = books.projection(slug).path
    if not path.exists():
        report.problems.append(f"projection {path} is missing (run: commons rebuild {slug})")
        return
    entries, errors = parse_entries(path.read_text(encoding="utf-8"))
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


def verify(books: Books, slug: str) -> Report:
    report = Report(slug)
    with Session(books.engine) as session:
        texts = verify_chain(books, session, slug, report)
        verify_rules(books, session, slug, report)
    verify_projection(books, slug, texts, report)
    verify_beancount(books, slug, report)
    return report
