"""Reading a statement into lines: from a file in a layout, or from JSON.

:func:`read_rows` turns a file's rows into lines, refusing the statement whole, naming the
line, when a line is malformed (no date, a date in the future, no amount, two amounts), when a
column is missing, or when the total row does not agree with the lines. The reader is a
``beangulp.Importer`` (:class:`StatementImporter`), so a layout also works in a beangulp import
script. :func:`choose_layout` picks the layout (named, else the one preset that fits) and
:func:`read_file` reads a file in it; :func:`lines_of_json` checks lines sent as JSON. Storing
them is :mod:`rules.bank_statements`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import beangulp  # type: ignore[import-untyped]
from beancount.core import data as bdata
from beancount.core.amount import Amount
from pydantic import (
    ValidationError,
)

from ledger import clock
from ledger.errors import Problem, ValidationFailed
from ledger.messages import msg, text_of
from ledger.money import CURRENCY, fmt
from rules.bank_format import (
    Layout,
    cell_date,
    cell_money,
    cell_text,
    csv_rows,
    layout_named,
    presets,
    xlsx_rows,
)
from rules.bank_lines import ZERO, LineIn, Read, StatementIn, problem, refused

#: Statement files, at most this many bytes.
MAX_FILE_BYTES = 20 * 1024 * 1024


def read_rows(rows: list[tuple[int, list[Any]]], layout: Layout, *, today: date) -> list[Read]:
    """The statement's lines, oldest first, from the rows of a file; refused naming each bad
    line (at most 50)."""
    named = layout.columns.named()
    header_at = None
    for index, (_number, cells) in enumerate(rows):
        if layout.columns.date in [cell_text(c) for c in cells]:
            header_at = index
            break
    if header_at is None:
        raise refused(
            [
                problem(
                    "file",
                    msg(
                        "bank_files.no-header-row-naming",
                        date=layout.columns.date,
                        name=layout.name,
                        description=layout.description,
                    ),
                    rule="bank-columns",
                )
            ]
        )
    number, header = rows[header_at]
    names = [cell_text(c) for c in header]
    missing = [f"{title} ({field})" for field, title in named.items() if title not in names]
    if missing:
        raise refused(
            [
                problem(
                    f"line {number}",
                    msg(
                        "bank_files.header-lacks-column-s",
                        missing=", ".join(missing),
                        name=layout.name,
                    ),
                    rule="bank-columns",
                    missing=missing,
                )
            ]
        )
    at = {field: names.index(title) for field, title in named.items()}
    problems: list[Problem] = []
    found: list[Read] = []
    total_row: tuple[int, list[Any]] | None = None
    for number, cells in rows[header_at + 1 :]:
        texts = [cell_text(c) for c in cells]
        if not any(texts):
            continue
        where = f"line {number}"
        if total_row is not None:
            problems.append(
                problem(
                    where,
                    msg("bank_files.row-after-total-row", total_row=total_row[0]),
                    rule="bank-total",
                )
            )
            continue
        first = next(t for t in texts if t)
        if any(marker in first for marker in layout.total):
            total_row = (number, cells)
            continue

        def cell(field: str, cells: list[Any] = cells) -> Any:
            index = at.get(field)
            return cells[index] if index is not None and index < len(cells) else None

        day = cell_date(cell("date"), layout)
        if day is None:
            problems.append(
                problem(
                    where,
                    msg(
                        "bank_files.date-total-row-must",
                        date=layout.columns.date,
                        value=cell_text(cell("date")),
                        date_formats=" or ".join(layout.date_formats),
                        total=" or ".join(layout.total),
                    ),
                    rule="bank-date",
                )
            )
            continue
        if day > today:
            problems.append(
                problem(
                    where, msg("journal.date-future-today", day=day, today=today), rule="bank-date"
                )
            )
            continue
        try:
            if layout.columns.amount is not None:
                amount = cell_money(cell("amount"))
            else:
                income, expense = cell_money(cell("income")), cell_money(cell("expense"))
                if income and expense:
                    raise _Bad(
                        f"both {layout.columns.income} ({income}) and "
                        f"{layout.columns.expense} ({expense}) have an amount"
                    )
                amount = income if income else (-expense if expense else None)
            balance = cell_money(cell("balance"))
        except ValueError as exc:
            problems.append(problem(where, msg("bank_files.amount", exc=exc), rule="bank-amount"))
            continue
        except _Bad as exc:
            problems.append(problem(where, text_of(exc), rule="bank-amount"))
            continue
        if not amount:
            problems.append(problem(where, msg("bank_files.no-amount-out"), rule="bank-amount"))
            continue
        if balance is None:
            problems.append(
                problem(
                    where,
                    msg("bank_files.no-running-balance", balance=layout.columns.balance),
                    rule="bank-amount",
                )
            )
            continue
        try:
            line = LineIn(
                date=day,
                amount=amount,
                balance=balance,
                counterparty=cell_text(cell("counterparty")),
                reference=cell_text(cell("reference")),
                memo=cell_text(cell("memo")),
            )
        except ValidationError as exc:
            for error in exc.errors():
                problems.append(
                    problem(
                        where,
                        msg(
                            "bank_files.message",
                            str=".".join(map(str, error["loc"])),
                            msg=error["msg"],
                        ),
                    )
                )
            continue
        found.append(Read(line, where))
    if total_row is not None and layout.columns.amount is None:
        problems += _check_total(total_row, at, found, layout)
    if problems:
        raise refused(problems)
    if not found:
        raise refused(
            [problem("file", msg("bank_files.statement-has-no-lines"), rule="bank-statement")]
        )
    if layout.order == "newest_first":
        found.reverse()
    return found


class _Bad(Exception):
    pass


def _check_total(
    total_row: tuple[int, list[Any]], at: dict[str, int], found: list[Read], layout: Layout
) -> list[Problem]:
    number, cells = total_row
    problems = []
    sums = {
        "income": sum((r.line.amount for r in found if r.line.amount > 0), ZERO),
        "expense": -sum((r.line.amount for r in found if r.line.amount < 0), ZERO),
    }
    for field, title in (("income", layout.columns.income), ("expense", layout.columns.expense)):
        index = at[field]
        try:
            stated = cell_money(cells[index]) if index < len(cells) else None
        except ValueError:
            stated = None
        if stated is not None and stated != sums[field]:
            problems.append(
                problem(
                    f"line {number}",
                    msg(
                        "bank_files.total-row-says-but",
                        title=title,
                        stated=fmt(stated),
                        sums=fmt(sums[field]),
                    ),
                    rule="bank-total",
                    stated=fmt(stated),
                    lines=fmt(sums[field]),
                )
            )
    return problems


class StatementImporter(beangulp.Importer):  # type: ignore[misc]
    """A beangulp importer for one layout and one account: ``identify`` says whether a file
    is a statement in this layout, ``extract`` gives one beancount transaction per line (the
    bank leg only, with the balance, counterparty, reference and memo as metadata), and
    :meth:`lines` the lines themselves."""

    def __init__(self, layout: Layout, account: str, *, today: date | None = None) -> None:
        self.layout = layout
        self._account = account
        self.today = today or clock.today()

    @property
    def name(self) -> str:
        return f"commons.bank.{self.layout.name}"

    def _rows(self, body: bytes) -> list[tuple[int, list[Any]]]:
        return (
            csv_rows(body, self.layout)
            if self.layout.kind == "csv"
            else xlsx_rows(body, self.layout)
        )

    def identify(self, filepath: str) -> bool:
        path = Path(filepath)
        suffix = path.suffix.lower()
        if (self.layout.kind == "xlsx") != (suffix == ".xlsx"):
            return False
        try:
            rows = self._rows(path.read_bytes())
        except ValidationFailed:
            return False
        names = set(self.layout.columns.named().values())
        return any(names <= {cell_text(c) for c in cells} for _n, cells in rows[:50])

    def account(self, filepath: str) -> str:
        return self._account

    def lines_of(self, body: bytes) -> list[Read]:
        return read_rows(self._rows(body), self.layout, today=self.today)

    def lines(self, filepath: str) -> list[Read]:
        return self.lines_of(Path(filepath).read_bytes())

    def extract(self, filepath: str, existing: bdata.Entries) -> bdata.Entries:
        entries: bdata.Entries = []
        for index, read in enumerate(self.lines(filepath)):
            line = read.line
            meta = bdata.new_metadata(filepath, index + 1)
            meta.update(
                {
                    "balance": fmt(line.balance),
                    "reference": line.reference,
                    "counterparty": line.counterparty,
                    "where": read.where,
                }
            )
            posting = bdata.Posting(
                self._account, Amount(line.amount, CURRENCY), None, None, None, None
            )
            entries.append(
                bdata.Transaction(
                    meta,
                    line.date,
                    "!",
                    line.counterparty or None,
                    line.memo,
                    bdata.EMPTY_SET,
                    bdata.EMPTY_SET,
                    [posting],
                )
            )
        return entries


def choose_layout(body: bytes, filename: str, account: str, layout_name: str | None) -> Layout:
    """The layout a statement file is read in: the one named, else the one preset that fits
    it (refused when none or several fit)."""
    if not body:
        raise refused([problem("file", msg("bank_files.file-empty"), rule="bank-format")])
    if len(body) > MAX_FILE_BYTES:
        raise refused(
            [
                problem(
                    "file",
                    msg("bank_files.file-over-bytes", max_file_bytes=MAX_FILE_BYTES),
                    rule="bank-format",
                )
            ]
        )
    if layout_name is not None:
        return layout_named(layout_name)
    import tempfile

    with tempfile.TemporaryDirectory(prefix="commons-bank-") as tmp:
        path = Path(tmp) / Path(filename).name
        path.write_bytes(body)
        fitting = [
            layout
            for layout in presets().values()
            if StatementImporter(layout, account).identify(str(path))
        ]
    if len(fitting) != 1:
        known = ", ".join(sorted(presets()))
        why = "no shipped layout fits it" if not fitting else "several layouts fit it"
        raise refused(
            [
                problem(
                    "file",
                    msg("bank_files.name-one-with-format", why=why, known=known),
                    rule="bank-layout",
                )
            ]
        )
    return fitting[0]


def read_file(body: bytes, filename: str, account: str, layout_name: str | None) -> list[Read]:
    """The lines of a statement file in the layout named (else the one preset that fits)."""
    layout = choose_layout(body, filename, account, layout_name)
    return StatementImporter(layout, account).lines_of(body)


def lines_of_json(statement: StatementIn, *, today: date) -> list[Read]:
    problems = [
        problem(
            f"lines[{i}]",
            msg("bank_files.date-future-today", date=line.date, today=today),
            rule="bank-date",
        )
        for i, line in enumerate(statement.lines)
        if line.date > today
    ]
    problems += [
        problem(f"lines[{i}]", msg("bank_files.no-amount-out"), rule="bank-amount")
        for i, line in enumerate(statement.lines)
        if line.amount == 0
    ]
    if problems:
        raise refused(problems)
    return [Read(line, f"lines[{i}]") for i, line in enumerate(statement.lines)]
