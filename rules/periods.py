"""Closing a period: ``close(books=, slug=, period=, actor=)``.

A period is a quarter (``2025Q1``) by default; ``2025`` closes each quarter of the year in
order, skipping the ones already closed (with ``period = "year"`` in the rules file, a year is
closed as one period). The rules file version in force at the period's end decides.

Closing is refused, leaving nothing behind:

- 422 (``period-format``) for anything else than a quarter or a year (or a quarter when the
  community closes years);
- 422 (``period-not-ended``) for a period that has not ended yet (it closes from the day after
  its last day);
- 409 (``period-closed``) when the period (or, for a year, every quarter) is already closed;
- 409 (``pending-entries``) while entries dated in the period wait for approval;
- 422 (``reserve-share``) while the reserve rule (:mod:`rules.reserve`) is broken, with the
  shortfall in yuan.

A year is closed all or nothing: one refusal of one quarter refuses the year, listing every
problem. Otherwise, in one database transaction with the community row locked: a
``PeriodClose`` row per period (who, when, the chain head and its seq at that moment), an event
(``close``), and ``Community.rev`` bumped so every in-memory state reloads the closed periods.
After the commit the close is appended to the projection as a ``custom "close"`` directive.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session, col

from ledger import chart, clock, events, journal
from ledger.books import Books
from ledger.errors import Problem, RuleViolations, StateConflict, ValidationFailed
from ledger.facts import CloseFact, close_fact
from ledger.messages import Msg, msg
from ledger.models import Community, Entry, PeriodClose
from ledger.period import Period, parse_period
from ledger.txn import Leg, Txn
from rules import bank, reserve
from rules import contracts as contract_rules
from rules.ruleset import of


@dataclass(frozen=True)
class Closed:
    """A period just closed, with its reserve figures."""

    close: CloseFact
    reserve: reserve.Reserve

    def as_dict(self) -> dict[str, Any]:
        c = self.close
        return {
            "period": c.period,
            "start": c.start.isoformat(),
            "end": c.end.isoformat(),
            "head_seq": c.head_seq,
            "head_hash": c.head_hash,
            "closed_by": c.closed_by,
            "closed_at": c.closed_at.isoformat(),
            "reserve": self.reserve.as_dict(),
        }


def _bad_period(text: str, why: Msg) -> ValidationFailed:
    return ValidationFailed(
        [
            Problem(
                msg("periods.cannot-close", text=text, why=why),
                field="period",
                rule="period-format",
            )
        ]
    )


def periods_of(text: str, unit: str) -> list[Period]:
    """The periods ``text`` closes when the community closes ``unit`` ("quarter" or "year")."""
    parsed = parse_period(text)
    is_year = parsed.label.isdigit()
    is_quarter = "Q" in parsed.label
    if not (is_year or is_quarter):
        raise _bad_period(text, msg("periods.close-quarter-q-year"))
    if unit == "year":
        if is_quarter:
            raise _bad_period(text, msg("periods.community-closes-whole-years"))
        return [parsed]
    if is_year:
        return [parse_period(f"{parsed.label}Q{q}") for q in range(1, 5)]
    return [parsed]


def close(
    *, books: Books, slug: str, period: str, actor: str, address: str | None = None
) -> list[Closed]:
    """Close ``period`` (see the module docstring). Returns the periods closed, in order."""
    parsed = parse_period(period)
    rules_file = of(books).file(slug)
    settings = rules_file.at(parsed.end)
    targets = periods_of(period, settings.period)
    today = clock.today()
    unfinished = [t for t in targets if t.end >= today]
    if unfinished:
        first = unfinished[0]
        raise ValidationFailed(
            [
                Problem(
                    msg(
                        "periods.cannot-close-runs-today",
                        label=first.label,
                        end=first.end,
                        today=today,
                    ),
                    field="period",
                    rule="period-not-ended",
                    details={"period": first.label, "end": str(first.end), "today": str(today)},
                )
            ]
        )

    def build(session: Session, write: journal.Write) -> list[Closed]:
        community = write.community
        existing = {c.period: c for c in _closes(session, community)}
        todo = []
        for target in targets:
            if target.label in existing:
                continue
            for other in existing.values():
                if other.start <= target.end and target.start <= other.end:
                    raise StateConflict(
                        [
                            Problem(
                                msg(
                                    "periods.cannot-close-overlaps-closed",
                                    label=target.label,
                                    period=other.period,
                                    start=other.start,
                                    end=other.end,
                                ),
                                rule="period-closed",
                                details={"period": target.label, "closed": other.period},
                            )
                        ]
                    )
            todo.append(target)
        if todo:
            _check_order(community, existing, todo, settings.period)
        if not todo:
            labels = ", ".join(t.label for t in targets)
            raise StateConflict(
                [
                    Problem(
                        msg("periods.already-closed", period=period, labels=labels),
                        rule="period-closed",
                        details={"period": period},
                    )
                ]
            )
        pending = _pending(session, community, todo)
        if pending:
            raise StateConflict(pending)
        context = of(books).context(session, community)
        txns = [item.txn for item in books.chained(session, community.id)]
        accrued: list[list[Txn]] = []
        for target in todo:
            found_accruals = contract_rules.accruals(
                (context.contracts or {}).values(),
                txns,
                period=target.label,
                end=target.end,
                actor=actor,
            )
            _check_accounts(write, found_accruals, target.end)
            accrued.append(found_accruals)
            txns += found_accruals  # the reserve reads the income the period recognised
        shortfalls = []
        figures = []
        for target in todo:
            at_end = rules_file.at(target.end)
            found = reserve.figures(
                context,
                txns,
                period=target.label,
                start=target.start,
                end=target.end,
                settings=at_end,
            )
            figures.append(found)
            violation = reserve.check(found, at_end)
            if violation is not None:
                shortfalls.append(
                    Problem(violation.text, rule=violation.rule, details=violation.details)
                )
        if shortfalls:
            raise RuleViolations(shortfalls)
        unexplained = _unreconciled(session, community, todo, rules_file)
        if unexplained:
            raise StateConflict(unexplained)
        done: list[Closed] = []
        generated: list[Txn] = []
        for target, found, accruals in zip(todo, figures, accrued, strict=True):
            for accrual in accruals:
                write.generated(accrual, "accrue")
                generated.append(accrual)
            if target.end.month == 12 and target.end.day == 31:
                closing = closing_entry(
                    books, session, community, target.end, actor, extra=generated
                )
                if closing is not None:
                    write.generated(closing, "post")
            row = PeriodClose(
                community_id=community.id,
                period=target.label,
                start=target.start,
                end=target.end,
                closed_at=write.now,
                closed_by=actor,
                head_seq=community.head_seq,
                head_hash=community.head_hash,
            )
            session.add(row)
            done.append(Closed(close_fact(row), found))
            events.record(
                session,
                community_id=community.id,
                actor=actor,
                action="close",
                object_type="period",
                object_id=target.label,
                address=address,
                details={"head_seq": row.head_seq, "head_hash": row.head_hash},
            )
        table = Community.__table__  # type: ignore[attr-defined]
        session.execute(update(table).where(table.c.id == community.id).values(rev=table.c.rev + 1))
        session.flush()
        return done

    done = journal.write(books=books, slug=slug, actor=actor, address=address, build=build)
    books.rebuild_projection(slug)  # the header carries the closes
    return done


def _check_accounts(write: journal.Write, accruals: Sequence[Txn], end: date) -> None:
    """An accrual posts to 1121 and 2203: refuse (422) a close whose chart lacks them."""
    missing = sorted(
        {
            leg.account
            for txn in accruals
            for leg in txn.legs
            if leg.account not in write.state.accounts
            or not write.state.accounts[leg.account].is_open_on(end)
        }
    )
    if missing:
        raise ValidationFailed(
            [
                Problem(
                    msg(
                        "periods.accrual-income-contracts-posts",
                        missing=", ".join(missing),
                        end=end,
                    ),
                    field="period",
                    rule="open-account",
                    details={"accounts": missing},
                )
            ]
        )


def closing_entry(
    books: Books,
    session: Session,
    community: Community,
    end: date,
    actor: str,
    extra: Sequence[Txn] = (),
) -> Txn | None:
    """The year's closing entry (结转), dated its last day: every expense and every income
    account's balance to net assets, unrestricted income and expenses to 3101 非限定性净资产,
    restricted income to 3102 限定性净资产 (民间非营利组织会计制度). None when there is nothing
    to close. The rules neither check nor fold it (:data:`rules.engine.IGNORED`)."""
    restricted = {a.name for a in books.accounts(session, community.id) if a.restricted}
    balances = books.balances(session, community.id, end)
    for txn in extra:  # generated in this write, not yet in the database
        if txn.date <= end:
            for leg in txn.legs:
                balances[leg.account] = balances.get(leg.account, Decimal("0.00")) + leg.amount
    legs: list[Leg] = []
    to_unrestricted = to_restricted = Decimal("0.00")
    for account in sorted(balances):
        amount = balances[account]
        if amount == 0 or not account.startswith(("Income:", "Expenses:")):
            continue
        legs.append(Leg(account, -amount))
        if account in restricted and account.startswith("Income:"):
            to_restricted += amount
        else:
            to_unrestricted += amount
    if not legs:
        return None
    if to_unrestricted:
        legs.append(Leg(chart.UNRESTRICTED, to_unrestricted))
    if to_restricted:
        legs.append(Leg(chart.RESTRICTED, to_restricted))
    return Txn(
        id=str(uuid.uuid4()),
        date=end,
        payee="",
        narration=f"{end.year}年度收支结转 (closing the year's income and expenses)",
        kind="closing",
        legs=tuple(legs),
        entered_by=actor,
    )


def _unreconciled(
    session: Session, community: Community, periods: list[Period], rules_file: Any
) -> list[Problem]:
    """With ``reconcile_before_close``: the bank accounts with statement lines in a period
    whose reconciliation at its end shows a difference or open lines (:mod:`rules.bank`)."""
    return [
        problem
        for target in periods
        if rules_file.at(target.end).reconcile_before_close
        for problem in bank.unreconciled(
            session, community.id, target.start, target.end, target.label
        )
    ]


def _period_of(day: date, unit: str) -> Period:
    """The period (quarter or year) that ``day`` falls in."""
    label = str(day.year) if unit == "year" else f"{day.year}Q{(day.month - 1) // 3 + 1}"
    return parse_period(label)


def _check_order(
    community: Community, existing: dict[str, PeriodClose], todo: list[Period], unit: str
) -> None:
    """Periods close in order from the books' start: refuse (409) a period that ends before
    the books start, or one with an earlier period still open, naming it."""
    start = community.start_date
    first = todo[0]
    if start is not None and first.end < start:
        raise StateConflict(
            [
                Problem(
                    msg(
                        "periods.cannot-close-ends-before",
                        label=first.label,
                        end=first.end,
                        start=start,
                    ),
                    rule="books-start",
                    details={"period": first.label, "books_start": str(start)},
                )
            ]
        )
    closed_to = max((c.end for c in existing.values()), default=None)
    earliest = (
        closed_to + timedelta(days=1)
        if closed_to is not None
        else (start if start is not None else first.start)
    )
    current = _period_of(earliest, unit)
    planned = {t.label for t in todo}
    while current.start < first.start:
        if current.label not in existing and current.label not in planned:
            raise StateConflict(
                [
                    Problem(
                        msg(
                            "periods.cannot-close-earlier-period",
                            label=first.label,
                            label_2=current.label,
                            start=current.start,
                            end=current.end,
                        ),
                        rule="close-in-order",
                        details={"period": first.label, "open": current.label},
                    )
                ]
            )
        current = _period_of(current.end + timedelta(days=1), unit)


def _closes(session: Session, community: Community) -> list[PeriodClose]:
    return list(
        session.execute(
            select(PeriodClose).where(col(PeriodClose.community_id) == community.id)
        ).scalars()
    )


def _pending(session: Session, community: Community, periods: list[Period]) -> list[Problem]:
    problems = []
    for target in periods:
        rows = session.execute(
            select(col(Entry.id), col(Entry.date))
            .where(col(Entry.community_id) == community.id)
            .where(col(Entry.status) == "pending")
            .where(col(Entry.date) >= target.start)
            .where(col(Entry.date) <= target.end)
            .order_by(col(Entry.date))
        ).all()
        if rows:
            ids = [row[0] for row in rows]
            problems.append(
                Problem(
                    msg(
                        "periods.cannot-close-entr-dated",
                        label=target.label,
                        ids=len(ids),
                        value="y is" if len(ids) == 1 else "ies are",
                    ),
                    rule="pending-entries",
                    details={"period": target.label, "pending": ids},
                )
            )
    return problems


def backfill_closings(books: Books) -> list[tuple[str, str]]:
    """Years closed before closing entries existed get theirs now: the one exception to the
    seal, dated the year's last day, appended at the chain's head and recorded as a
    ``closing-migration`` event. Returns (slug, period) for each year given one."""
    done: list[tuple[str, str]] = []
    with Session(books.engine) as session:
        rows = session.execute(
            select(col(Community.slug), col(PeriodClose.period), col(PeriodClose.end))
            .join(PeriodClose, col(PeriodClose.community_id) == col(Community.id))
            .order_by(col(Community.slug), col(PeriodClose.end))
        ).all()
        closings = {
            (community_id, day)
            for community_id, day in session.execute(
                select(col(Entry.community_id), col(Entry.date)).where(col(Entry.kind) == "closing")
            )
        }
        ids = dict(session.execute(select(col(Community.slug), col(Community.id))).all())
    for slug, period, end in rows:
        if end.month != 12 or end.day != 31 or (ids[slug], end) in closings:
            continue

        def build(session: Session, write: journal.Write, end: date = end) -> bool:
            closing = closing_entry(books, session, write.community, end, "system")
            if closing is None:
                return False
            write.generated(closing, "closing-migration")
            return True

        if journal.write(books=books, slug=slug, actor="system", build=build):
            done.append((slug, period))
    return done
