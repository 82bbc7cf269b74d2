"""A bank's export layout and the cells of its files.

:class:`Layout` is a small TOML file (two shipped in ``rules/bank_layouts/``, :func:`presets`)
saying where each column is, which encodings to try, whether income and spending are two columns
or one signed column, and which row is the total. Below it the cell readers: the rows of a CSV
file (decoded in the layout's encodings) or an XLSX sheet, and a cell as text, date or amount.
Turning rows into statement lines is :mod:`rules.bank_files`.
"""

from __future__ import annotations

import csv
import io
import tomllib
import zipfile
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from ledger.errors import Problem, ValidationFailed
from ledger.messages import Invalid, msg
from rules.bank_lines import problem, refused

LAYOUTS = "rules.bank_layouts"


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
            raise Invalid(msg("bank_format.name-either-amount-one"))
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
            [
                Problem(
                    msg("bank_format.message-2", name=name, exc=exc),
                    field="format",
                    rule="bank-layout",
                )
            ]
        ) from None
    except ValidationError as exc:
        problems = [
            Problem(
                msg(
                    "bank_format.message",
                    name=name,
                    value=".".join(str(p) for p in e["loc"]) or "layout",
                    msg=e["msg"],
                ),
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
                msg("bank_format.no-layout-use-one", name=name, known=", ".join(sorted(known))),
                field="format",
                rule="bank-layout",
            )
        ]
    )


# --- cells ----------------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value).strip().strip("\t").strip()


def csv_rows(body: bytes, layout: Layout) -> list[tuple[int, list[Any]]]:
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
        raise refused(
            [
                problem(
                    where,
                    msg("bank_format.file-text-any-layout", encodings=", ".join(layout.encodings)),
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
        raise refused(
            [problem(f"line {start}", msg("bank_format.csv", exc=exc), rule="bank-format")]
        ) from None
    return rows


def xlsx_rows(body: bytes, layout: Layout) -> list[tuple[int, list[Any]]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise refused(
            [problem("file", msg("bank_format.xlsx-workbook", exc=exc), rule="bank-format")]
        ) from None
    try:
        sheets = book.worksheets
        if layout.sheet >= len(sheets):
            raise refused(
                [
                    problem(
                        "file",
                        msg("bank_format.workbook-has-no-sheet", sheet=layout.sheet),
                        rule="bank-format",
                    )
                ]
            )
        return [
            (number, list(row))
            for number, row in enumerate(sheets[layout.sheet].iter_rows(values_only=True), 1)
        ]
    finally:
        book.close()


def cell_date(value: Any, layout: Layout) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    for candidate in (text, text.split(" ")[0] if text else ""):
        for pattern in layout.date_formats:
            try:
                return datetime.strptime(candidate, pattern).date()
            except ValueError:
                continue
    return None


def cell_money(value: Any) -> Decimal | None:
    """A cell's amount: None when empty; raises ValueError when not a number of fen."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(str(value))
    if isinstance(value, int):
        return Decimal(value).quantize(Decimal("0.01"))
    text = cell_text(value).replace(",", "").replace("，", "").replace(" ", "")
    if text in {"", "-", "--"}:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise ValueError(text)
    return amount.quantize(Decimal("0.01"))
