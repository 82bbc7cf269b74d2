"""The statements of 民间非营利组织会计制度 for a period: 资产负债表 (balance sheet at the start
and the end of the period) and 业务活动表 (statement of activities, unrestricted and restricted
columns). Both are folds of the same balances as the trial balance, so they tie to it:

- total assets = total liabilities + net assets, at each date;
- net assets = minus the balance of every net-asset, income and expense account (the books
  are not closed into 3101 at period end, so the period's surplus still sits in income and
  expenses); restricted net assets are those of accounts marked ``restricted``;
- the statement of activities' income and expenses are the trial balance's period movements
  of the income (4xxx) and expense (5xxx) accounts.

Lines are the first-level accounts of the chart (``Income:4301-共有收益:01-停车费`` counts under
4301 共有收益), in code order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from audit.tables import Column, Snapshot, Table, Value, movements
from ledger.money import from_fen

ROOTS_NET_ASSETS = ("Equity", "Income", "Expenses")


@dataclass(frozen=True)
class Group:
    root: str
    code: str
    name: str


def group_of(account: str) -> Group:
    """``Income:4301-共有收益:01-停车费`` → (Income, 4301, 共有收益)."""
    parts = account.split(":")
    first = parts[1] if len(parts) > 1 else parts[0]
    code, _, name = first.partition("-")
    return Group(parts[0], code, name or first)


def groups(snap: Snapshot, root: str) -> list[Group]:
    found = {group_of(n) for n in snap.accounts if n.startswith(root + ":")}
    return sorted(found, key=lambda g: g.code)


def _sum(balances: dict[str, int], group: Group) -> int:
    return sum(fen for name, fen in balances.items() if group_of(name) == group)


@dataclass(frozen=True)
class NetAssets:
    unrestricted: int
    restricted: int

    @property
    def total(self) -> int:
        return self.unrestricted + self.restricted


def net_assets(snap: Snapshot, balances: dict[str, int]) -> NetAssets:
    unrestricted = restricted = 0
    for name, fen in balances.items():
        if name.split(":")[0] not in ROOTS_NET_ASSETS:
            continue
        account = snap.accounts.get(name)
        if account is not None and account.restricted:
            restricted -= fen
        else:
            unrestricted -= fen
    return NetAssets(unrestricted, restricted)


def balance_sheet_table(snap: Snapshot) -> Table:
    columns = (
        Column("项目"),
        Column("科目代码", "code"),
        Column("期初数", "money"),
        Column("期末数", "money"),
    )

    def rows() -> Iterator[tuple[Value, ...]]:
        start, end = snap.opening, snap.closing
        yield "资产", None, None, None
        assets = [0, 0]
        for group in groups(snap, "Assets"):
            a, b = _sum(start, group), _sum(end, group)
            assets = [assets[0] + a, assets[1] + b]
            yield f"  {group.name}", group.code, from_fen(a), from_fen(b)
        yield "资产合计", None, from_fen(assets[0]), from_fen(assets[1])
        yield "负债", None, None, None
        liabilities = [0, 0]
        for group in groups(snap, "Liabilities"):
            a, b = -_sum(start, group), -_sum(end, group)
            liabilities = [liabilities[0] + a, liabilities[1] + b]
            yield f"  {group.name}", group.code, from_fen(a), from_fen(b)
        yield "负债合计", None, from_fen(liabilities[0]), from_fen(liabilities[1])
        yield "净资产", None, None, None
        first, last = net_assets(snap, start), net_assets(snap, end)
        yield "  非限定性净资产", "3101", from_fen(first.unrestricted), from_fen(last.unrestricted)
        yield "  限定性净资产", "3102", from_fen(first.restricted), from_fen(last.restricted)
        yield "净资产合计", None, from_fen(first.total), from_fen(last.total)
        yield (
            "负债和净资产总计",
            None,
            from_fen(liabilities[0] + first.total),
            from_fen(liabilities[1] + last.total),
        )

    return Table("balance_sheet", "资产负债表", columns, rows)


def activity_figures(snap: Snapshot, root: str) -> list[tuple[Group, int, int]]:
    """Per first-level account under ``root``: (group, unrestricted, restricted) movement in
    the period, signed so that income and expenses are both positive."""
    sign = -1 if root == "Income" else 1
    moved = {name: sum(fen for _item, fen in items) for name, items in movements(snap).items()}
    out = []
    for group in groups(snap, root):
        free = held = 0
        for name, total in moved.items():
            if group_of(name) != group:
                continue
            amount = sign * total
            account = snap.accounts.get(name)
            if account is not None and account.restricted:
                held += amount
            else:
                free += amount
        out.append((group, free, held))
    return out


def activities_table(snap: Snapshot) -> Table:
    columns = (
        Column("项目"),
        Column("科目代码", "code"),
        Column("非限定性", "money"),
        Column("限定性", "money"),
        Column("合计", "money"),
    )

    def line(label: str, code: str | None, free: int, held: int) -> tuple[Value, ...]:
        return label, code, from_fen(free), from_fen(held), from_fen(free + held)

    def rows() -> Iterator[tuple[Value, ...]]:
        totals: dict[str, tuple[int, int]] = {}
        for root, title, total in (
            ("Income", "一、收入", "收入合计"),
            ("Expenses", "二、费用", "费用合计"),
        ):
            yield title, None, None, None, None
            free_sum = held_sum = 0
            for group, free, held in activity_figures(snap, root):
                free_sum, held_sum = free_sum + free, held_sum + held
                yield line(f"  {group.name}", group.code, free, held)
            totals[root] = (free_sum, held_sum)
            yield line(total, None, free_sum, held_sum)
        income, expenses = totals["Income"], totals["Expenses"]
        yield line("三、净资产变动额", None, income[0] - expenses[0], income[1] - expenses[1])

    return Table("activities", "业务活动表", columns, rows)
