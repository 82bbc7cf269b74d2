"""The schedules an auditor asks for beside the statements, each a CSV and a sheet of an audit
package: 应收账款 (the contracts' receivables with their ageing), 预算执行情况表 (budget against
actual), 银行存款余额调节表 (the bank reconciliation at each month's end), 单据 (the documents
behind the period's entries, resolutions and contracts) and 异议 (the owners' objections to
the period's notice).

All are read in the export's one transaction (the snapshot's session), as at the period's end,
so two nodes exporting the same period give the same rows; each is ordered by a key (contract
number, account, month and account, upload, objection number). The objections show a building,
never the unit or the contact (as the public notice does).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session, col

from audit.tables import Column, Snapshot, Table, Value, labels_inside, voucher
from ledger.budgets import in_force
from ledger.documents import EXTENSIONS
from ledger.documents import links as document_links
from ledger.models import (
    BankLine,
    Contract,
    Document,
    Entry,
    Objection,
    Resolution,
)
from rules.bank_reconcile import ItemOut, reconciliation
from rules.budget import actual_lines
from rules.contracts import AGEING, arrears_on
from rules.objections import ANSWERED, public

#: The file names of the schedules (``documents.csv`` lists what ``documents/`` may hold).
SCHEDULES = ("receivables", "budget", "bank_reconciliation", "documents", "objections")
#: The folder of a package's documents (``--with-documents``): ``documents/<sha256>.<ext>``.
DOCUMENTS = "documents"
YES, NO = "是", "否"


# --- 应收账款 -------------------------------------------------------------------------------

AGEING_ZH = {
    "0-30": "账龄0-30天",
    "31-90": "账龄31-90天",
    "91-180": "账龄91-180天",
    "180+": "账龄180天以上",
}


def receivables_table(session: Session, snap: Snapshot) -> Table:
    """Each contract at the period's end: what fell due, what was received, what is overdue
    (aged by the days since each unpaid instalment fell due; the buckets add up to it) or
    paid ahead, and whether the contract complies (its resolution met 民法典 art. 278)."""
    columns = (
        Column("合同编号"),
        Column("对方单位"),
        Column("截至日期", "date"),
        Column("累计应收", "money"),
        Column("累计已收", "money"),
        Column("逾期未收", "money"),
        Column("预收", "money"),
        *(Column(AGEING_ZH[bucket], "money") for bucket in AGEING),
        Column("合规"),
    )
    end = snap.period.end

    def rows() -> Iterator[tuple[Value, ...]]:
        for item in arrears_on(session, snap.community.id, end):
            yield (
                item.number,
                item.counterparty,
                end,
                item.due,
                item.received,
                item.overdue,
                item.ahead,
                *(item.ageing[bucket] for bucket in AGEING),
                YES if item.compliant else NO,
            )

    return Table("receivables", "应收账款", columns, rows)


# --- 预算执行情况表 -------------------------------------------------------------------------


def budget_table(session: Session, snap: Snapshot) -> Table:
    """The budget of the period's year against what was posted up to the period's end: each
    line whose period has begun by then (its actual counted up to the end), then each expense
    account spent on without a line (budget 0.00). No rows for a year without a budget."""
    columns = (
        Column("科目"),
        Column("科目代码", "code"),
        Column("科目名称"),
        Column("预算期间"),
        Column("起始日期", "date"),
        Column("统计截止日期", "date"),
        Column("预算数", "money"),
        Column("实际数", "money"),
        Column("差异(实际-预算)", "money"),
    )
    year = snap.period.end.year

    def rows() -> Iterator[tuple[Value, ...]]:
        if not in_force(session, snap.community.id).get(year):
            return
        for line in actual_lines(session, snap.community.id, year, until=snap.period.end):
            code, name = snap.account(line.account)
            yield (
                line.account,
                code,
                name,
                line.period,
                line.start,
                line.until,
                line.budget,
                line.actual,
                line.actual - line.budget,
            )

    return Table("budget", "预算执行情况表", columns, rows)


# --- 银行存款余额调节表 ---------------------------------------------------------------------


def month_ends(start: date, end: date) -> list[date]:
    """The last day of each month of ``start``..``end`` (the period's end for its last)."""
    out = []
    year, month = start.year, start.month
    while date(year, month, 1) <= end:
        out.append(min(date(year, month, calendar.monthrange(year, month)[1]), end))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


@dataclass(frozen=True)
class _LineState:
    status: str
    reason: str | None
    entry_status: str | None


def _bank_states(session: Session, community_id: str) -> dict[int, _LineState]:
    rows = session.execute(
        select(
            col(BankLine.id),
            col(BankLine.status),
            col(BankLine.dismissed_reason),
            col(Entry.status),
        )
        .outerjoin(Entry, col(Entry.id) == col(BankLine.entry_id))
        .where(col(BankLine.community_id) == community_id)
    )
    return {line: _LineState(status, reason, entry) for line, status, reason, entry in rows}


def _bank_only_state(item: ItemOut, states: dict[int, _LineState]) -> str:
    """Why a statement line is not in the books by the day, in the auditor's words."""
    state = states.get(item.line or 0)
    if state is None or state.status == "open":
        return "待确认或排除"
    if state.status == "dismissed":
        return f"已排除：{state.reason or ''}"
    if state.entry_status == "pending":
        return "对应分录待审批"
    return "对应分录日期在调节日之后"


def bank_reconciliation_table(session: Session, snap: Snapshot) -> Table:
    """银行存款余额调节表 at each month's end of the period, for each account with statement
    lines by then: the book balance and the items the bank has that the books do not, the
    adjusted book balance; the bank's balance and the items the books have that the bank does
    not, the adjusted bank balance; their difference. Amounts carry their sign (money in
    positive): each adjusted balance is its balance plus its items."""
    columns = (
        Column("调节日", "date"),
        Column("账户"),
        Column("科目代码", "code"),
        Column("科目名称"),
        Column("项目"),
        Column("日期", "date"),
        Column("摘要"),
        Column("说明"),
        Column("金额", "money"),
    )
    cid = snap.community.id

    def rows() -> Iterator[tuple[Value, ...]]:
        firsts = dict(
            session.execute(
                select(col(BankLine.account), func.min(col(BankLine.date)))
                .where(col(BankLine.community_id) == cid)
                .group_by(col(BankLine.account))
            ).all()
        )
        if not firsts:
            return
        states = _bank_states(session, cid)
        for day in month_ends(snap.period.start, snap.period.end):
            for account in sorted(a for a, first in firsts.items() if first <= day):
                found = reconciliation(session, cid, account, day)
                head = (day, account, *snap.account(account))
                yield (*head, "企业账面余额", None, None, None, found.book_balance)
                for item in found.bank_only:
                    side = "银行已收、企业未记" if item.amount > 0 else "银行已付、企业未记"
                    why = _bank_only_state(item, states)
                    yield (*head, side, item.date, item.description, why, item.amount)
                yield (*head, "调节后企业账面余额", None, None, None, found.adjusted_book_balance)
                yield (*head, "银行对账单余额", None, None, None, found.bank_balance)
                for item in found.book_only:
                    side = "企业已收、银行未记" if item.amount > 0 else "企业已付、银行未记"
                    yield (*head, side, item.date, item.description, "银行尚未入账", item.amount)
                yield (*head, "调节后银行对账单余额", None, None, None, found.adjusted_bank_balance)
                yield (*head, "差额", None, None, None, found.difference)

    return Table("bank_reconciliation", "银行存款余额调节表", columns, rows)


# --- 单据 -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PackageDocument:
    """A document the package lists: what it backs, in the package's terms."""

    id: int
    sha256: str
    name: str
    size: int
    type: str
    backs: str

    @property
    def path(self) -> str:
        return f"{DOCUMENTS}/{self.sha256}.{EXTENSIONS.get(self.type, 'bin')}"


def package_documents(session: Session, snap: Snapshot) -> list[PackageDocument]:
    """The documents linked to the period's entries, to the resolutions the package lists
    (voted on by the period's end) or to the contracts begun by the period's end (receivables
    lists them), in upload order; 关联 names each: 记-0001, 决议 R, 合同 C."""
    seqs = {item.txn.id: item.txn.seq for item in snap.entries}
    numbers = set(
        session.execute(
            select(col(Resolution.number))
            .where(col(Resolution.community_id) == snap.community.id)
            .where(col(Resolution.voted_on) <= snap.period.end)
        ).scalars()
    )
    contracts = set(
        session.execute(
            select(col(Contract.number))
            .where(col(Contract.community_id) == snap.community.id)
            .where(col(Contract.start) <= snap.period.end)
        ).scalars()
    )
    links: dict[int, list[str]] = {}
    for document_id, entry_id, resolution, contract in document_links(session, snap.community.id):
        if entry_id is not None and entry_id in seqs:
            links.setdefault(document_id, []).append(voucher(seqs[entry_id]))
        if resolution is not None and resolution in numbers:
            links.setdefault(document_id, []).append(f"决议 {resolution}")
        if contract is not None and contract in contracts:
            links.setdefault(document_id, []).append(f"合同 {contract}")
    if not links:
        return []
    rows = session.execute(
        select(
            col(Document.id),
            col(Document.sha256),
            col(Document.name),
            col(Document.size),
            col(Document.type),
        )
        .where(col(Document.id).in_(sorted(links)))
        .order_by(col(Document.uploaded_at), col(Document.id))
    ).all()
    return [
        PackageDocument(i, sha, name, size, kind, "; ".join(sorted(set(links[i]))))
        for i, sha, name, size, kind in rows
    ]


def documents_table(documents: list[PackageDocument]) -> Table:
    """One row per document: its SHA-256 (its address), name, size, type, what it backs and
    the file it is in the package (present when the package was made with its documents)."""
    columns = (
        Column("SHA-256"),
        Column("文件名"),
        Column("字节数", "int"),
        Column("类型"),
        Column("关联"),
        Column("包内文件"),
    )

    def rows() -> Iterator[tuple[Value, ...]]:
        for d in documents:
            yield d.sha256, d.name, d.size, d.type, d.backs, d.path

    return Table("documents", "单据", columns, rows)


def document_body(session: Session, document_id: int) -> bytes:
    """A document's bytes, read one at a time into the package."""
    body: bytes = session.execute(
        select(col(Document.body)).where(col(Document.id) == document_id)
    ).scalar_one()
    return body


# --- 异议 -----------------------------------------------------------------------------------


def objection_periods(session: Session, snap: Snapshot) -> list[str]:
    """The notices whose objections the package carries: the period's own, and those of the
    closed periods inside it (a year's quarters)."""
    labels = session.execute(
        select(col(Objection.period))
        .where(col(Objection.community_id) == snap.community.id)
        .distinct()
    ).scalars()
    return sorted(labels_inside(labels, snap.period))


def objections_table(session: Session, snap: Snapshot) -> Table:
    """The objections filed under the period's notice (and its inner periods' notices), as
    the public notice shows them: the building, never the unit or the contact; overdue as at
    the export's day."""
    columns = (
        Column("编号", "int"),
        Column("公示期间"),
        Column("楼栋"),
        Column("涉及事项"),
        Column("异议内容"),
        Column("状态"),
        Column("答复"),
        Column("答复日期", "date"),
        Column("答复期限", "date"),
        Column("逾期"),
    )

    def rows() -> Iterator[tuple[Value, ...]]:
        found = [
            (label, item)
            for label in objection_periods(session, snap)
            for item in public(session, snap.community, label)
        ]
        for label, item in sorted(found, key=lambda pair: pair[1].id):
            yield (
                item.id,
                label,
                item.building,
                item.concerns,
                item.text,
                "已答复" if item.status == ANSWERED else "待答复",
                item.answer,
                item.answered_on,
                item.answer_due,
                YES if item.overdue else NO,
            )

    return Table("objections", "异议", columns, rows)


def schedule_tables(
    session: Session, snap: Snapshot, documents: list[PackageDocument]
) -> list[Table]:
    return [
        receivables_table(session, snap),
        budget_table(session, snap),
        bank_reconciliation_table(session, snap),
        documents_table(documents),
        objections_table(session, snap),
    ]
