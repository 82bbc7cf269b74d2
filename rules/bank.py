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

**Where.** This module is the public face; the work is in :mod:`rules.bank_lines` (the shapes
shared by the others), :mod:`rules.bank_format` (layouts, reading cells), :mod:`rules.bank_files`
(a file or JSON into lines), :mod:`rules.bank_statements` (storing), :mod:`rules.bank_matching`,
:mod:`rules.bank_proposals` (confirm, dismiss) and :mod:`rules.bank_reconcile`.
"""

from rules.bank_files import (
    MAX_FILE_BYTES,
    StatementImporter,
    choose_layout,
    lines_of_json,
    read_file,
    read_rows,
)
from rules.bank_format import LAYOUTS, Columns, Layout, layout_named, parse_layout, presets
from rules.bank_lines import (
    MAX_LINES,
    ZERO,
    Day,
    ImportOut,
    LineIn,
    LineOut,
    ProposalOut,
    Read,
    StatementIn,
)
from rules.bank_matching import MATCH_WINDOW_DAYS, OnAccount, rematch
from rules.bank_proposals import (
    ConfirmIn,
    ConfirmOut,
    DismissIn,
    confirm,
    dismiss,
    lines,
    proposals,
)
from rules.bank_reconcile import ItemOut, ReconciliationOut, reconcile, unreconciled
from rules.bank_statements import import_file, import_lines

__all__ = [
    "LAYOUTS",
    "MATCH_WINDOW_DAYS",
    "MAX_FILE_BYTES",
    "MAX_LINES",
    "ZERO",
    "Columns",
    "ConfirmIn",
    "ConfirmOut",
    "Day",
    "DismissIn",
    "ImportOut",
    "ItemOut",
    "Layout",
    "LineIn",
    "LineOut",
    "OnAccount",
    "ProposalOut",
    "Read",
    "ReconciliationOut",
    "StatementImporter",
    "StatementIn",
    "choose_layout",
    "confirm",
    "dismiss",
    "import_file",
    "import_lines",
    "layout_named",
    "lines",
    "lines_of_json",
    "parse_layout",
    "presets",
    "proposals",
    "read_file",
    "read_rows",
    "reconcile",
    "rematch",
    "unreconciled",
]
