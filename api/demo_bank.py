"""The demo's monthly bank routine on the basic account (1002-01 基本户).

For each month of the demo's books that has ended, the bank's statement is made from the
entries on the account (each entry's date, amount and payee, its narration as the memo, the
running balance from the month's opening balance, and a 交易流水号 drawn from a seeded
generator), plus what only the bank knows: the quarterly interest credit (结息, the 21st of a
quarter's last month) and a monthly account fee (账户管理费, the 20th). The statement is written
with the real writers, odd months as the GB18030 CSV of the ``csv-debit-credit`` layout (a few
lines about the account, newest first, a 合计 row), even months as the XLSX of the
``xlsx-income-expense`` layout (title rows, the time of day, a 合计 row after a blank row), and
imported through :func:`rules.bank.import_file`, the function ``commons bank import`` runs: the
layout is recognised, every line of an entry is matched to it, and the interest and the fee
come back as proposals that the treasurer confirms (the ordinary posting path), so they reach
the books only through the statement. Each month then reconciles to a difference of 0.00
before its quarter closes (``reconcile_before_close``).

An entry booked after its month's statement was imported (a quarter's reserve top-up, made at
the close) shows on the next statement, on its first day.

The month the demo's books end in is still open: its statement is written, not imported, to
``<data>/demo-statements/YYYY-MM.csv`` (or ``.xlsx``), for a treasurer to try the routine; the
statements already imported are kept beside it in ``imported/``. Everything is drawn from
:data:`api.demo.SEED`, so two builds give the same books and the same files.
"""

from __future__ import annotations

import calendar
import csv
import io
import os
import random
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session, col

from ledger import chart
from ledger.books import Books
from ledger.models import BankLine
from ledger.money import fmt, from_fen
from ledger.schemas import TransactionIn
from rules import bank
from rules.bank_matching import entries_on

ACCOUNT = chart.BANK
#: The account as the bank prints it on the statement.
ACCOUNT_NUMBER = "3100 0207 1900 0123 456"
BANK_NAME = "中国工商银行上海枫林支行"
#: Where the open month's statement is written, under the data directory.
STATEMENTS = "demo-statements"
#: The layout of each month's statement: odd months CSV, even months XLSX.
CSV_LAYOUT = "csv-debit-credit"
XLSX_LAYOUT = "xlsx-income-expense"
#: What only the bank knows: the quarterly interest and the monthly fee.
INTEREST_MEMO = "活期存款利息"
INTEREST_DAY = 21
FEE_MEMO = "账户管理费"
FEE_DAY = 20
FEE = Decimal("10.00")


@dataclass(frozen=True)
class Line:
    """A statement line as the bank writes it."""

    date: date
    amount: Decimal
    balance: Decimal
    counterparty: str
    reference: str
    memo: str
    at: time


def layout_of(month: date) -> str:
    return CSV_LAYOUT if month.month % 2 else XLSX_LAYOUT


def file_name(month: date) -> str:
    return f"{month:%Y-%m}.{'csv' if layout_of(month) == CSV_LAYOUT else 'xlsx'}"


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def from_the_bank(draft: TransactionIn) -> bool:
    """Whether a planned entry is one the bank books first (the interest credit): the demo
    leaves it to the statement, whose proposal the treasurer confirms."""
    return draft.narration == INTEREST_MEMO


class Routine:
    """The bank side of the demo's books: the interest credits the demo's plan leaves to the
    statements, each month's statement, its import and its reconciliation. Which months are
    settled is read from the statement lines already imported."""

    def __init__(self, books: Books, slug: str, seed: int) -> None:
        self.books = books
        self.slug = slug
        self.seed = seed
        self.held: list[tuple[date, Decimal]] = []

    def hold(self, draft: TransactionIn) -> None:
        """An interest credit the demo planned: it comes in on the statement instead."""
        amount = sum((p.amount for p in draft.postings if p.account == ACCOUNT), Decimal("0"))
        self.held.append((draft.date, amount))

    def _interest(self, month: date) -> list[tuple[date, Decimal]]:
        """The month's interest credits: those the demo's plan held back (2025's), else, in a
        quarter's last month of a year with none planned, one drawn from the seed."""
        held = [(d, a) for d, a in self.held if (d.year, d.month) == (month.year, month.month)]
        if held or month.month % 3 or any(d.year == month.year for d, _ in self.held):
            return held
        rng = random.Random(self.seed + month.year * 100 + month.month)
        amount = (Decimal(rng.randint(12000, 18000)) / 100).quantize(Decimal("0.01"))
        return [(month.replace(day=INTEREST_DAY), amount)]

    def statement(self, month: date, upto: date) -> list[Line]:
        """The bank's lines of ``month`` dated up to ``upto``, oldest first: the entries on the
        account not yet on a statement, the interest and the fee."""
        first = month.replace(day=1)
        with Session(self.books.engine) as session:
            community = self.books.community(session, self.slug)
            on_statements = {
                entry_id
                for (entry_id,) in session.execute(
                    select(col(BankLine.entry_id)).where(
                        col(BankLine.community_id) == community.id,
                        col(BankLine.account) == ACCOUNT,
                        col(BankLine.entry_id).is_not(None),
                    )
                )
            }
            last = session.execute(
                select(col(BankLine.balance_fen))
                .where(col(BankLine.community_id) == community.id)
                .where(col(BankLine.account) == ACCOUNT)
                .order_by(col(BankLine.date).desc(), col(BankLine.position).desc())
                .limit(1)
            ).scalar_one_or_none()
            entries = entries_on(session, community.id, ACCOUNT, end=upto)
            books_start = community.start_date or date.min
        if last is not None:
            balance = from_fen(last)
        else:  # the first statement carries the balance brought forward
            balance = sum(
                (from_fen(e.fen) for e in entries if e.date < max(first, books_start)),
                Decimal("0.00"),
            )
        items: list[tuple[date, int, Decimal, str, str]] = [
            (max(e.date, first), 0, from_fen(e.fen), e.payee, e.narration)
            for e in entries
            if e.id not in on_statements and e.date >= books_start and e.date <= upto
        ]
        items += [(d, 1, a, "", INTEREST_MEMO) for d, a in self._interest(month) if d <= upto]
        fee_day = month.replace(day=FEE_DAY)
        if fee_day <= upto:
            items.append((fee_day, 1, -FEE, "", FEE_MEMO))
        items.sort(key=lambda item: (item[0], item[1]))
        rng = random.Random(self.seed * 7 + month.year * 100 + month.month)
        lines = []
        clock = datetime.combine(first, time(9, 0))
        for day, _order, amount, counterparty, memo in items:
            balance += amount
            clock = max(clock, datetime.combine(day, time(9, 0))) + timedelta(
                minutes=rng.randint(7, 90)
            )
            lines.append(
                Line(
                    date=day,
                    amount=amount,
                    balance=balance,
                    counterparty=counterparty,
                    reference=f"{day:%Y%m%d}{rng.randrange(10**11, 10**12)}",
                    memo=memo,
                    at=clock.time(),
                )
            )
        return lines

    def settle(self, month: date) -> None:
        """Import ``month``'s statement (it has ended), confirm the bank's own items as the
        treasurer, and check that the month reconciles to 0.00."""
        from api.demo import TREASURER
        from api.demo_documents import settle as approve_if_waiting

        end = month_end(month)
        lines = self.statement(month, end)
        if not lines:
            return
        body = write(month, lines, end)
        name = file_name(month)
        self._keep(Path("imported") / name, body)
        _layout, out = bank.import_file(
            books=self.books,
            slug=self.slug,
            account=ACCOUNT,
            body=body,
            filename=name,
            layout_name=None,
            actor=TREASURER,
        )
        for proposal in out.proposals:
            confirmed, _created = bank.confirm(
                books=self.books,
                slug=self.slug,
                line_id=proposal.line.id,
                draft=None,
                actor=TREASURER,
            )
            approve_if_waiting(
                self.books, self.slug, confirmed.entry, confirmed.entry.status == "pending"
            )
        found = bank.reconcile(books=self.books, slug=self.slug, account=ACCOUNT, day=end)
        if found.difference != 0 or found.open_lines:
            raise RuntimeError(
                f"the demo's statement of {month:%Y-%m} does not reconcile: difference "
                f"{fmt(found.difference)}, {found.open_lines} open line(s)"
            )

    def settle_through(self, day: date, today: date) -> None:
        """Settle every month up to ``day``'s that has ended before ``today`` and is not
        settled yet."""
        month = self._next_month()
        while month_end(month) <= day and month_end(month) < today:
            self.settle(month)
            month = (month_end(month) + timedelta(days=1)).replace(day=1)

    def _next_month(self) -> date:
        with Session(self.books.engine) as session:
            community = self.books.community(session, self.slug)
            last = session.execute(
                select(col(BankLine.date))
                .where(col(BankLine.community_id) == community.id)
                .where(col(BankLine.account) == ACCOUNT)
                .order_by(col(BankLine.date).desc())
                .limit(1)
            ).scalar_one_or_none()
            start = community.start_date or date.min
        if last is None:
            return start.replace(day=1)
        return (month_end(last) + timedelta(days=1)).replace(day=1)

    def write_open(self, today: date) -> Path | None:
        """Write the statement of the month ``today`` is in, up to ``today``, for a treasurer
        to import; its path (None when the month has no line yet)."""
        month = today.replace(day=1)
        lines = self.statement(month, today)
        if not lines:
            return None
        return self._keep(Path(file_name(month)), write(month, lines, today))

    def _keep(self, relative: Path, body: bytes) -> Path:
        """Write a statement under the data directory, private like the rest of it (0600 in
        0700 folders: it shows the community's bank account)."""
        folder = self.books.data_dir / STATEMENTS
        folder.mkdir(mode=0o700, exist_ok=True)
        path = folder / relative
        path.parent.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(body)
        return path


def open_statement(books: Books) -> Path | None:
    """The open month's statement the demo wrote, if any (for ``commons demo`` and ``serve``
    to point at)."""
    folder = books.data_dir / STATEMENTS
    found = sorted(p for p in folder.glob("*.*") if p.is_file()) if folder.is_dir() else []
    return found[-1] if found else None


def write(month: date, lines: list[Line], upto: date) -> bytes:
    """The statement file in the month's layout."""
    return _csv(month, lines, upto) if layout_of(month) == CSV_LAYOUT else _xlsx(month, lines, upto)


def _csv(month: date, lines: list[Line], upto: date) -> bytes:
    """The ``csv-debit-credit`` layout: the account's details, the lines newest first, 合计."""
    columns = bank.layout_named(CSV_LAYOUT).columns
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["账户明细查询"])
    writer.writerow(["账号", ACCOUNT_NUMBER])
    writer.writerow(["户名", "枫林苑小区业主委员会"])
    writer.writerow(["开户行", BANK_NAME])
    writer.writerow(["起止日期", f"{month:%Y%m}01-{upto:%Y%m%d}", "币种", "人民币"])
    writer.writerow([])
    writer.writerow(
        [
            columns.date,
            columns.reference,
            columns.expense,
            columns.income,
            columns.balance,
            columns.counterparty,
            columns.memo,
        ]
    )
    for line in reversed(lines):
        writer.writerow(
            [
                f"{line.date:%Y%m%d}",
                line.reference + "\t",
                f"{-line.amount:.2f}" if line.amount < 0 else "",
                f"{line.amount:.2f}" if line.amount > 0 else "",
                f"{line.balance:.2f}",
                line.counterparty,
                line.memo,
            ]
        )
    spent = -sum((x.amount for x in lines if x.amount < 0), Decimal("0.00"))
    received = sum((x.amount for x in lines if x.amount > 0), Decimal("0.00"))
    writer.writerow(["合计", "", f"{spent:.2f}", f"{received:.2f}", "", "", f"{len(lines)}笔"])
    return out.getvalue().encode("gb18030")


def _xlsx(month: date, lines: list[Line], upto: date) -> bytes:
    """The ``xlsx-income-expense`` layout: title rows, the lines oldest first with the time of
    day, a blank row, 合计."""
    import openpyxl

    columns = bank.layout_named(XLSX_LAYOUT).columns
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "交易明细"
    sheet.append(["账户交易明细"])
    sheet.append([f"账号: {ACCOUNT_NUMBER}", "户名: 枫林苑小区业主委员会", f"开户行: {BANK_NAME}"])
    sheet.append([f"查询期间: {month:%Y-%m}-01 至 {upto}"])
    sheet.append(
        [
            columns.date,
            columns.income,
            columns.expense,
            columns.balance,
            columns.counterparty,
            columns.reference,
            columns.memo,
        ]
    )
    for line in lines:
        sheet.append(
            [
                f"{line.date} {line.at:%H:%M:%S}",
                line.amount if line.amount > 0 else None,
                -line.amount if line.amount < 0 else None,
                line.balance,
                line.counterparty,
                line.reference,
                line.memo,
            ]
        )
    sheet.append([])
    sheet.append(
        [
            "合计",
            sum((x.amount for x in lines if x.amount > 0), Decimal("0.00")),
            -sum((x.amount for x in lines if x.amount < 0), Decimal("0.00")),
        ]
    )
    fixed = datetime(upto.year, upto.month, upto.day)
    book.properties.created = book.properties.modified = fixed
    saved = io.BytesIO()
    book.save(saved)
    # The same bytes on every build: each part of the workbook dated the statement's last day.
    out = io.BytesIO()
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(out, "w") as target:
        for part in source.infolist():
            stamped = zipfile.ZipInfo(part.filename, date_time=fixed.timetuple()[:6])
            target.writestr(stamped, source.read(part), compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()
