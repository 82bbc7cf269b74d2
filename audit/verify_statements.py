"""``verify-export``'s recomputation of the statements: the 科目余额表 and the statutory
statements (会民非01/02/03表, 共有收益分配表) drawn again from the package's own ledger
(``ledger.beancount``: the accounts' open directives with their codes and restrictions, the
balances carried in, the entries) and compared cell by cell with the CSVs. A problem names the
file, the row (its 行次 or account code) and the column: a figure edited in a CSV is caught
even when the manifest's hashes were rebuilt to match.

The package's ledger carries the balances before the period as one entry, so for a period that
does not start on the year's first day 年初数 and 本年累计数 cannot be drawn from it: those
columns are checked only for periods that start a year. The notes are text and not recomputed.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable

from beancount.core import data

from audit.fold import Acct, Fold
from audit.statutory import activities_table, balance_sheet_table, cash_flows_table
from audit.statutory_notes import distribution_table
from audit.tables import TRIAL_BALANCE_COLUMNS, Table, TrialLine, csv_text, trial_rows
from audit.workbook import cell_text
from ledger.messages import Msg, msg
from ledger.money import to_fen
from ledger.period import Period
from ledger.render import txn_from_entry
from ledger.txn import Txn

#: file stem → (rows of title and headers before the figures, the key column, columns to skip
#: when the period does not start a year)
LAYOUT: dict[str, tuple[int, int, tuple[int, ...]]] = {
    "balance_sheet": (2, 1, (2,)),
    "activities": (2, 1, (5, 6, 7)),
    "cash_flows": (2, 1, ()),
    "distribution": (2, -1, (2,)),
    "trial_balance": (1, 0, ()),
}


def ledger_books(entries: Iterable[data.Directive]) -> tuple[dict[str, Acct], list[Txn]]:
    accounts: dict[str, Acct] = {}
    txns: list[Txn] = []
    for entry in entries:
        if isinstance(entry, data.Open):
            meta = entry.meta or {}
            accounts[entry.account] = Acct(
                str(meta.get("code", "")),
                str(meta.get("name-zh", entry.account)),
                str(meta.get("restricted", "")).lower() == "true",
            )
        elif isinstance(entry, data.Transaction):
            txns.append(txn_from_entry(entry)[0])
    return accounts, txns


def trial_table(accounts: dict[str, Acct], txns: list[Txn], period: Period) -> Table:
    opening: dict[str, int] = {}
    debits: dict[str, int] = {}
    credits: dict[str, int] = {}
    for txn in txns:
        for leg in txn.legs:
            fen = to_fen(leg.amount)
            if txn.date < period.start:
                opening[leg.account] = opening.get(leg.account, 0) + fen
            elif txn.date <= period.end:
                side = debits if fen > 0 else credits
                side[leg.account] = side.get(leg.account, 0) + abs(fen)
    names = {n for n, f in opening.items() if f} | set(debits) | set(credits)

    def account(name: str) -> tuple[str, str]:
        acct = accounts.get(name)
        return (acct.code, acct.name_zh) if acct else ("", name)

    ordered = sorted(names, key=lambda n: (account(n)[0], n))
    lines = [TrialLine(n, opening.get(n, 0), debits.get(n, 0), credits.get(n, 0)) for n in ordered]
    return Table(
        "trial_balance", "科目余额表", TRIAL_BALANCE_COLUMNS, lambda: trial_rows(lines, account)
    )


def expected_tables(
    entries: Iterable[data.Directive], period: Period, community: str
) -> list[Table]:
    accounts, txns = ledger_books(entries)
    fold = Fold(period, accounts).fold(txns)
    return [
        trial_table(accounts, txns, period),
        balance_sheet_table(fold, community),
        activities_table(fold, community),
        cash_flows_table(fold, community),
        distribution_table(fold, community),
    ]


def _texts(table: Table) -> list[list[str]]:
    rows = [[c.header for c in table.columns]]
    rows += [
        [csv_text(cell_text(v)) if isinstance(v, str) else cell_text(v) for v in row]
        for row in table.rows()
    ]
    return rows


def check_statements(
    archive: zipfile.ZipFile,
    entries: list[data.Directive],
    period: Period,
    community: str,
) -> list[Msg]:
    """Every difference between the package's statement CSVs and the statements drawn again
    from its ledger."""
    problems: list[Msg] = []
    starts_year = period.start.month == 1 and period.start.day == 1
    names = set(archive.namelist())
    for table in expected_tables(entries, period, community):
        name = f"{table.name}.csv"
        if name not in names:
            problems.append(msg("verify_export.file-missing", name=name))
            continue
        try:
            text = archive.read(name).decode("utf-8-sig")
        except (UnicodeDecodeError, zipfile.BadZipFile) as exc:
            problems.append(msg("verify_export.unreadable", name=name, error=str(exc)))
            continue
        found = list(csv.reader(io.StringIO(text, newline="")))
        want = _texts(table)
        skip_rows, key, year_columns = LAYOUT[table.name]
        skip = () if starts_year else year_columns
        if len(found) != len(want):
            problems.append(
                msg("verify_export.statement-rows", name=name, found=len(found), want=len(want))
            )
        headers = want[skip_rows - 1]
        for index, (have, expect) in enumerate(zip(found, want, strict=False)):
            if index < skip_rows:
                if have != expect:
                    problems.append(
                        msg("verify_export.statement-headers", name=name, row=index + 1)
                    )
                continue
            label = expect[1 if key == 0 else 0]
            row_key = expect[key] if key >= 0 else str(index - skip_rows + 1)
            for column, want_cell in enumerate(expect):
                if column in skip:
                    continue
                have_cell: str | Msg = (
                    have[column] if column < len(have) else msg("verify_export.cell-none")
                )
                if have_cell != want_cell:
                    problems.append(
                        msg(
                            "verify_export.statement-cell",
                            name=name,
                            row=row_key,
                            label=label.strip(),
                            column=headers[column],
                            have=have_cell or msg("verify_export.cell-blank"),
                            want=want_cell or msg("verify_export.cell-blank"),
                        )
                    )
    return problems
