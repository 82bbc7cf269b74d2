"""The statutory statements on a year's notice: 会民非01/02/03表 and the 共有收益分配表, folded
from the journal up to the close's chain head, as the audit package draws them."""

from __future__ import annotations

from collections.abc import Iterable

from audit.disclosure_model import StatutoryTable
from audit.fold import Acct, Fold
from audit.statutory import activities_table, balance_sheet_table, cash_flows_table
from audit.statutory_notes import distribution_table
from audit.workbook import cell_text
from ledger.models import Account, PeriodClose
from ledger.period import Period
from ledger.txn import Txn


def statutory_tables(
    community: str, close: PeriodClose, accounts: dict[str, Account], txns: Iterable[Txn]
) -> tuple[StatutoryTable, ...]:
    period = Period(close.period, close.start, close.end)
    accts = {n: Acct(a.code, a.name_zh, a.restricted) for n, a in accounts.items()}
    fold = Fold(period, accts).fold(txns)
    out = []
    for table in (
        balance_sheet_table(fold, community),
        activities_table(fold, community),
        cash_flows_table(fold, community),
        distribution_table(fold, community),
    ):
        rows = [tuple(cell_text(v) for v in row) for row in table.rows()]
        out.append(
            StatutoryTable(
                table.name,
                tuple(c.header for c in table.columns if c.header),
                rows[0],
                tuple(rows[1:]),
            )
        )
    return tuple(out)
