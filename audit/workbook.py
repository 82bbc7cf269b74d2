"""Tables as files an auditor opens: UTF-8 CSV with a byte-order mark (so Excel reads the
Chinese correctly) and one XLSX workbook with every table as a sheet. A CSV's text cell that
starts like a formula (``=``, ``+``, ``-``, ``@``, tab, CR) is written with a ``'`` in front
(:func:`audit.tables.csv_text`), so opening the file never runs what a payee or a narration
says; amounts are numbers and stay as they are.

The workbook follows what Chinese auditors expect of a ledger export: Chinese headers, account
codes as text (``1002-01`` must not become a date or a number), amounts as numbers with two
decimals and thousands separators, dates as dates, the header row frozen, column widths that
fit CJK text (a CJK character is two columns wide). openpyxl writes the workbook and each
sheet's header; the data rows are streamed into the sheets as XML (:func:`write_table`), so a
year of 100k entries neither sits in memory as cells nor pays openpyxl's cost per cell.

Determinism: openpyxl stamps the workbook with "now" and its zip entries with the local time;
the document properties are set from the export's clock, and :class:`FixedTimeZip` gives every
zip entry the same timestamp, so the same books and clock give the same bytes.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from xml.sax.saxutils import escape

# openpyxl (and the numpy it imports) is loaded when a workbook is written, not with this
# module: the public pages import ``cell_text`` from here, and loading openpyxl cost every
# start of the service about a second.
if TYPE_CHECKING:
    from openpyxl.cell import WriteOnlyCell

from audit.tables import NEUTRALISE, Table, Value, csv_text
from ledger.money import FEN, fmt

MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
MAX_WIDTH = 60
A4 = 9  # the paper size's code in a sheet's page setup
ZipTime = tuple[int, int, int, int, int, int]


class FixedTimeZip(zipfile.ZipFile):
    """A zip writer whose every entry carries ``date_time`` and fixed permissions."""

    def __init__(
        self, file: str | Path | IO[bytes], date_time: ZipTime, compresslevel: int | None = None
    ) -> None:
        super().__init__(
            file, "w", zipfile.ZIP_DEFLATED, allowZip64=True, compresslevel=compresslevel
        )
        self.fixed_time = date_time

    def info(self, name: str, *, stored: bool = False) -> zipfile.ZipInfo:
        """An entry's header; ``stored`` for data already compressed (a workbook)."""
        info = zipfile.ZipInfo(name, self.fixed_time)
        info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
        info._compresslevel = self.compresslevel  # type: ignore[attr-defined]
        info.external_attr = 0o644 << 16
        return info

    def writestr(  # type: ignore[override]
        self,
        zinfo_or_arcname: str | zipfile.ZipInfo,
        data: bytes | str,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        name = getattr(zinfo_or_arcname, "filename", zinfo_or_arcname)
        super().writestr(self.info(str(name)), data)

    def write(self, filename: Any, arcname: Any = None, *args: Any, **kwargs: Any) -> None:
        with open(filename, "rb") as src, self.open(self.info(str(arcname)), "w") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)


def display_width(text: str) -> int:
    """Columns a string takes in a spreadsheet, from its UTF-8 length: CJK characters (three
    bytes) count two, ASCII one; other characters count a little over their width, which
    only makes a column a little wider. Computed in C, as it runs on every cell."""
    return len(text) + (len(text.encode("utf-8")) - len(text)) // 2


def cell_text(value: Value) -> str:
    """A value as CSV text: amounts plain with two places, dates ISO, blanks empty."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return fmt(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _style_ids(ws: Any, table: Table) -> list[int]:
    """The workbook's style index for each column's kind (registered with openpyxl, so its
    styles part carries the number formats)."""
    from openpyxl.cell import WriteOnlyCell

    ids = []
    for column in table.columns:
        fmt_code = {"money": MONEY_FORMAT, "area": MONEY_FORMAT, "date": DATE_FORMAT}.get(
            column.kind, "@" if column.kind == "code" else None
        )
        if fmt_code is None:
            ids.append(0)
            continue
        cell = WriteOnlyCell(ws)
        cell.number_format = fmt_code
        ids.append(cell.style_id)
    return ids


#: XML 1.0 forbids most control characters; the books refuse them, this is the last guard.
_NOT_XML = {c: None for c in range(32) if c not in (9, 10, 13)}
_HAS_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]").search
_NEEDS_ESCAPE = re.compile("[&<>]").search
_EPOCH = date(1899, 12, 30)


def _cell(ref: str, value: Value, style: int) -> tuple[str, str]:
    """A value as (CSV text, sheet cell XML); any type, as the fast path in
    :func:`write_table` would write it."""
    s = f' s="{style}"' if style else ""
    text = cell_text(value)
    if isinstance(value, Decimal):
        return text, f'<c r="{ref}"{s}><v>{text}</v></c>'
    if isinstance(value, int):
        return text, f'<c r="{ref}"{s}><v>{value}</v></c>'
    if isinstance(value, date):
        return text, f'<c r="{ref}"{s}><v>{(value - _EPOCH).days}</v></c>'
    xml = escape(str(value).translate(_NOT_XML))
    if isinstance(value, str):
        text = csv_text(text)
    return text, f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{xml}</t></is></c>'


def write_table(
    table: Table,
    out: IO[bytes],
    sheet: IO[bytes] | None = None,
    styles: list[int] | None = None,
    *,
    first_row: int = 2,
    counted: list[int] | None = None,
) -> list[int]:
    """Write ``table`` as UTF-8 CSV with a BOM to ``out`` and, with ``sheet``, its rows as the
    ``<row>`` elements of a worksheet from ``first_row`` on (numbers, date serials and inline
    strings, as openpyxl writes them in write-only mode, at a tenth of the cost) to ``sheet``;
    return each column's widest display width (and append the number of rows to ``counted``).

    One pass over the rows: each value is formatted once for both files (an amount's text is
    the CSV cell and the sheet's ``<v>``), the common types dispatched on their exact type."""
    from openpyxl.utils import get_column_letter

    count = len(table.columns)
    styles = styles or [0] * count
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    headers = [c.header for c in table.columns]
    writer.writerow(headers)
    widths = [display_width(h) for h in headers]
    letters = [get_column_letter(i) for i in range(1, count + 1)]
    attrs = [f' s="{style}"' if style else "" for style in styles]
    columns = list(zip(range(count), letters, attrs, strict=True))
    xml: list[str] = []
    out.write("\ufeff".encode())
    number = first_row - 1
    for number, row in enumerate(table.rows(), start=first_row):
        cells: list[str] = []
        parts: list[str] = []
        for index, letter, s in columns:
            value = row[index]
            kind = type(value)
            if value is None:
                cells.append("")
                continue
            if kind is str:
                cell: str = value  # type: ignore[assignment]
                if _HAS_NOT_XML(cell):
                    cell_xml = escape(cell.translate(_NOT_XML))
                elif _NEEDS_ESCAPE(cell):
                    cell_xml = escape(cell)
                else:
                    cell_xml = cell
                parts.append(
                    f'<c r="{letter}{number}"{s} t="inlineStr"><is>'
                    f'<t xml:space="preserve">{cell_xml}</t></is></c>'
                )
                if cell and cell[0] in NEUTRALISE:  # the sheet's inline string is never run
                    cell = csv_text(cell)
            elif kind is Decimal:
                amount: Decimal = value  # type: ignore[assignment]
                cell = f"{amount.quantize(FEN):f}"
                parts.append(f'<c r="{letter}{number}"{s}><v>{cell}</v></c>')
            elif kind is int:
                cell = str(value)
                parts.append(f'<c r="{letter}{number}"{s}><v>{cell}</v></c>')
            elif kind is date:
                day: date = value  # type: ignore[assignment]
                cell, days = day.isoformat(), (day - _EPOCH).days
                parts.append(f'<c r="{letter}{number}"{s}><v>{days}</v></c>')
            else:
                cell, part = _cell(f"{letter}{number}", value, styles[index])
                parts.append(part)
            cells.append(cell)
            if 2 * len(cell) + len(cell) // 3 > widths[index]:  # else not the widest so far
                width = display_width(cell) + (len(cell) // 3 if kind is Decimal else 0)
                if width > widths[index]:
                    widths[index] = width
        writer.writerow(cells)
        xml.append(f'<row r="{number}">{"".join(parts)}</row>')
        if len(xml) == 1000:
            out.write(text.getvalue().encode("utf-8"))
            text.seek(0)
            text.truncate()
            if sheet is not None:
                sheet.write("".join(xml).encode("utf-8"))
            xml = []
    out.write(text.getvalue().encode("utf-8"))
    if sheet is not None:
        sheet.write("".join(xml).encode("utf-8"))
    if counted is not None:
        counted.append(number - first_row + 1)
    return widths


#: Tables whose first row is a title already (the statutory statements: name, 编制单位, period,
#: 单位; the notes: 会计报表附注): their sheets get no title row of their own.
TITLED = frozenset({"balance_sheet", "activities", "cash_flows", "distribution", "notes"})
#: Rows repeated at the top of every printed page: a statement's title and its header.
STATEMENT_HEAD = frozenset({"balance_sheet", "activities", "cash_flows", "distribution"})


class WorkbookWriter:
    """Every table of an export as a sheet of one workbook, written beside the CSVs.

    Made before the CSVs: openpyxl registers the sheets and their styles (the header's, a
    number format per column kind), so :meth:`write_csv` knows each column's style index and
    spools the sheet's rows to a file in ``directory`` while it writes the CSV. :meth:`save`
    then has openpyxl write the workbook (properties, styles, each sheet with its frozen,
    styled header row and the column widths the CSVs measured) and splices each sheet's rows
    into its ``<sheetData>`` (openpyxl spends ~20 µs a cell; a year's journal and ledger are
    millions of cells). ``when`` (naive UTC) stamps the workbook.

    With ``heading`` (the community's name and the period as printed), a sheet whose table
    has no title row of its own gets one above its header (编制单位, the sheet's name, the
    period, 单位：元), in the sheet only: the CSV keeps its layout. Every sheet prints on A4
    landscape, one page wide, its table as the print area and its title and header rows
    repeated on each page.
    """

    def __init__(
        self,
        tables: Sequence[Table],
        directory: Path,
        *,
        when: datetime,
        heading: tuple[str, str] | None = None,
    ) -> None:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Font, PatternFill

        self.tables = list(tables)
        self.directory = directory
        self.widths: dict[str, list[int]] = {}
        self.counts: dict[str, int] = {}
        wb = Workbook(write_only=True)
        wb.properties.creator = "commons-ledger"
        wb.properties.lastModifiedBy = "commons-ledger"
        wb.properties.created = when
        wb.properties.modified = when
        bold = Font(bold=True)
        fill = PatternFill("solid", fgColor="DDEBF7")
        centre = Alignment(horizontal="center", vertical="center")
        self.workbook = wb
        self.sheets: list[tuple[Any, list[WriteOnlyCell]]] = []
        self.titles: dict[str, WriteOnlyCell] = {}
        self.styles: dict[str, list[int]] = {}
        for table in self.tables:
            ws = wb.create_sheet(title=table.title)
            if heading is not None and table.name not in TITLED:
                community, period = heading
                title = WriteOnlyCell(
                    ws, value=f"编制单位：{community}    {table.title}    {period}    单位：元"
                )
                title.font = bold
                title.style_id  # noqa: B018 - registered before the header's, as written
                self.titles[table.name] = title
            ws.freeze_panes = f"A{self._first_row(table)}"
            header = []
            for column in table.columns:
                cell = WriteOnlyCell(ws, value=column.header)
                cell.font, cell.fill, cell.alignment = bold, fill, centre
                cell.style_id  # noqa: B018 - registered now, in the order writing it would
                header.append(cell)
            self.sheets.append((ws, header))
            self.styles[table.name] = _style_ids(ws, table)

    def _first_row(self, table: Table) -> int:
        """The sheet row of the table's first data row (below its title and header rows)."""
        return 3 if table.name in self.titles else 2

    def _spool(self, table: Table) -> Path:
        return self.directory / f"{table.name}.rows.xml"

    def _write(self, table: Table, out: IO[bytes]) -> list[int]:
        counted: list[int] = []
        with open(self._spool(table), "wb") as sheet:
            widths = write_table(
                table,
                out,
                sheet,
                self.styles[table.name],
                first_row=self._first_row(table),
                counted=counted,
            )
        self.counts[table.name] = counted[0]
        return widths

    def write_csv(self, table: Table, out: IO[bytes]) -> None:
        """The table as CSV to ``out``; its sheet's rows to the spool."""
        self.widths[table.name] = self._write(table, out)

    def _print_settings(self, ws: Any, table: Table) -> None:
        """A4 landscape, one page wide and as many long as it takes; the table (title,
        header, rows) as the print area; the title and header rows on every page."""
        from openpyxl.utils import get_column_letter

        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        first = self._first_row(table)
        last = first - 1 + self.counts[table.name]
        ws.print_area = f"A1:{get_column_letter(len(table.columns))}{last}"
        # A statement's first row is its title, its first data row the header.
        head = 2 if table.name in STATEMENT_HEAD else first - 1
        ws.print_title_rows = f"1:{min(head, last)}"

    def save(self, path: Path, *, zip_time: ZipTime) -> None:
        from openpyxl.utils import get_column_letter
        from openpyxl.writer.excel import ExcelWriter

        for table, (ws, header) in zip(self.tables, self.sheets, strict=True):
            widths = self.widths.get(table.name)
            if widths is None:  # not written as CSV: measure it now
                widths = self._write(table, io.BytesIO())
            for index, width in enumerate(widths, start=1):
                ws.column_dimensions[get_column_letter(index)].width = min(width + 2, MAX_WIDTH)
            self._print_settings(ws, table)
            if table.name in self.titles:
                ws.append([self.titles[table.name]])
            ws.append(header)
        skeleton = path.with_suffix(".skeleton.xlsx")
        ExcelWriter(self.workbook, FixedTimeZip(skeleton, zip_time)).save()
        sheets = {f"xl/worksheets/sheet{i}.xml": t for i, t in enumerate(self.tables, start=1)}
        # The fastest deflate for the sheets: 320 MB of XML for a year of 100k entries, which
        # level 1 packs in a third of the default's time to a quarter more bytes.
        with zipfile.ZipFile(skeleton) as source, FixedTimeZip(path, zip_time, 1) as target:
            for name in source.namelist():
                data = source.read(name)
                if name not in sheets:
                    target.writestr(name, data)
                    continue
                head, tail = data.split(b"</sheetData>", 1)
                with target.open(target.info(name), "w") as out:
                    out.write(head)
                    with open(self._spool(sheets[name]), "rb") as rows:
                        shutil.copyfileobj(rows, out, 1 << 20)
                    out.write(b"</sheetData>" + tail)
        skeleton.unlink()
