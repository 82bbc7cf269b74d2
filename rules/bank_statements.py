"""Storing a statement's lines: keys, duplicates and running balances.

A line's key is its account, date, reference and amount: a line already imported is counted as
a duplicate and adds nothing (refused if its balance differs). Each running balance must follow
from the line before it, and the statement from the lines already imported just before and
after it (a gap between statements shows). The new lines are stored all or nothing, matched
(:mod:`rules.bank_matching`), and the rest answered as proposals (:mod:`rules.bank_proposals`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from ledger import clock, events
from ledger.books import Books
from ledger.db import writer
from ledger.errors import Problem
from ledger.messages import msg
from ledger.models import BankLine
from ledger.money import fmt, from_fen, to_fen
from rules.bank_files import StatementImporter, choose_layout
from rules.bank_lines import ImportOut, LineIn, Read, bank_account, problem, refused
from rules.bank_matching import match_lines
from rules.bank_proposals import proposal_of


def _key(account: str, line: LineIn) -> tuple[str, date, str, int]:
    return (account, line.date, line.reference, to_fen(line.amount))


def _check_running(reads: Sequence[Read]) -> list[Problem]:
    problems = []
    for before, read in itertools.pairwise(reads):
        if read.line.date < before.line.date:
            problems.append(
                problem(
                    read.where,
                    msg(
                        "bank_statements.dated-before-lines-must",
                        date=read.line.date,
                        where=before.where,
                        date_2=before.line.date,
                    ),
                    rule="bank-order",
                )
            )
            continue
        expected = before.line.balance + read.line.amount
        if expected != read.line.balance:
            problems.append(
                problem(
                    read.where,
                    msg(
                        "bank_statements.balance-does-follow-from-2",
                        balance=fmt(read.line.balance),
                        where=before.where,
                        balance_2=fmt(before.line.balance),
                        amount=fmt(read.line.amount),
                        expected=fmt(expected),
                    ),
                    rule="bank-balance",
                    expected=fmt(expected),
                    stated=fmt(read.line.balance),
                )
            )
    return problems


def _neighbours(
    session: Session,
    community_id: str,
    account: str,
    reads: Sequence[Read],
    keys: set[tuple[Any, ...]],
) -> list[Problem]:
    """The statement must also follow from the lines imported before its first line and lead
    to those imported after its last (a gap between statements shows)."""
    problems = []
    first, last = reads[0], reads[-1]
    rows = session.execute(
        select(BankLine)
        .where(col(BankLine.community_id) == community_id, col(BankLine.account) == account)
        .where(col(BankLine.date) <= first.line.date)
        .order_by(col(BankLine.date).desc(), col(BankLine.position).desc())
        .limit(len(reads) + 1)
    ).scalars()
    before = next(
        (r for r in rows if (r.account, r.date, r.reference, r.amount_fen) not in keys), None
    )
    if (
        before is not None
        and from_fen(before.balance_fen) + first.line.amount != first.line.balance
    ):
        problems.append(
            problem(
                first.where,
                msg(
                    "bank_statements.balance-does-follow-from",
                    balance=fmt(first.line.balance),
                    date=before.date,
                    reference=before.reference or "no reference",
                    balance_fen=fmt(from_fen(before.balance_fen)),
                ),
                rule="bank-balance",
            )
        )
    rows = session.execute(
        select(BankLine)
        .where(col(BankLine.community_id) == community_id, col(BankLine.account) == account)
        .where(col(BankLine.date) >= last.line.date)
        .order_by(col(BankLine.date), col(BankLine.position))
        .limit(len(reads) + 1)
    ).scalars()
    after = next(
        (r for r in rows if (r.account, r.date, r.reference, r.amount_fen) not in keys), None
    )
    if after is not None and last.line.balance + from_fen(after.amount_fen) != from_fen(
        after.balance_fen
    ):
        problems.append(
            problem(
                last.where,
                msg(
                    "bank_statements.line-imported-after-one",
                    date=after.date,
                    reference=after.reference or "no reference",
                    balance_fen=fmt(from_fen(after.balance_fen)),
                    balance=fmt(last.line.balance),
                ),
                rule="bank-balance",
            )
        )
    return problems


def import_lines(
    *,
    books: Books,
    slug: str,
    account: str,
    reads: Sequence[Read],
    actor: str,
    source: str = "",
    layout: str = "",
    address: str | None = None,
) -> ImportOut:
    """Store a statement's lines (all or nothing), skip those already imported, match the new
    ones, and answer the proposals for the rest. ``source`` (the file's name) and ``layout``
    (the layout it was read in) go on the import's event."""
    problems = _check_running(reads)
    seen: dict[tuple[Any, ...], str] = {}
    for read in reads:
        key = _key(account, read.line)
        if key in seen:
            problems.append(
                problem(
                    read.where,
                    msg("bank_statements.repeats-same-date-reference", seen=seen[key]),
                    rule="bank-duplicate",
                )
            )
        seen[key] = read.where
    if problems:
        raise refused(problems)
    now = clock.now()
    with writer(books.engine) as session:
        community = books.community(session, slug, for_update=True)
        bank_account(session, community.id, account)
        keys = set(seen)
        stored = {
            (r.account, r.date, r.reference, r.amount_fen): r
            for r in session.execute(
                select(BankLine)
                .where(col(BankLine.community_id) == community.id)
                .where(col(BankLine.account) == account)
                .where(col(BankLine.date) >= reads[0].line.date)
                .where(col(BankLine.date) <= reads[-1].line.date)
            ).scalars()
        }
        conflicts = [
            problem(
                read.where,
                msg(
                    "bank_statements.already-imported-with-balance",
                    balance_fen=fmt(from_fen(stored[k].balance_fen)),
                    balance=fmt(read.line.balance),
                ),
                rule="bank-duplicate",
            )
            for read in reads
            if (k := _key(account, read.line)) in stored
            and stored[k].balance_fen != to_fen(read.line.balance)
        ]
        problems = conflicts + _neighbours(session, community.id, account, reads, keys)
        if problems:
            raise refused(problems)
        new: list[BankLine] = []
        positions: dict[date, int] = {}
        for read in reads:
            line = read.line
            position = positions.get(line.date, 0)
            positions[line.date] = position + 1
            if _key(account, line) in stored:
                continue
            row = BankLine(
                community_id=community.id,
                account=account,
                date=line.date,
                position=position,
                amount_fen=to_fen(line.amount),
                balance_fen=to_fen(line.balance),
                counterparty=line.counterparty,
                reference=line.reference,
                memo=line.memo,
                source=source[:200],
                imported_by=actor,
                imported_at=now,
            )
            session.add(row)
            new.append(row)
        session.flush()
        matched = match_lines(session, community.id, account, new)
        if new:
            events.record(
                session,
                community_id=community.id,
                actor=actor,
                action="bank-import",
                object_type="bank-account",
                object_id=account,
                address=address,
                details={
                    "source": source,
                    **({"layout": layout} if layout else {}),
                    "imported": len(new),
                    "duplicates": len(reads) - len(new),
                    "matched": matched,
                    "from": str(reads[0].line.date),
                    "to": str(reads[-1].line.date),
                },
            )
        open_rows = [r for r in new if r.status == "open"]
        proposals = [proposal_of(session, community.id, r) for r in open_rows]
    return ImportOut(
        imported=len(new), duplicates=len(reads) - len(new), matched=matched, proposals=proposals
    )


def import_file(
    *,
    books: Books,
    slug: str,
    account: str,
    body: bytes,
    filename: str,
    layout_name: str | None,
    actor: str,
    address: str | None = None,
) -> tuple[str, ImportOut]:
    """Import a statement file as the bank exports it (``commons bank import``): read it in
    the layout named (else the one preset that fits) and store its lines. Returns the layout's
    name (recorded on the import's event) and the import's answer."""
    chosen = choose_layout(body, filename, account, layout_name)
    reads = StatementImporter(chosen, account).lines_of(body)
    out = import_lines(
        books=books,
        slug=slug,
        account=account,
        reads=reads,
        actor=actor,
        source=filename,
        layout=chosen.name,
        address=address,
    )
    return chosen.name, out
