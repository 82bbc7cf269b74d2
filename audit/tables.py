"""The books of one period read once from the journal (:class:`Snapshot`), and the tables an
auditor works with: 序时账 (journal), 明细账 (general ledger) and 科目余额表 (trial balance).

A table is data, not a file: named columns with a kind (text, account code, money, ...) and rows
produced on demand, so the CSV and the XLSX writers render the same figures. Amounts are summed
in integer fen and shown as two-place ``Decimal`` yuan; debit and credit are beancount's sign
(positive debit), and balances in the general ledger carry their direction (借/贷/平) as
Chinese ledgers print them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

from sqlmodel import Session

from audit.fold import Acct, Fold
from ledger.books import Books
from ledger.models import Account, Community
from ledger.money import from_fen, to_fen
from ledger.period import Period, parse_period
from ledger.projection import ChainedTxn

#: Entries read between two progress reports.
PROGRESS_STEP = 1000

#: What starts a spreadsheet formula (OWASP's list: ``=``, ``+``, ``-``, ``@``, tab, CR) and
#: the quote that neutralises one. A text cell of a CSV starting with one gets a ``'`` in
#: front (:func:`csv_text`), so Excel or WPS shows ``=HYPERLINK(...)`` instead of running it;
#: :func:`csv_original` reads it back. Amounts, counts and dates are numbers, never prefixed.
NEUTRALISE = frozenset("=+-@\t\r'")
_FORMULA = frozenset("=+-@\t\r")
#: A negative number written as text (a tally figure) is no formula: it stays as it is.
_NEGATIVE_NUMBER = re.compile(r"\A-[0-9]+(\.[0-9]+)?\Z")


def csv_text(text: str) -> str:
    """A text cell as a CSV holds it: with a ``'`` in front when it starts with a formula
    character, or with a quote (so reading it back is exact)."""
    if text and text[0] in NEUTRALISE and not _NEGATIVE_NUMBER.match(text):
        return "'" + text
    return text


def csv_original(cell: str) -> str:
    """The text a CSV cell written by :func:`csv_text` stands for (a cell of a package from
    before the neutralising, which never starts with ``'=`` and the like, reads as it is)."""
    if len(cell) > 1 and cell[0] == "'" and (cell[1] in _FORMULA or cell[1] == "'"):
        return cell[1:]
    return cell


Kind = Literal["text", "code", "int", "date", "money", "area"]
Value = str | int | Decimal | date | None


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = "text"


@dataclass(frozen=True)
class Table:
    """``name`` is the file stem (``journal`` → ``journal.csv``), ``title`` the sheet name."""

    name: str
    title: str
    columns: tuple[Column, ...]
    rows: Callable[[], Iterable[tuple[Value, ...]]]


@dataclass
class Snapshot:
    """What an export needs from the journal, read in one pass in sequence order.

    ``entries`` are the posted entries dated inside the period. ``segment`` is the stretch of
    the hash chain from the first to the last of them (an entry posted late but dated outside
    the period may sit inside it); ``carried`` is the balance of everything dated before the
    period that is not in the segment, so opening balance + segment = the books.
    """

    community: Community
    period: Period
    accounts: dict[str, Account]
    opening: dict[str, int] = field(default_factory=dict)
    closing: dict[str, int] = field(default_factory=dict)
    entries: list[ChainedTxn] = field(default_factory=list)
    segment: list[ChainedTxn] = field(default_factory=list)
    carried: dict[str, int] = field(default_factory=dict)
    moved: dict[str, list[tuple[ChainedTxn, int]]] | None = None
    #: The statutory statements' figures (:mod:`audit.statutory`), folded in the same pass.
    fold: Fold | None = None

    def account(self, name: str) -> tuple[str, str]:
        """(code, Chinese name) of a beancount account."""
        account = self.accounts.get(name)
        return (account.code, account.name_zh) if account else ("", name)

    def by_code(self, names: Iterable[str]) -> list[str]:
        return sorted(names, key=lambda n: (self.account(n)[0], n))


def read_snapshot(
    books: Books,
    session: Session,
    slug: str,
    period: Period,
    progress: Callable[[int], None] | None = None,
) -> Snapshot:
    community = books.community(session, slug)
    accounts = {a.name: a for a in books.accounts(session, community.id)}
    snap = Snapshot(community, period, accounts)
    snap.fold = fold = Fold(
        period, {a.name: Acct(a.code, a.name_zh, a.restricted) for a in accounts.values()}
    )
    tail: list[ChainedTxn] = []  # everything from the first entry of the period on
    last_in_period = read = 0
    for item in books.chained(session, community.id, upto_seq=community.head_seq):
        day = item.txn.date
        fold.add(item.txn)
        if day <= period.end:
            target = snap.opening if day < period.start else None
            for leg in item.txn.legs:
                fen = to_fen(leg.amount)
                snap.closing[leg.account] = snap.closing.get(leg.account, 0) + fen
                if target is not None:
                    target[leg.account] = target.get(leg.account, 0) + fen
        if day in period:
            snap.entries.append(item)
            last_in_period = len(tail) + 1
        if snap.entries:
            tail.append(item)
        read += 1
        if progress is not None and read % PROGRESS_STEP == 0:
            progress(PROGRESS_STEP)
    if progress is not None and read % PROGRESS_STEP:
        progress(read % PROGRESS_STEP)
    snap.segment = tail[:last_in_period]
    snap.carried = dict(snap.opening)
    for item in snap.segment:
        if item.txn.date < period.start:
            for leg in item.txn.legs:
                snap.carried[leg.account] -= to_fen(leg.amount)
    return snap


# --- 序时账 ---------------------------------------------------------------------------------

JOURNAL_COLUMNS = (
    Column("序号", "int"),
    Column("日期", "date"),
    Column("凭证号"),
    Column("往来单位"),
    Column("摘要"),
    Column("类型"),
    Column("科目代码", "code"),
    Column("科目名称"),
    Column("借方金额", "money"),
    Column("贷方金额", "money"),
    Column("录入人"),
    Column("审批人"),
    Column("决议"),
    Column("单据"),
    Column("交易ID"),
    Column("哈希"),
)

KIND_ZH = {
    "income": "收入",
    "cost": "成本",
    "subsidy": "补贴",
    "upgrade": "改造维修",
    "dividend": "分红",
    "transfer": "转账",
    "reserve": "维修资金",
    "reversal": "冲销",
    "opening": "期初",
}


def voucher(seq: int | None) -> str:
    """The voucher number an auditor quotes: 记-000123 (记账凭证, numbered by sequence)."""
    return f"记-{seq or 0:06d}"


def split(fen: int) -> tuple[Decimal | None, Decimal | None]:
    """A signed amount as (debit, credit); the empty side is blank."""
    if fen > 0:
        return from_fen(fen), None
    if fen < 0:
        return None, from_fen(-fen)
    return None, None


def journal_table(snap: Snapshot) -> Table:
    def rows() -> Iterator[tuple[Value, ...]]:
        for item in snap.entries:
            t = item.txn
            for leg in t.legs:
                code, name = snap.account(leg.account)
                debit, credit = split(to_fen(leg.amount))
                yield (
                    t.seq,
                    t.date,
                    voucher(t.seq),
                    t.payee,
                    t.narration,
                    KIND_ZH.get(t.kind, t.kind),
                    code,
                    name,
                    debit,
                    credit,
                    t.entered_by,
                    t.approved_by,
                    t.resolution,
                    "; ".join(t.documents),
                    t.id,
                    item.hash,
                )

    return Table("journal", "序时账", JOURNAL_COLUMNS, rows)


# --- 明细账 ---------------------------------------------------------------------------------


def direction(fen: int) -> str:
    return "借" if fen > 0 else "贷" if fen < 0 else "平"


def movements(snap: Snapshot) -> dict[str, list[tuple[ChainedTxn, int]]]:
    """Each account's postings in the period, in date order (computed once per snapshot)."""
    if snap.moved is not None:
        return snap.moved
    out: dict[str, list[tuple[ChainedTxn, int]]] = defaultdict(list)
    for item in snap.entries:
        for leg in item.txn.legs:
            out[leg.account].append((item, to_fen(leg.amount)))
    for items in out.values():  # a ledger reads in date order; late postings take their date
        items.sort(key=lambda pair: (pair[0].txn.date, pair[0].txn.seq or 0))
    snap.moved = dict(out)
    return snap.moved


def active_accounts(snap: Snapshot, moved: dict[str, list[tuple[ChainedTxn, int]]]) -> list[str]:
    names = {n for n, fen in snap.opening.items() if fen} | set(moved)
    return snap.by_code(names)


def general_ledger_table(snap: Snapshot) -> Table:
    columns = (
        Column("科目代码", "code"),
        Column("科目名称"),
        Column("日期", "date"),
        Column("序号", "int"),
        Column("凭证号"),
        Column("摘要"),
        Column("借方金额", "money"),
        Column("贷方金额", "money"),
        Column("方向"),
        Column("余额", "money"),
    )

    def rows() -> Iterator[tuple[Value, ...]]:
        moved = movements(snap)
        for name in active_accounts(snap, moved):
            code, zh = snap.account(name)
            balance = snap.opening.get(name, 0)
            start = snap.period.start
            yield (
                code,
                zh,
                start,
                None,
                None,
                "期初余额",
                None,
                None,
                direction(balance),
                (from_fen(abs(balance))),
            )
            debits = credits = 0
            for item, fen in moved.get(name, []):
                balance += fen
                debit, credit = split(fen)
                debits += max(fen, 0)
                credits += max(-fen, 0)
                t = item.txn
                yield (
                    code,
                    zh,
                    t.date,
                    t.seq,
                    voucher(t.seq),
                    t.narration,
                    debit,
                    credit,
                    (direction(balance)),
                    from_fen(abs(balance)),
                )
            end = snap.period.end
            yield (
                code,
                zh,
                end,
                None,
                None,
                "本期合计",
                from_fen(debits),
                from_fen(credits),
                (None),
                None,
            )
            yield (
                code,
                zh,
                end,
                None,
                None,
                "期末余额",
                None,
                None,
                direction(balance),
                (from_fen(abs(balance))),
            )

    return Table("general_ledger", "明细账", columns, rows)


# --- 科目余额表 -----------------------------------------------------------------------------

TRIAL_BALANCE_COLUMNS = (
    Column("科目代码", "code"),
    Column("科目名称"),
    Column("期初借方", "money"),
    Column("期初贷方", "money"),
    Column("本期借方", "money"),
    Column("本期贷方", "money"),
    Column("期末借方", "money"),
    Column("期末贷方", "money"),
    Column("级次", "int"),
)


@dataclass(frozen=True)
class TrialLine:
    name: str
    opening: int
    debits: int
    credits: int

    @property
    def closing(self) -> int:
        return self.opening + self.debits - self.credits


def trial_lines(snap: Snapshot) -> list[TrialLine]:
    moved = movements(snap)
    lines = []
    for name in active_accounts(snap, moved):
        debits = sum(fen for _item, fen in moved.get(name, []) if fen > 0)
        credits = -sum(fen for _item, fen in moved.get(name, []) if fen < 0)
        lines.append(TrialLine(name, snap.opening.get(name, 0), debits, credits))
    return lines


def level_one(code: str, name: str) -> str:
    """The first-level code of an account: ``1002-01`` → ``1002`` (an account without a code,
    its beancount name's second component)."""
    if code:
        return code.split("-", 1)[0]
    parts = name.split(":")
    return parts[1].split("-", 1)[0] if len(parts) > 1 else name


def trial_rows(
    lines: list[TrialLine], account: Callable[[str], tuple[str, str]]
) -> Iterator[tuple[Value, ...]]:
    """科目余额表 rows: each first-level account (级次 1, the sum of its details), then its
    details (级次 2, the accounts posted to); the total sums the first-level rows."""

    def figures(opening: int, debits: int, credits: int) -> tuple[int, ...]:
        closing = opening + debits - credits
        return (
            max(opening, 0),
            max(-opening, 0),
            debits,
            credits,
            max(closing, 0),
            max(-closing, 0),
        )

    groups: dict[str, list[TrialLine]] = defaultdict(list)
    for line in lines:
        code, _zh = account(line.name)
        groups[level_one(code, line.name)].append(line)
    totals = [0] * 6
    for top in sorted(groups):
        members = groups[top]
        first_name = members[0].name
        zh = next((account(m.name)[1] for m in members if account(m.name)[0] == top), "")
        if not zh:
            part = first_name.split(":")[1] if ":" in first_name else first_name
            zh = part.split("-", 1)[-1]
        sums = figures(
            sum(m.opening for m in members),
            sum(m.debits for m in members),
            sum(m.credits for m in members),
        )
        totals = [a + b for a, b in zip(totals, sums, strict=True)]
        yield (top, zh, *(from_fen(f) for f in sums), 1)
        for line in members:
            code, name = account(line.name)
            if code == top and len(members) == 1:
                continue
            own = figures(line.opening, line.debits, line.credits)
            yield (code, name, *(from_fen(f) if f else None for f in own), 2)
    yield ("合计", "", *(from_fen(f) for f in totals), None)


def trial_balance_table(snap: Snapshot) -> Table:
    return Table(
        "trial_balance",
        "科目余额表",
        TRIAL_BALANCE_COLUMNS,
        lambda: trial_rows(trial_lines(snap), snap.account),
    )


def labels_inside(labels: Iterable[str | None], within: Period) -> list[str]:
    """The period labels (``2025Q1``, ``2025``...) that name a period inside ``within``; text
    that is no period label is skipped."""
    inside = []
    for label in labels:
        try:
            period = parse_period(label or "")
        except ValueError:
            continue
        if within.start <= period.start and period.end <= within.end:
            inside.append(label or "")
    return inside
