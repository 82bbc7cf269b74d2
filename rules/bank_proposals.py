"""Proposals: the statement lines left unmatched, and the treasurer's confirm or dismiss.

A proposal is a draft entry for an open line, its counter account guessed from earlier entries
with the same counterparty, or from the memo. The treasurer confirms it as it is or edited,
through the ordinary posting path (every rule, four eyes), or dismisses it with a reason.
Nothing is posted silently.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)
from sqlalchemy import select
from sqlmodel import Session, col

from ledger import chart, clock, events, journal
from ledger.books import Books
from ledger.db import reader, writer
from ledger.errors import NotFound, Problem, StateConflict, ValidationFailed
from ledger.four_eyes import payee_key
from ledger.messages import msg
from ledger.models import Account, BankLine, Posting, keyed
from ledger.money import fmt, from_fen
from ledger.schemas import PostingIn, TransactionIn, TransactionOut
from rules.bank_lines import ZERO, LineOut, ProposalOut
from rules.bank_matching import MATCH_WINDOW_DAYS, entries_on


def _line_out(row: BankLine) -> LineOut:
    return LineOut(
        id=row.id or 0,
        account=row.account,
        date=row.date,
        amount=from_fen(row.amount_fen),
        balance=from_fen(row.balance_fen),
        counterparty=row.counterparty,
        reference=row.reference,
        memo=row.memo,
        status=row.status,
        entry=row.entry_id,
        dismissed_reason=row.dismissed_reason,
    )


def _guess(session: Session, community_id: str, row: BankLine) -> tuple[str, str]:
    """The counter account and kind for an unmatched line: as the last entry with the same
    counterparty on this account had it, else from the memo, else other income or expense."""
    if row.counterparty:
        key = payee_key(row.counterparty)
        recent = [
            e
            for e in entries_on(session, community_id, row.account)
            if payee_key(e.payee) == key and (e.fen > 0) == (row.amount_fen > 0)
        ]
        for entry in reversed(recent):
            others = session.execute(
                select(col(Account.name))
                .join(Posting, keyed(Posting, "account_id", Account))
                .where(col(Posting.community_id) == community_id)
                .where(col(Posting.entry_id) == entry.id)
                .where(col(Account.name) != row.account)
            ).all()
            if len(others) == 1 and entry.kind in {"income", "cost", "transfer"}:
                return str(others[0][0]), entry.kind
    memo = row.memo + " " + row.counterparty
    if row.amount_fen > 0:
        if "息" in memo:
            return chart.INCOME_INTEREST, "income"
        return chart.INCOME_OTHER, "income"
    if "手续费" in memo or ("费" in row.memo and not row.counterparty):
        return chart.USE_BANK_FEES, "cost"
    return chart.OTHER_EXPENSE, "cost"


def _draft(session: Session, community_id: str, row: BankLine) -> TransactionIn:
    amount = from_fen(row.amount_fen)
    other, kind = _guess(session, community_id, row)
    narration = row.memo or ("银行收入" if amount > 0 else "银行支出")
    return TransactionIn(
        date=row.date,
        payee=row.counterparty[:200],
        narration=narration[:1000],
        kind=kind,
        postings=[
            PostingIn(account=row.account, amount=amount),
            PostingIn(account=other, amount=-amount),
        ],
        documents=[f"银行流水 {row.reference}".replace("|", "/")[:100]] if row.reference else [],
        idempotency_key=f"bank-line-{row.community_id[:8]}-{row.id}",
    )


def proposal_of(session: Session, community_id: str, row: BankLine) -> ProposalOut:
    return ProposalOut(line=_line_out(row), draft=_draft(session, community_id, row))


def _line(session: Session, community_id: str, line_id: int, *, lock: bool = False) -> BankLine:
    if not 0 < line_id < 2**31:
        raise NotFound(msg("bank_proposals.no-statement-line-community", line_id=line_id))
    query = select(BankLine).where(col(BankLine.id) == line_id)
    if lock:
        query = query.with_for_update()
    row: BankLine | None = session.execute(query).scalar_one_or_none()
    if row is None or row.community_id != community_id:
        raise NotFound(msg("bank_proposals.no-statement-line-community", line_id=line_id))
    return row


def proposals(*, books: Books, slug: str, account: str | None = None) -> list[ProposalOut]:
    """The open lines (unmatched, not dismissed), oldest first, each with its draft."""
    with reader(books.engine) as session:
        community = books.community(session, slug)
        query = (
            select(BankLine)
            .where(col(BankLine.community_id) == community.id)
            .where(col(BankLine.status) == "open")
            .order_by(col(BankLine.account), col(BankLine.date), col(BankLine.position))
        )
        if account is not None:
            query = query.where(col(BankLine.account) == account)
        return [proposal_of(session, community.id, r) for r in session.execute(query).scalars()]


def lines(*, books: Books, slug: str, account: str) -> list[LineOut]:
    with reader(books.engine) as session:
        community = books.community(session, slug)
        return [
            _line_out(r)
            for r in session.execute(
                select(BankLine)
                .where(col(BankLine.community_id) == community.id)
                .where(col(BankLine.account) == account)
                .order_by(col(BankLine.date), col(BankLine.position))
            ).scalars()
        ]


class ConfirmIn(BaseModel):
    """The entry for a line: the suggested draft as it is (no body) or edited. Its postings
    must put exactly the line's amount on the line's account."""

    model_config = ConfigDict(extra="forbid")

    draft: TransactionIn | None = None


class ConfirmOut(BaseModel):
    line: LineOut
    entry: TransactionOut


def confirm(
    *,
    books: Books,
    slug: str,
    line_id: int,
    draft: TransactionIn | None,
    actor: str,
    address: str | None = None,
) -> tuple[ConfirmOut, bool]:
    """Post a proposal's entry through the ordinary posting path (every rule; four eyes: it
    may wait for approval), and tie the line to it. Returns the answer and whether the entry
    was created by this call."""
    with reader(books.engine) as session:
        community = books.community(session, slug)
        row = _line(session, community.id, line_id)
        if row.status != "open":
            raise StateConflict(
                [
                    Problem(
                        msg(
                            "bank_proposals.line-not-open",
                            line_id=line_id,
                            status=row.status,
                            entry=msg("bank_proposals.line-entry", entry_id=row.entry_id)
                            if row.entry_id
                            else "",
                        ),
                        rule="bank-proposal",
                        details={"status": row.status},
                    )
                ]
            )
        suggested = _draft(session, community.id, row)
    chosen = draft or suggested
    if chosen.idempotency_key is None:
        chosen = chosen.model_copy(update={"idempotency_key": suggested.idempotency_key})
    on_line = sum((p.amount for p in chosen.postings if p.account == row.account), ZERO)
    problems = []
    if on_line != from_fen(row.amount_fen):
        problems.append(
            Problem(
                msg(
                    "bank_proposals.entry-puts-but-statement",
                    on_line=fmt(on_line),
                    account=row.account,
                    amount_fen=fmt(from_fen(row.amount_fen)),
                ),
                field="draft.postings",
                rule="bank-proposal",
            )
        )
    if abs((chosen.date - row.date).days) > MATCH_WINDOW_DAYS:
        problems.append(
            Problem(
                msg(
                    "bank_proposals.entry-dated-more-than",
                    date=chosen.date,
                    match_window_days=MATCH_WINDOW_DAYS,
                    date_2=row.date,
                ),
                field="draft.date",
                rule="bank-proposal",
            )
        )
    if problems:
        raise ValidationFailed(problems)
    posted = journal.post(books=books, slug=slug, draft=chosen, actor=actor, address=address)
    with writer(books.engine) as session:
        community = books.community(session, slug, for_update=True)
        row = _line(session, community.id, line_id, lock=True)
        if row.status == "open":
            row.status, row.entry_id = "matched", posted.id
            row.decided_by, row.decided_at = actor, clock.now()
            session.add(row)
            events.record(
                session,
                community_id=community.id,
                actor=actor,
                action="bank-confirm",
                object_type="bank-line",
                object_id=str(line_id),
                address=address,
                details={"entry": posted.id, "status": posted.status},
            )
        session.flush()
        out = _line_out(row)
    return ConfirmOut(line=out, entry=posted.entry), posted.created


class DismissIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(min_length=1, max_length=1000)]


def dismiss(
    *, books: Books, slug: str, line_id: int, reason: str, actor: str, address: str | None = None
) -> LineOut:
    """Set a proposal aside with a reason (it stays on the reconciliation, explained)."""
    with writer(books.engine) as session:
        community = books.community(session, slug, for_update=True)
        row = _line(session, community.id, line_id, lock=True)
        if row.status != "open":
            raise StateConflict(
                [
                    Problem(
                        msg(
                            "bank_proposals.statement-line-only-open",
                            line_id=line_id,
                            status=row.status,
                        ),
                        rule="bank-proposal",
                    )
                ]
            )
        row.status, row.dismissed_reason = "dismissed", reason
        row.decided_by, row.decided_at = actor, clock.now()
        session.add(row)
        events.record(
            session,
            community_id=community.id,
            actor=actor,
            action="bank-dismiss",
            object_type="bank-line",
            object_id=str(line_id),
            address=address,
            details={"reason": reason},
        )
        session.flush()
        return _line_out(row)
