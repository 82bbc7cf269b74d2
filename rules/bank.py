"""The bank statement: import, matching, proposals and the reconciliation (银行存款余额调节表).

**Import.** A statement is a list of lines on one bank account: the date, the amount (positive
money in, a debit to the bank account; negative money out), the bank's running balance after
the line, the counterparty (对方户名), the bank's reference (交易流水号) and its memo (摘要).
Files come as the banks export them, CSV or XLSX; a :class:`Layout` (a small TOML file, two
shipped in ``rules/bank_layouts/``) says where each column is, which encodings to try, whether
income and spending are two columns or one signed column, and which row is the total. The
reader is a ``beangulp.Importer`` (:class:`StatementImporter`), so a layout also works in a
beangulp import script.

A statement is refused whole, naming the line, when a line is malformed (no date, a date in
the future, no amount, two amounts), when a column is missing, when the total row does not
agree with the lines, or when a running balance does not follow from the line before it (nor
from the statement lines already imported just before or after it). Lines already imported
(same account, date, reference and amount) are counted as duplicates and add nothing.

**Matching.** Each new line is matched to a posted entry on the account with the same amount,
dated within :data:`MATCH_WINDOW_DAYS`, not matched to another line; the bank's reference in
the entry's documents or narration, then the counterparty as its payee, then the nearest date
decide among several. A line left unmatched is a *proposal*: a draft entry (its counter account
guessed from earlier entries with the same counterparty, or from the memo) that the treasurer
confirms as it is or edited, through the ordinary posting path (every rule, four eyes), or
dismisses with a reason. Nothing is posted silently.

**Reconciliation** on a date: the book balance (posted entries to that date), the bank balance
(the last line to that date), the items on each side not yet on the other, and the adjusted
balances (book + bank-only items; bank + book-only items), which agree unless something is
unexplained. With ``reconcile_before_close`` (the rules file, default on) a period does not
close while an account with statement lines in it shows a difference or open proposals.
"""

from __future__ import annotations

import csv
import io
import itertools
import tomllib
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import beangulp  # type: ignore[import-untyped]
from beancount.core import data as bdata
from beancount.core.amount import Amount
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from sqlalchemy import func, select
from sqlmodel import Session, col

from ledger import chart, clock, events, journal
from ledger.books import Books
from ledger.db import reader, writer
from ledger.errors import NotFound, Problem, StateConflict, ValidationFailed
from ledger.four_eyes import payee_key
from ledger.models import Account, BankLine, Entry, Posting
from ledger.money import CURRENCY, fmt, from_fen, to_fen
from ledger.schemas import Money, PostingIn, TransactionIn, TransactionOut, clean_text

#: A statement line and a posted entry match when their dates are at most this many days apart.
MATCH_WINDOW_DAYS = 7
#: Lines in one statement, at most.
MAX_LINES = 20000
#: Statement files, at most this many bytes.
MAX_FILE_BYTES = 20 * 1024 * 1024
LAYOUTS = "rules.bank_layouts"
ZERO = Decimal("0.00")
#: ``date`` under a name that fields called ``date`` do not shadow.
Day = date


# --- layouts -------------------------------------------------------------------------------


class Columns(BaseModel):
    """Which header names the statement's columns carry. Either ``amount`` (one signed
    column) or both ``income`` and ``expense`` (two columns, one of them empty per line)."""

    model_config = ConfigDict(extra="forbid")

    date: str
    income: str | None = None
    expense: str | None = None
    amount: str | None = None
    balance: str
    counterparty: str | None = None
    reference: str | None = None
    memo: str | None = None

    @model_validator(mode="after")
    def _amounts(self) -> Columns:
        two = self.income is not None and self.expense is not None
        if two == (self.amount is not None) or (self.income is None) != (self.expense is None):
            raise ValueError("name either amount (one signed column) or both income and expense")
        return self

    def named(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class Layout(BaseModel):
    """A bank's export layout (a TOML file; see ``rules/bank_layouts/`` and the README)."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
    description: str = ""
    kind: Literal["csv", "xlsx"]
    #: CSV only: tried in order; the first that decodes the whole file is used.
    encodings: list[str] = Field(default_factory=lambda: ["utf-8-sig", "gb18030"])
    #: CSV only.
    delimiter: Annotated[str, Field(min_length=1, max_length=1)] = ","
    #: XLSX only: the worksheet, by position from 0.
    sheet: int = 0
    order: Literal["oldest_first", "newest_first"] = "oldest_first"
    #: A row whose first non-empty cell contains one of these is the total row.
    total: list[str] = Field(default_factory=lambda: ["合计"])
    date_formats: list[str] = Field(default_factory=lambda: ["%Y-%m-%d", "%Y%m%d", "%Y/%m/%d"])
    columns: Columns


def parse_layout(text: str, *, name: str = "layout.toml") -> Layout:
    """A layout from its TOML text; refused (422) naming the key."""
    try:
        return Layout.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise ValidationFailed(
            [Problem(f"{name}: {exc}", field="format", rule="bank-layout")]
        ) from None
    except ValidationError as exc:
        problems = [
            Problem(
                f"{name}: {'.'.join(str(p) for p in e['loc']) or 'layout'}: {e['msg']}",
                field="format",
                rule="bank-layout",
            )
            for e in exc.errors()
        ]
        raise ValidationFailed(problems) from None


def presets() -> dict[str, Layout]:
    """The layouts shipped with the service, by name."""
    found: dict[str, Layout] = {}
    for item in sorted(resources.files(LAYOUTS).iterdir(), key=lambda p: p.name):
        if item.name.endswith(".toml"):
            layout = parse_layout(item.read_text(encoding="utf-8"), name=item.name)
            found[layout.name] = layout
    return found


def layout_named(name: str) -> Layout:
    """A preset by name, or a layout file by its path."""
    known = presets()
    if name in known:
        return known[name]
    path = Path(name)
    if path.suffix == ".toml" and path.is_file():
        return parse_layout(path.read_text(encoding="utf-8"), name=path.name)
    raise ValidationFailed(
        [
            Problem(
                f"no layout {name!r}: use one of {', '.join(sorted(known))} or the path of a "
                "layout .toml file",
                field="format",
                rule="bank-layout",
            )
        ]
    )


# --- statement lines -----------------------------------------------------------------------


def _text(max_length: int) -> BeforeValidator:
    return BeforeValidator(partial(clean_text, max_length=max_length, multiline=False))


class LineIn(BaseModel):
    """One statement line. ``amount``: positive is money in (a debit to the bank account)."""

    model_config = ConfigDict(extra="forbid")

    date: date
    amount: Money
    balance: Money
    counterparty: Annotated[str, _text(200)] = ""
    reference: Annotated[str, _text(100)] = ""
    memo: Annotated[str, _text(500)] = ""


class StatementIn(BaseModel):
    """A statement of one account, its lines oldest first."""

    model_config = ConfigDict(extra="forbid")

    account: Annotated[str, Field(min_length=1, max_length=200)]
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=MAX_LINES)]


@dataclass(frozen=True)
class Read:
    """A line as read: where it stands in its source (a file's line, or ``lines[i]``)."""

    line: LineIn
    where: str


class LineOut(BaseModel):
    id: int
    account: str
    date: date
    amount: Money
    balance: Money
    counterparty: str
    reference: str
    memo: str
    status: Literal["open", "matched", "dismissed"]
    entry: str | None = None
    dismissed_reason: str | None = None


class ProposalOut(BaseModel):
    """An unmatched line and the entry suggested for it, for the treasurer to confirm, edit or
    dismiss."""

    line: LineOut
    draft: TransactionIn


class ImportOut(BaseModel):
    imported: int
    duplicates: int
    matched: int
    proposals: list[ProposalOut]


def _problem(where: str, message: str, rule: str = "bank-statement", **details: Any) -> Problem:
    return Problem(f"{where}: {message}", field=where, rule=rule, details=dict(details))


def _refused(problems: list[Problem]) -> ValidationFailed:
    return ValidationFailed(problems[:50])


# --- reading files -------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value).strip().strip("\t").strip()


def _csv_rows(body: bytes, layout: Layout) -> list[tuple[int, list[Any]]]:
    text = None
    for encoding in layout.encodings:
        try:
            text = body.decode(encoding)
            break
        except (UnicodeDecodeError, LookupError):
            continue
    if text is None:
        first = layout.encodings[0]
        try:
            body.decode(first)
            line = 0
        except UnicodeDecodeError as exc:
            line = body[: exc.start].count(b"\n") + 1
        except LookupError:
            line = 0
        where = f"line {line}" if line else "file"
        raise _refused(
            [
                _problem(
                    where,
                    "the file is not text in any of this layout's encodings "
                    f"({', '.join(layout.encodings)}); export it again as CSV, or choose "
                    "another --format",
                    rule="bank-encoding",
                )
            ]
        )
    reader_ = csv.reader(io.StringIO(text, newline=""), delimiter=layout.delimiter)
    rows: list[tuple[int, list[Any]]] = []
    start = 1
    try:
        for row in reader_:
            rows.append((start, [c.strip() for c in row]))
            start = reader_.line_num + 1
    except csv.Error as exc:
        raise _refused([_problem(f"line {start}", f"not CSV: {exc}", rule="bank-format")]) from None
    return rows


def _xlsx_rows(body: bytes, layout: Layout) -> list[tuple[int, list[Any]]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise _refused(
            [_problem("file", f"not an XLSX workbook ({exc})", rule="bank-format")]
        ) from None
    try:
        sheets = book.worksheets
        if layout.sheet >= len(sheets):
            raise _refused(
                [_problem("file", f"the workbook has no sheet #{layout.sheet}", rule="bank-format")]
            )
        return [
            (number, list(row))
            for number, row in enumerate(sheets[layout.sheet].iter_rows(values_only=True), 1)
        ]
    finally:
        book.close()


def _date(value: Any, layout: Layout) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _cell_text(value)
    for candidate in (text, text.split(" ")[0] if text else ""):
        for pattern in layout.date_formats:
            try:
                return datetime.strptime(candidate, pattern).date()
            except ValueError:
                continue
    return None


def _money(value: Any) -> Decimal | None:
    """A cell's amount: None when empty; raises ValueError when not a number of fen."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(str(value))
    if isinstance(value, int):
        return Decimal(value).quantize(Decimal("0.01"))
    text = _cell_text(value).replace(",", "").replace("，", "").replace(" ", "")
    if text in {"", "-", "--"}:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise ValueError(text)
    return amount.quantize(Decimal("0.01"))


def read_rows(rows: list[tuple[int, list[Any]]], layout: Layout, *, today: date) -> list[Read]:
    """The statement's lines, oldest first, from the rows of a file; refused naming each bad
    line (at most 50)."""
    named = layout.columns.named()
    header_at = None
    for index, (_number, cells) in enumerate(rows):
        if layout.columns.date in [_cell_text(c) for c in cells]:
            header_at = index
            break
    if header_at is None:
        raise _refused(
            [
                _problem(
                    "file",
                    f"no header row naming {layout.columns.date!r}: is this a statement in the "
                    f"{layout.name} layout? ({layout.description})",
                    rule="bank-columns",
                )
            ]
        )
    number, header = rows[header_at]
    names = [_cell_text(c) for c in header]
    missing = [f"{title} ({field})" for field, title in named.items() if title not in names]
    if missing:
        raise _refused(
            [
                _problem(
                    f"line {number}",
                    f"the header lacks the column(s) {', '.join(missing)} of the {layout.name} "
                    "layout",
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
        texts = [_cell_text(c) for c in cells]
        if not any(texts):
            continue
        where = f"line {number}"
        if total_row is not None:
            problems.append(
                _problem(
                    where, f"a row after the total row (line {total_row[0]})", rule="bank-total"
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

        day = _date(cell("date"), layout)
        if day is None:
            problems.append(
                _problem(
                    where,
                    f"{layout.columns.date} {_cell_text(cell('date'))!r} is not a date "
                    f"({' or '.join(layout.date_formats)}); a total row must start with "
                    f"{' or '.join(layout.total)}",
                    rule="bank-date",
                )
            )
            continue
        if day > today:
            problems.append(
                _problem(where, f"date {day} is in the future (today is {today})", rule="bank-date")
            )
            continue
        try:
            if layout.columns.amount is not None:
                amount = _money(cell("amount"))
            else:
                income, expense = _money(cell("income")), _money(cell("expense"))
                if income and expense:
                    raise _Bad(
                        f"both {layout.columns.income} ({income}) and "
                        f"{layout.columns.expense} ({expense}) have an amount"
                    )
                amount = income if income else (-expense if expense else None)
            balance = _money(cell("balance"))
        except ValueError as exc:
            problems.append(_problem(where, f"not an amount: {exc}", rule="bank-amount"))
            continue
        except _Bad as exc:
            problems.append(_problem(where, str(exc), rule="bank-amount"))
            continue
        if not amount:
            problems.append(_problem(where, "no amount in or out", rule="bank-amount"))
            continue
        if balance is None:
            problems.append(
                _problem(
                    where, f"no {layout.columns.balance} (running balance)", rule="bank-amount"
                )
            )
            continue
        try:
            line = LineIn(
                date=day,
                amount=amount,
                balance=balance,
                counterparty=_cell_text(cell("counterparty")),
                reference=_cell_text(cell("reference")),
                memo=_cell_text(cell("memo")),
            )
        except ValidationError as exc:
            for error in exc.errors():
                problems.append(
                    _problem(where, f"{'.'.join(map(str, error['loc']))}: {error['msg']}")
                )
            continue
        found.append(Read(line, where))
    if total_row is not None and layout.columns.amount is None:
        problems += _check_total(total_row, at, found, layout)
    if problems:
        raise _refused(problems)
    if not found:
        raise _refused([_problem("file", "the statement has no lines", rule="bank-statement")])
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
            stated = _money(cells[index]) if index < len(cells) else None
        except ValueError:
            stated = None
        if stated is not None and stated != sums[field]:
            problems.append(
                _problem(
                    f"line {number}",
                    f"the total row says {title} {fmt(stated)}, but the lines add up to "
                    f"{fmt(sums[field])}: a line is missing or extra",
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
            _csv_rows(body, self.layout)
            if self.layout.kind == "csv"
            else _xlsx_rows(body, self.layout)
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
        return any(names <= {_cell_text(c) for c in cells} for _n, cells in rows[:50])

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


def read_file(body: bytes, filename: str, account: str, layout_name: str | None) -> list[Read]:
    """The lines of a statement file in the layout named (else the one preset that fits)."""
    if not body:
        raise _refused([_problem("file", "the file is empty", rule="bank-format")])
    if len(body) > MAX_FILE_BYTES:
        raise _refused(
            [_problem("file", f"the file is over {MAX_FILE_BYTES} bytes", rule="bank-format")]
        )
    if layout_name is not None:
        return StatementImporter(layout_named(layout_name), account).lines_of(body)
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
        raise _refused(
            [
                _problem(
                    "file",
                    f"{why}: name one with --format ({known}) or write a layout file "
                    "(README: the monthly bank routine)",
                    rule="bank-layout",
                )
            ]
        )
    return StatementImporter(fitting[0], account).lines_of(body)


def lines_of_json(statement: StatementIn, *, today: date) -> list[Read]:
    problems = [
        _problem(
            f"lines[{i}]", f"date {line.date} is in the future (today is {today})", rule="bank-date"
        )
        for i, line in enumerate(statement.lines)
        if line.date > today
    ]
    problems += [
        _problem(f"lines[{i}]", "no amount in or out", rule="bank-amount")
        for i, line in enumerate(statement.lines)
        if line.amount == 0
    ]
    if problems:
        raise _refused(problems)
    return [Read(line, f"lines[{i}]") for i, line in enumerate(statement.lines)]


# --- storing -------------------------------------------------------------------------------


def _bank_account(session: Session, community_id: str, name: str) -> Account:
    account: Account | None = session.execute(
        select(Account).where(col(Account.community_id) == community_id, col(Account.name) == name)
    ).scalar_one_or_none()
    if account is None or not (account.code.startswith("1002") or account.code.startswith("1009")):
        raise ValidationFailed(
            [
                Problem(
                    f"{name!r} is not a bank account of this community (1002 银行存款 or "
                    "1009 其他货币资金)",
                    field="account",
                    rule="bank-account",
                    details={"account": name},
                )
            ]
        )
    return account


def _key(account: str, line: LineIn) -> tuple[str, date, str, int]:
    return (account, line.date, line.reference, to_fen(line.amount))


def _check_running(reads: Sequence[Read]) -> list[Problem]:
    problems = []
    for before, read in itertools.pairwise(reads):
        if read.line.date < before.line.date:
            problems.append(
                _problem(
                    read.where,
                    f"dated {read.line.date}, before {before.where} ({before.line.date}): the "
                    "lines must be in the statement's order",
                    rule="bank-order",
                )
            )
            continue
        expected = before.line.balance + read.line.amount
        if expected != read.line.balance:
            problems.append(
                _problem(
                    read.where,
                    f"the balance {fmt(read.line.balance)} does not follow from {before.where} "
                    f"(balance {fmt(before.line.balance)} plus {fmt(read.line.amount)} is "
                    f"{fmt(expected)}): a line is missing, extra or altered",
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
            _problem(
                first.where,
                f"the balance {fmt(first.line.balance)} does not follow from the line imported "
                f"before it ({before.date}, {before.reference or 'no reference'}, balance "
                f"{fmt(from_fen(before.balance_fen))}): lines between the two statements are "
                "missing",
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
            _problem(
                last.where,
                f"the line imported after this one ({after.date}, "
                f"{after.reference or 'no reference'}, balance "
                f"{fmt(from_fen(after.balance_fen))}) does not follow from its balance "
                f"{fmt(last.line.balance)}",
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
    address: str | None = None,
) -> ImportOut:
    """Store a statement's lines (all or nothing), skip those already imported, match the new
    ones, and answer the proposals for the rest."""
    problems = _check_running(reads)
    seen: dict[tuple[Any, ...], str] = {}
    for read in reads:
        key = _key(account, read.line)
        if key in seen:
            problems.append(
                _problem(
                    read.where,
                    f"repeats {seen[key]}: same date, reference and amount (the key of a "
                    "statement line)",
                    rule="bank-duplicate",
                )
            )
        seen[key] = read.where
    if problems:
        raise _refused(problems)
    now = clock.now()
    with writer(books.engine) as session:
        community = books.community(session, slug, for_update=True)
        _bank_account(session, community.id, account)
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
            _problem(
                read.where,
                f"already imported with the balance {fmt(from_fen(stored[k].balance_fen))}, "
                f"this statement says {fmt(read.line.balance)}",
                rule="bank-duplicate",
            )
            for read in reads
            if (k := _key(account, read.line)) in stored
            and stored[k].balance_fen != to_fen(read.line.balance)
        ]
        problems = conflicts + _neighbours(session, community.id, account, reads, keys)
        if problems:
            raise _refused(problems)
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
        matched = _match(session, community.id, account, new)
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
                    "imported": len(new),
                    "duplicates": len(reads) - len(new),
                    "matched": matched,
                    "from": str(reads[0].line.date),
                    "to": str(reads[-1].line.date),
                },
            )
        open_rows = [r for r in new if r.status == "open"]
        proposals = [_proposal(session, community.id, r) for r in open_rows]
    return ImportOut(
        imported=len(new), duplicates=len(reads) - len(new), matched=matched, proposals=proposals
    )


# --- matching ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OnAccount:
    """An entry's net amount on one account."""

    id: str
    seq: int | None
    status: str
    date: Day
    payee: str
    narration: str
    documents: str
    kind: str
    fen: int


def _entries_on(
    session: Session,
    community_id: str,
    account: str,
    *,
    statuses: tuple[str, ...] = ("posted",),
    start: date | None = None,
    end: date | None = None,
) -> list[OnAccount]:
    query = (
        select(
            col(Entry.id),
            col(Entry.seq),
            col(Entry.status),
            col(Entry.date),
            col(Entry.payee),
            col(Entry.narration),
            col(Entry.documents),
            col(Entry.kind),
            func.sum(col(Posting.amount_fen)),
        )
        .join(Posting, col(Posting.entry_id) == col(Entry.id))
        .join(Account, col(Account.id) == col(Posting.account_id))
        .where(col(Entry.community_id) == community_id)
        .where(col(Account.name) == account)
        .where(col(Entry.status).in_(statuses))
        .group_by(
            col(Entry.id),
            col(Entry.seq),
            col(Entry.status),
            col(Entry.date),
            col(Entry.payee),
            col(Entry.narration),
            col(Entry.documents),
            col(Entry.kind),
        )
        .order_by(col(Entry.date), col(Entry.seq))
    )
    if start is not None:
        query = query.where(col(Entry.date) >= start)
    if end is not None:
        query = query.where(col(Entry.date) <= end)
    return [
        OnAccount(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], int(r[8]))
        for r in session.execute(query)
        if int(r[8])
    ]


def _taken(session: Session, community_id: str) -> set[str]:
    return {
        entry_id
        for (entry_id,) in session.execute(
            select(col(BankLine.entry_id))
            .where(col(BankLine.community_id) == community_id)
            .where(col(BankLine.entry_id).is_not(None))
        )
    }


def _score(line: BankLine, entry: OnAccount) -> tuple[int, int, int]:
    score = 0
    if line.reference and (line.reference in entry.documents or line.reference in entry.narration):
        score += 2
    if line.counterparty:
        a, b = payee_key(line.counterparty), payee_key(entry.payee)
        if b and (a == b or a in b or b in a):
            score += 1
    return (-score, abs((entry.date - line.date).days), entry.seq or 0)


def _match(session: Session, community_id: str, account: str, lines: Iterable[BankLine]) -> int:
    """Match each open line to a posted entry (see the module docstring); the count matched."""
    lines = [line for line in lines if line.status == "open"]
    if not lines:
        return 0
    window = timedelta(days=MATCH_WINDOW_DAYS)
    start = min(line.date for line in lines) - window
    end = max(line.date for line in lines) + window
    candidates = _entries_on(session, community_id, account, start=start, end=end)
    taken = _taken(session, community_id)
    matched = 0
    for line in sorted(lines, key=lambda r: (r.date, r.position)):
        fitting = [
            e
            for e in candidates
            if e.fen == line.amount_fen
            and abs((e.date - line.date).days) <= MATCH_WINDOW_DAYS
            and e.id not in taken
        ]
        if not fitting:
            continue
        best = min(fitting, key=lambda e: _score(line, e))
        line.entry_id, line.status = best.id, "matched"
        session.add(line)
        taken.add(best.id)
        matched += 1
    session.flush()
    return matched


def rematch(*, books: Books, slug: str, account: str, actor: str) -> int:
    """Match the account's open lines again (after entries were posted by hand)."""
    with writer(books.engine) as session:
        community = books.community(session, slug, for_update=True)
        _bank_account(session, community.id, account)
        rows = list(
            session.execute(
                select(BankLine)
                .where(col(BankLine.community_id) == community.id)
                .where(col(BankLine.account) == account)
                .where(col(BankLine.status) == "open")
            ).scalars()
        )
        return _match(session, community.id, account, rows)


# --- proposals -----------------------------------------------------------------------------


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
            for e in _entries_on(session, community_id, row.account)
            if payee_key(e.payee) == key and (e.fen > 0) == (row.amount_fen > 0)
        ]
        for entry in reversed(recent):
            others = session.execute(
                select(col(Account.name))
                .join(Posting, col(Posting.account_id) == col(Account.id))
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


def _proposal(session: Session, community_id: str, row: BankLine) -> ProposalOut:
    return ProposalOut(line=_line_out(row), draft=_draft(session, community_id, row))


def _line(session: Session, community_id: str, line_id: int, *, lock: bool = False) -> BankLine:
    if not 0 < line_id < 2**31:
        raise NotFound(f"no statement line {line_id} in this community")
    query = select(BankLine).where(col(BankLine.id) == line_id)
    if lock:
        query = query.with_for_update()
    row: BankLine | None = session.execute(query).scalar_one_or_none()
    if row is None or row.community_id != community_id:
        raise NotFound(f"no statement line {line_id} in this community")
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
        return [_proposal(session, community.id, r) for r in session.execute(query).scalars()]


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
                        f"statement line {line_id} is {row.status}"
                        + (f" (entry {row.entry_id})" if row.entry_id else "")
                        + "; only an open proposal is confirmed",
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
                f"the entry puts {fmt(on_line)} on {row.account}, but the statement line is "
                f"{fmt(from_fen(row.amount_fen))}",
                field="draft.postings",
                rule="bank-proposal",
            )
        )
    if abs((chosen.date - row.date).days) > MATCH_WINDOW_DAYS:
        problems.append(
            Problem(
                f"the entry is dated {chosen.date}, more than {MATCH_WINDOW_DAYS} days from the "
                f"statement line ({row.date})",
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
                        f"statement line {line_id} is {row.status}; only an open proposal is "
                        "dismissed",
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


# --- reconciliation ------------------------------------------------------------------------


class ItemOut(BaseModel):
    """One item on one side only: an entry not yet on the statement, or a line not yet in
    the books (``status`` says why: open, dismissed, or its entry is pending or later)."""

    date: date
    amount: Money
    description: str
    entry: str | None = None
    line: int | None = None
    status: str


class ReconciliationOut(BaseModel):
    account: str
    date: date
    book_balance: Money
    bank_balance: Money
    book_only: list[ItemOut]
    bank_only: list[ItemOut]
    adjusted_book_balance: Money
    adjusted_bank_balance: Money
    difference: Money
    open_lines: int = Field(description="statement lines still to confirm or dismiss")
    statement_from: Day = Field(description="the first statement line of the account")


def _reconcile(session: Session, community_id: str, account: str, day: date) -> ReconciliationOut:
    rows = list(
        session.execute(
            select(BankLine)
            .where(col(BankLine.community_id) == community_id)
            .where(col(BankLine.account) == account)
            .order_by(col(BankLine.date), col(BankLine.position))
        ).scalars()
    )
    upto = [r for r in rows if r.date <= day]
    if not upto:
        raise NotFound(
            [
                Problem(
                    f"no statement line of {account} on or before {day}: import the statement "
                    "first",
                    field="date",
                    rule="bank-reconciliation",
                )
            ]
        )
    start = rows[0].date
    bank_balance = from_fen(upto[-1].balance_fen)
    book_balance = from_fen(
        int(
            session.execute(
                select(func.coalesce(func.sum(col(Posting.amount_fen)), 0))
                .join(Entry, col(Entry.id) == col(Posting.entry_id))
                .join(Account, col(Account.id) == col(Posting.account_id))
                .where(col(Entry.community_id) == community_id)
                .where(col(Account.name) == account)
                .where(col(Entry.status) == "posted")
                .where(col(Entry.date) <= day)
            ).scalar_one()
        )
    )
    entries = {
        e.id: e for e in _entries_on(session, community_id, account, statuses=("posted", "pending"))
    }
    cleared = {r.entry_id for r in upto if r.entry_id is not None}
    book_only = [
        ItemOut(
            date=e.date,
            amount=from_fen(e.fen),
            description=f"#{e.seq} {e.payee} {e.narration}".strip(),
            entry=e.id,
            status="not on the statement yet",
        )
        for e in entries.values()
        if e.status == "posted" and start <= e.date <= day and e.id not in cleared
    ]
    bank_only = []
    for r in upto:
        entry = entries.get(r.entry_id) if r.entry_id else None
        if entry is not None and entry.status == "posted" and entry.date <= day:
            continue
        if r.status == "dismissed":
            why = f"dismissed: {r.dismissed_reason}"
        elif entry is None:
            why = "open: to confirm or dismiss"
        elif entry.status == "pending":
            why = f"entry {entry.id} waits for approval"
        else:
            why = f"entry #{entry.seq} is dated {entry.date}, after {day}"
        bank_only.append(
            ItemOut(
                date=r.date,
                amount=from_fen(r.amount_fen),
                description=" ".join(x for x in (r.counterparty, r.memo, r.reference) if x),
                line=r.id,
                entry=r.entry_id,
                status=why,
            )
        )
    adjusted_book = book_balance + sum((i.amount for i in bank_only), ZERO)
    adjusted_bank = bank_balance + sum((i.amount for i in book_only), ZERO)
    return ReconciliationOut(
        account=account,
        date=day,
        book_balance=book_balance,
        bank_balance=bank_balance,
        book_only=book_only,
        bank_only=bank_only,
        adjusted_book_balance=adjusted_book,
        adjusted_bank_balance=adjusted_bank,
        difference=adjusted_book - adjusted_bank,
        open_lines=sum(1 for r in upto if r.status == "open"),
        statement_from=start,
    )


def reconcile(*, books: Books, slug: str, account: str, day: date) -> ReconciliationOut:
    """The reconciliation (银行存款余额调节表) of ``account`` on ``day``."""
    with reader(books.engine) as session:
        community = books.community(session, slug)
        _bank_account(session, community.id, account)
        return _reconcile(session, community.id, account, day)


def unreconciled(
    session: Session, community_id: str, start: date, end: date, period: str = ""
) -> list[Problem]:
    """For the period close: each account with statement lines dated in ``start..end`` whose
    reconciliation on ``end`` shows a difference or open lines (``reconcile-before-close``)."""
    accounts = [
        name
        for (name,) in session.execute(
            select(col(BankLine.account))
            .where(col(BankLine.community_id) == community_id)
            .where(col(BankLine.date) >= start)
            .where(col(BankLine.date) <= end)
            .distinct()
            .order_by(col(BankLine.account))
        )
    ]
    problems = []
    for account in accounts:
        found = _reconcile(session, community_id, account, end)
        if found.difference == 0 and found.open_lines == 0:
            continue
        problems.append(
            Problem(
                f"cannot close {period or f'{start} to {end}'}: the bank reconciliation of "
                f"{account} on {end} shows a "
                f"difference of {fmt(found.difference)} (adjusted book "
                f"{fmt(found.adjusted_book_balance)}, adjusted bank "
                f"{fmt(found.adjusted_bank_balance)}) and {found.open_lines} statement "
                "line(s) not yet confirmed or dismissed; reconcile it first "
                "(`commons bank reconcile`), or set reconcile_before_close = false",
                rule="reconcile-before-close",
                details={
                    "period": period,
                    "account": account,
                    "date": str(end),
                    "difference": fmt(found.difference),
                    "open_lines": found.open_lines,
                },
            )
        )
    return problems
