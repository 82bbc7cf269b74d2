"""Income contracts (经营合同): where the common income comes from, what should have come in,
and what is still owed.

A contract is registered with its counterparty, the common part it uses (``space``), the
resolution that approved the use, its term, its schedule (``every`` month, quarter, half year,
year or once; ``amount`` an instalment; ``due_day``; ``in_advance`` or in arrears), a deposit,
its income account and, when the manager collects and remits net, the manager's share.

**Compliance.** Using common parts for business is a matter (八) of 民法典 art. 278 and needs 3/4
of the owners taking part. A contract citing no resolution, an unknown one, one that did not
pass, one of another matter, or one that expires before the contract's term ends, is still
registered (its income must be on the books: 沪房规范〔2025〕9号, no off-book money) but flagged
``compliant: false`` with its ``issues``.

**Receipts** are posted as today (bank debit, the contract's income account credit), citing the
contract (``"contract": "C-2025-03"``). The rule :class:`ContractReceipts` refuses (422) a
receipt citing an unknown contract, one dated after the contract ended when nothing is owed,
one crediting another income account, and a net remittance not booked gross (the manager's
share as the manager's cost, 5101-01: 民法典 art. 282).

**Accrual** (权责发生制). Each instalment is earned evenly over the months it covers. When a
period closes, :func:`accruals` brings each contract's receivable (1121 应收账款: earned, not
received) and rent received in advance (2203 预收账款: received, not yet earned) to what the
contract says at the period's end, with the difference to its income account, so the income
of the period is what it earned. The rules that read income (the manager's share, the
reserve share) read these entries like any other.

**Arrears** (:func:`receivables`): at a date, what fell due, what was received, what is overdue,
with receipts settling the oldest amount due first and the unpaid rest aged by days past due.

Contracts with no ``amount`` (metered income, such as parking collected by the visit) have no
schedule: their income is recognised as received and they never fall into arrears.
"""

from __future__ import annotations

import calendar
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from ledger import chart, clock, events
from ledger.books import Books
from ledger.db import writer
from ledger.errors import Problem, StateConflict, ValidationFailed
from ledger.facts import ResolutionFact
from ledger.messages import DEFAULT_LANG, Lang, Msg, cite, msg
from ledger.models import Account, Contract, Entry, Posting, keyed
from ledger.money import FEN, fmt, from_fen, to_fen
from ledger.schemas import AccountName, Money
from ledger.txn import Leg, Txn
from rules.accounts import ZERO, yuan
from rules.engine import Context, RuleViolation
from rules.resolution_register import Line, Number

#: Months an instalment covers (``once``: the whole term).
EVERY: dict[str, int] = {"month": 1, "quarter": 3, "half": 6, "year": 12, "once": 0}
Every = Literal["month", "quarter", "half", "year", "once"]
Kind = Literal[
    "pilotis", "room", "advertising", "parking", "locker", "vending", "charging", "telecom", "other"
]
#: 民法典 art. 278 (八): using common parts for business.
BUSINESS_USE = 8
SOURCE = "民法典 art. 278 (八)"
AGEING = ("0-30", "31-90", "91-180", "180+")


# --- the contract as entered ---------------------------------------------------------------


class ScheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    every: Every
    amount: Money | None = Field(
        default=None, description="one instalment; omitted for metered income (parking)"
    )
    due_day: Annotated[int, Field(strict=True, ge=1, le=28)] = 1
    in_advance: bool = True


class ContractIn(BaseModel):
    """A contract as the committee registers it (the API body, ``--file`` of the CLI)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "number": "C-2025-01",
                "counterparty": "某广告公司",
                "space": "电梯广告位",
                "kind": "advertising",
                "resolution": "2025-02",
                "start": "2025-01-01",
                "end": "2025-12-31",
                "deposit": "2000.00",
                "schedule": {"every": "quarter", "amount": "6000.00", "due_day": 10},
                "income_account": "Income:4301-共有收益:04-广告费",
            }
        },
    )

    number: Number
    counterparty: Line
    space: Line
    kind: Kind
    resolution: Number | None = None
    start: date
    end: date
    deposit: Money = Decimal("0.00")
    schedule: ScheduleIn
    income_account: AccountName
    manager_share: Annotated[Decimal, Field(ge=0, lt=1, max_digits=5, decimal_places=4)] | None = (
        Field(default=None, description='the manager\'s share of the gross, "0.30" is 30%')
    )


@dataclass(frozen=True)
class ContractFact:
    """A contract as the rules and the close read it."""

    number: str
    counterparty: str
    space: str
    kind: str
    resolution: str | None
    start: date
    end: date
    deposit: Decimal
    every: str
    amount: Decimal | None
    due_day: int
    in_advance: bool
    income_account: str
    manager_share: Decimal | None


def contract_fact(row: Contract) -> ContractFact:
    return ContractFact(
        number=row.number,
        counterparty=row.counterparty,
        space=row.space,
        kind=row.kind,
        resolution=row.resolution,
        start=row.start,
        end=row.end,
        deposit=from_fen(row.deposit_fen),
        every=row.every,
        amount=None if row.amount_fen is None else from_fen(row.amount_fen),
        due_day=row.due_day,
        in_advance=row.in_advance,
        income_account=row.income_account,
        manager_share=None if row.manager_share is None else Decimal(row.manager_share),
    )


def contract_facts(session: Session, community_id: str) -> dict[str, ContractFact]:
    rows = session.execute(
        select(Contract)
        .where(col(Contract.community_id) == community_id)
        .order_by(col(Contract.number))
    ).scalars()
    return {row.number: contract_fact(row) for row in rows}


class ContractOut(BaseModel):
    number: str
    counterparty: str
    space: str
    kind: str
    resolution: str | None
    start: date
    end: date
    deposit: str
    schedule: dict[str, Any]
    income_account: str
    manager_share: str | None
    compliant: bool
    issues: list[str] = Field(
        description="what makes the contract non-compliant, in the reader's language"
    )


def to_out(
    fact: ContractFact, resolutions: dict[str, ResolutionFact], lang: Lang = DEFAULT_LANG
) -> ContractOut:
    """The contract as answered, its compliance issues in ``lang``."""
    issues = [issue.render(lang) for issue in compliance(fact, resolutions)]
    return ContractOut(
        number=fact.number,
        counterparty=fact.counterparty,
        space=fact.space,
        kind=fact.kind,
        resolution=fact.resolution,
        start=fact.start,
        end=fact.end,
        deposit=fmt(fact.deposit),
        schedule={
            "every": fact.every,
            "amount": None if fact.amount is None else fmt(fact.amount),
            "due_day": fact.due_day,
            "in_advance": fact.in_advance,
        },
        income_account=fact.income_account,
        manager_share=None if fact.manager_share is None else str(fact.manager_share),
        compliant=not issues,
        issues=issues,
    )


# --- compliance ----------------------------------------------------------------------------


def compliance(fact: ContractFact, resolutions: dict[str, ResolutionFact]) -> list[Msg]:
    """What makes the contract non-compliant, as catalogue messages (empty: compliant)."""
    number = fact.resolution
    if number is None:
        return [msg("contracts.issue-no-resolution", source=cite(SOURCE))]
    found = resolutions.get(number)
    if found is None:
        return [msg("contracts.issue-resolution-unknown", number=number)]
    issues = []
    if not found.passed:
        issues.append(msg("contracts.issue-resolution-failed", number=number))
    if found.matter != BUSINESS_USE:
        issues.append(
            msg(
                "contracts.issue-resolution-matter",
                number=number,
                matter=found.matter,
                source=cite(SOURCE),
            )
        )
    if found.expires_on is not None and fact.end > found.expires_on:
        issues.append(
            msg(
                "contracts.issue-term-past-expiry",
                end=fact.end,
                number=number,
                expires_on=found.expires_on,
            )
        )
    if fact.start < found.effective_from:
        issues.append(
            msg(
                "contracts.issue-term-before-effect",
                start=fact.start,
                number=number,
                effective_from=found.effective_from,
            )
        )
    return issues


# --- schedule arithmetic -------------------------------------------------------------------


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _month_of(index: int) -> tuple[int, int]:
    return index // 12, index % 12 + 1


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def term_months(fact: ContractFact | ContractIn) -> int:
    return _month_index(fact.end) - _month_index(fact.start) + 1


@dataclass(frozen=True)
class Instalment:
    due: date
    amount: Decimal
    first_month: int  # month index
    months: int


def instalments(fact: ContractFact) -> list[Instalment]:
    """The schedule: each instalment with its due date and the months it covers."""
    if fact.amount is None:
        return []
    total = term_months(fact)
    step = EVERY[fact.every] or total
    out = []
    first = _month_index(fact.start)
    for offset in range(0, total, step):
        begin = first + offset
        due_month = begin if fact.in_advance else begin + step
        year, month = _month_of(due_month)
        out.append(Instalment(date(year, month, fact.due_day), fact.amount, begin, step))
    return out


def earned_by_month(fact: ContractFact) -> dict[int, Decimal]:
    """What each month of the term earns: an instalment spread evenly over its months, in
    fen, the last month taking the remainder."""
    earned: dict[int, Decimal] = {}
    for item in instalments(fact):
        fen = to_fen(item.amount)
        each, rest = divmod(fen, item.months)
        for k in range(item.months):
            amount = each + (rest if k == item.months - 1 else 0)
            earned[item.first_month + k] = earned.get(item.first_month + k, ZERO) + from_fen(amount)
    return earned


def earned_to(fact: ContractFact, end: date) -> Decimal:
    """What the contract earned up to the end of ``end``'s month."""
    last = _month_index(end)
    return sum((v for m, v in earned_by_month(fact).items() if m <= last), ZERO)


def received(fact: ContractFact, txn: Txn) -> Decimal:
    """What a receipt citing ``fact`` credits to its income account (gross; a reversal takes
    it back)."""
    if txn.contract != fact.number or txn.kind == "accrual":
        return ZERO
    return -sum((leg.amount for leg in txn.legs if leg.account == fact.income_account), ZERO)


# --- accrual at a close ----------------------------------------------------------------------


def accruals(
    contracts: Iterable[ContractFact],
    txns: Sequence[Txn],
    *,
    period: str,
    end: date,
    actor: str,
) -> list[Txn]:
    """The accrual entries of a close at ``end``: per contract with a schedule, the change
    that brings its receivable (1121) and rent received in advance (2203) to what was earned
    and received to ``end``, the difference to its income account. Kind ``accrual``, dated
    ``end``, citing the contract. ``txns``: the posted transactions (earlier accruals too)."""
    out: list[Txn] = []
    for fact in contracts:
        if fact.amount is None or fact.start > end:
            continue
        got = held = owed = ZERO
        for txn in txns:
            if txn.date > end or txn.contract != fact.number:
                continue
            if txn.kind == "accrual":
                owed += txn.amount_on((chart.RECEIVABLE,))
                held -= txn.amount_on((chart.RENT_IN_ADVANCE,))
            else:
                got += received(fact, txn)
        earned = earned_to(fact, end)
        receivable = max(earned - got, ZERO)
        advance = max(got - earned, ZERO)
        more_owed, more_held = receivable - owed, advance - held
        if more_owed == 0 and more_held == 0:
            continue
        legs = [
            Leg(chart.RECEIVABLE, more_owed),
            Leg(chart.RENT_IN_ADVANCE, -more_held),
            Leg(fact.income_account, -(more_owed - more_held)),
        ]
        out.append(
            Txn(
                id=str(uuid.uuid4()),
                date=end,
                payee=fact.counterparty,
                narration=(
                    f"{fact.number} {period} 权责发生制: 已实现 {fmt(earned)}, 已收 {fmt(got)} "
                    f"(accrual: earned {fmt(earned)}, received {fmt(got)})"
                ),
                kind="accrual",
                legs=tuple(leg for leg in legs if leg.amount != 0),
                entered_by=actor,
                contract=fact.number,
            )
        )
    return out


# --- arrears -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Arrears:
    number: str
    counterparty: str
    due: Decimal
    received: Decimal
    overdue: Decimal
    ahead: Decimal
    ageing: dict[str, Decimal]
    compliant: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "counterparty": self.counterparty,
            "due": fmt(self.due),
            "received": fmt(self.received),
            "overdue": fmt(self.overdue),
            "ahead": fmt(self.ahead),
            "ageing": {k: fmt(v) for k, v in self.ageing.items()},
            "compliant": self.compliant,
        }


def _bucket(days: int) -> str:
    if days <= 30:
        return "0-30"
    if days <= 90:
        return "31-90"
    if days <= 180:
        return "91-180"
    return "180+"


def arrears(
    fact: ContractFact, paid: Decimal, on: date, resolutions: dict[str, ResolutionFact]
) -> Arrears:
    """Due, received and overdue at ``on``; receipts settle the oldest instalment first and
    what stays unpaid of each is aged by the days since it fell due."""
    due_items = [i for i in instalments(fact) if i.due <= on]
    due = sum((i.amount for i in due_items), ZERO)
    if fact.amount is None:  # metered: recognised as received, never owed
        due = paid
    ageing = dict.fromkeys(AGEING, ZERO)
    left = paid
    for item in sorted(due_items, key=lambda i: i.due):
        settled = min(left, item.amount) if left > 0 else ZERO
        left -= settled
        unpaid = item.amount - settled
        if unpaid > 0:
            bucket = _bucket((on - item.due).days)
            ageing[bucket] += unpaid
    return Arrears(
        number=fact.number,
        counterparty=fact.counterparty,
        due=due,
        received=paid,
        overdue=max(due - paid, ZERO),
        ahead=max(paid - due, ZERO),
        ageing=ageing,
        compliant=not compliance(fact, resolutions),
    )


def receivables(*, books: Books, slug: str, on: date | None = None) -> dict[str, Any]:
    """``{"date", "contracts": [...]}``: each contract's arrears at ``on`` (default today),
    from the posted receipts citing it."""
    day = on or clock.today()
    with Session(books.engine) as session:
        community = books.community(session, slug)
        found = arrears_on(session, community.id, day)
    return {"date": day.isoformat(), "contracts": [item.as_dict() for item in found]}


def arrears_on(session: Session, community_id: str, day: date) -> list[Arrears]:
    """Each contract's arrears at ``day`` (in number order), read in ``session``: the audit
    package reads them in the one transaction it reads the books in."""
    facts = contract_facts(session, community_id)
    resolutions = {fact.number: fact for fact in Books.facts(session, community_id)[0]}
    rows = session.execute(
        select(col(Entry.contract), col(Account.name), col(Posting.amount_fen))
        .join(Posting, keyed(Posting, "entry_id", Entry))
        .join(Account, keyed(Posting, "account_id", Account))
        .where(col(Entry.community_id) == community_id)
        .where(col(Entry.status) == "posted")
        .where(col(Entry.contract).is_not(None))
        .where(col(Entry.kind) != "accrual")
        .where(col(Entry.date) <= day)
    ).all()
    paid: dict[str, Decimal] = {}
    for number, account, fen in rows:
        fact = facts.get(number)
        if fact is not None and account == fact.income_account:
            paid[number] = paid.get(number, ZERO) - from_fen(fen)
    return [
        arrears(fact, paid.get(number, ZERO), day, resolutions) for number, fact in facts.items()
    ]


# --- the register ----------------------------------------------------------------------------


def _problem(field: str, message: Msg, rule: str, **details: Any) -> Problem:
    return Problem(message, field=field, rule=rule, details=details)


def _same_space(a: str, b: str) -> bool:
    def norm(text: str) -> str:
        return "".join(unicodedata.normalize("NFKC", text).casefold().split())

    return norm(a) == norm(b)


def validate(body: ContractIn, accounts: dict[str, Account]) -> list[Problem]:
    """What is wrong with ``body`` on its own (422), every problem at once."""
    problems: list[Problem] = []
    if body.end < body.start:
        problems.append(
            _problem(
                "end",
                msg("contracts.term-ends-before-starts", end=body.end, start=body.start),
                "term",
            )
        )
    if body.start.day != 1:
        problems.append(
            _problem(
                "start",
                msg("contracts.term-starts-first-month", start=body.start),
                "term",
            )
        )
    if body.end != _last_day(body.end.year, body.end.month):
        problems.append(
            _problem(
                "end",
                msg("contracts.term-ends-last-day", end=body.end),
                "term",
            )
        )
    schedule = body.schedule
    if schedule.amount is not None and schedule.amount <= 0:
        problems.append(
            _problem(
                "schedule.amount", msg("contracts.instalment-must-more-than"), "schedule-amount"
            )
        )
    if schedule.amount is None and schedule.every == "once":
        problems.append(
            _problem("schedule.amount", msg("contracts.one-off-contract-needs"), "schedule-amount")
        )
    if not problems and schedule.every != "once":
        months, step = term_months(body), EVERY[schedule.every]
        if months % step:
            problems.append(
                _problem(
                    "schedule.every",
                    msg(
                        "contracts.schedule-every-months-does",
                        every=schedule.every,
                        step=step,
                        months=months,
                        start=body.start,
                        end=body.end,
                    ),
                    "schedule-term",
                    months=months,
                    step=step,
                )
            )
    if body.deposit < 0:
        problems.append(_problem("deposit", msg("contracts.deposit-cannot-negative"), "deposit"))
    account = accounts.get(body.income_account)
    if account is None:
        problems.append(
            _problem(
                "income_account",
                msg("contracts.unknown-account", income_account=body.income_account),
                "known-account",
                account=body.income_account,
            )
        )
    elif not body.income_account.startswith("Income:"):
        problems.append(
            _problem(
                "income_account",
                msg(
                    "contracts.income-account-deposits-are",
                    income_account=body.income_account,
                    deposits=chart.DEPOSITS,
                ),
                "income-account",
            )
        )
    return problems


def add(
    *,
    books: Books,
    slug: str,
    body: ContractIn,
    actor: str,
    address: str | None = None,
    lang: Lang = DEFAULT_LANG,
) -> ContractOut:
    """Register a contract; refused whole on any problem (422: the body; 409: its number is
    taken, or its term overlaps another contract's for the same space). The answer's issues
    are in ``lang``; the event records them in English, as the audit trail always has."""
    try:
        with writer(books.engine) as session:
            community = books.community(session, slug, for_update=True)
            accounts = {a.name: a for a in books.accounts(session, community.id)}
            problems = validate(body, accounts)
            if problems:
                raise ValidationFailed(problems)
            existing = contract_facts(session, community.id)
            if body.number in existing:
                raise StateConflict(
                    [
                        _problem(
                            "number",
                            msg("contracts.contract-already-registered", number=body.number),
                            "contract-number",
                        )
                    ]
                )
            for other in existing.values():
                if (
                    _same_space(other.space, body.space)
                    and other.start <= body.end
                    and body.start <= other.end
                ):
                    raise StateConflict(
                        [
                            _problem(
                                "space",
                                msg(
                                    "contracts.term-overlaps-contract-for",
                                    space=body.space,
                                    start=body.start,
                                    end=body.end,
                                    number=other.number,
                                    start_2=other.start,
                                    end_2=other.end,
                                ),
                                "contract-overlap",
                                contract=other.number,
                            )
                        ]
                    )
            row = Contract(
                community_id=community.id,
                number=body.number,
                counterparty=body.counterparty,
                space=body.space,
                kind=body.kind,
                resolution=body.resolution,
                start=body.start,
                end=body.end,
                deposit_fen=to_fen(body.deposit),
                every=body.schedule.every,
                amount_fen=None if body.schedule.amount is None else to_fen(body.schedule.amount),
                due_day=body.schedule.due_day,
                in_advance=body.schedule.in_advance,
                income_account=body.income_account,
                manager_share=None if body.manager_share is None else str(body.manager_share),
                created_by=actor,
                created_at=clock.now(),
            )
            session.add(row)
            community.rev += 1  # the receipts rule reads the contracts
            session.add(community)
            resolutions = {f.number: f for f in books.facts(session, community.id)[0]}
            out = to_out(contract_fact(row), resolutions, lang)
            events.record(
                session,
                community_id=community.id,
                actor=actor,
                action="contract",
                object_type="contract",
                object_id=body.number,
                address=address,
                details=to_out(contract_fact(row), resolutions, "en").model_dump(mode="json"),
            )
            session.flush()
    except IntegrityError:
        raise StateConflict(
            [
                _problem(
                    "number",
                    msg("contracts.contract-already-registered", number=body.number),
                    "contract-number",
                )
            ]
        ) from None
    return out


def listing(*, books: Books, slug: str, lang: Lang = DEFAULT_LANG) -> list[ContractOut]:
    with Session(books.engine) as session:
        community = books.community(session, slug)
        facts = contract_facts(session, community.id)
        resolutions = {f.number: f for f in books.facts(session, community.id)[0]}
    return [to_out(fact, resolutions, lang) for fact in facts.values()]


# --- the receipts rule -----------------------------------------------------------------------

NAME = "contract-receipt"


class ContractReceipts:
    """A receipt citing a contract: the contract is registered; dated by its end (or later
    only while something is still owed); credits the contract's income account (or the
    deposit); and, when the manager remits net of its share, is booked gross with the share
    as the manager's cost (5101-01). Checked only where the contracts are known (the posting
    path); the projection does not carry them."""

    name = NAME

    def __init__(self, context: Context) -> None:
        self.context = context
        self.got: dict[str, Decimal] = {}  # contract -> received (income credits)

    def _violation(self, rule: str, message: Msg, field: str, **details: Any) -> RuleViolation:
        return RuleViolation(rule, message, details={"field": field, **details})

    def check(self, txn: Txn) -> list[RuleViolation]:
        contracts = self.context.contracts
        if txn.contract is None or contracts is None or txn.kind in ("accrual", "reversal"):
            return []
        fact = contracts.get(txn.contract)
        if fact is None:
            return [
                self._violation(
                    "contract-unknown",
                    msg("contracts.contract-registered-register-first", contract=txn.contract),
                    "contract",
                    contract=txn.contract,
                )
            ]
        found: list[RuleViolation] = []
        income = -sum((leg.amount for leg in txn.legs if leg.account.startswith("Income:")), ZERO)
        own = received(fact, txn)
        if txn.date > fact.end:
            due = sum((i.amount for i in instalments(fact)), ZERO)
            owed = due - self.got.get(fact.number, ZERO)
            if own > 0 and owed < own:
                found.append(
                    self._violation(
                        "contract-ended",
                        msg(
                            "contracts.contract-ended-receipt-dated",
                            number=fact.number,
                            end=fact.end,
                            date=txn.date,
                            owed=yuan(max(owed, ZERO)),
                            own=yuan(own),
                        ),
                        "contract",
                        end=str(fact.end),
                        owed=f"{max(owed, ZERO):.2f}",
                    )
                )
        if income != own:
            found.append(
                self._violation(
                    "contract-account",
                    msg(
                        "contracts.receipt-under-contract-credits",
                        number=fact.number,
                        income_account=fact.income_account,
                    ),
                    "postings",
                    account=fact.income_account,
                )
            )
        if fact.manager_share is not None and own > 0:
            share = (own * fact.manager_share).quantize(FEN)
            cost = txn.amount_on((chart.COST_MANAGER_SHARE,))
            if cost != share:
                found.append(
                    self._violation(
                        "contract-gross",
                        msg(
                            "contracts.contract-remitted-net-manager",
                            number=fact.number,
                            value=fact.manager_share * 100,
                            own=yuan(own),
                            income_account=fact.income_account,
                            share=yuan(share),
                            cost_manager_share=chart.COST_MANAGER_SHARE,
                            cost=yuan(cost),
                        ),
                        "postings",
                        expected=f"{share:.2f}",
                        actual=f"{cost:.2f}",
                    )
                )
        return found

    def apply(self, txn: Txn) -> None:
        """Folds only the transactions: a receipt credits its contract's income account
        alone (``check``), so its income is what the contract received."""
        if txn.contract is None or txn.kind == "accrual":
            return
        amount = -sum((leg.amount for leg in txn.legs if leg.account.startswith("Income:")), ZERO)
        self.got[txn.contract] = self.got.get(txn.contract, ZERO) + amount
