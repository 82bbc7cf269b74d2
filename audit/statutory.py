"""The statutory statements of 民间非营利组织会计制度 (财会〔2004〕7号) for a period, folded from
the journal: 资产负债表 (会民非01表), 业务活动表 (会民非02表), 现金流量表 (会民非03表), and the
supplementary 共有收益分配表. Each account goes to its lines by code (:func:`ledger.chart.lines_of`,
the ``line-position`` / ``line-activity`` / ``cash-flow`` metadata of its open directive).

One :class:`Fold` takes the entries (any order) and keeps what the statements need:

- 年初数: the balances before the year's first day; entries of kind ``opening`` dated inside
  the year (books that start mid-year) count as before it, so 年初数 shows them;
- 期末数: the balances at the period's end, the year's closing entry (``closing``) included;
- the flows of the period (本期数) and of the year to date (本年累计数), without the opening
  and closing entries;
- the cash each entry moves (legs on 1001/1002/1009), credited to its other legs' accounts,
  which the 现金流量表 classifies by their ``cash-flow`` class.

The statements tie: assets = liabilities + net assets at each date; the 业务活动表's 净资产变动额
= the change in net assets; the 现金流量表's net increase = the change in 货币资金.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from audit.fold import RESTRICTED_LINE, Acct, Fold, line_number, position
from audit.tables import Column, Table, Value
from ledger.chart import lines_of
from ledger.money import from_fen
from ledger.period import Period

__all__ = ["Acct", "Fold"]


# --- 会民非01表 资产负债表 -------------------------------------------------------------------

#: (行次, 项目); a line whose 行次 is in TOTALS sums the lines listed there.
BALANCE_LINES: tuple[tuple[int, str], ...] = (
    (0, "流动资产："),
    (1, "货币资金"),
    (2, "短期投资"),
    (3, "应收款项"),
    (4, "预付账款"),
    (8, "存货"),
    (9, "待摊费用"),
    (15, "一年内到期的长期债权投资"),
    (18, "其他流动资产"),
    (20, "流动资产合计"),
    (0, "长期投资："),
    (21, "长期股权投资"),
    (24, "长期债权投资"),
    (30, "长期投资合计"),
    (0, "固定资产："),
    (31, "固定资产原价"),
    (32, "减：累计折旧"),
    (33, "固定资产净值"),
    (34, "在建工程"),
    (35, "文物文化资产"),
    (38, "固定资产清理"),
    (40, "固定资产合计"),
    (41, "无形资产"),
    (51, "受托代理资产"),
    (60, "资产总计"),
    (0, "流动负债："),
    (61, "短期借款"),
    (62, "应付款项"),
    (63, "应付工资"),
    (65, "应交税金"),
    (66, "预收账款"),
    (71, "预提费用"),
    (72, "预计负债"),
    (74, "一年内到期的长期负债"),
    (78, "其他流动负债"),
    (80, "流动负债合计"),
    (0, "长期负债："),
    (81, "长期借款"),
    (84, "长期应付款"),
    (88, "其他长期负债"),
    (90, "长期负债合计"),
    (91, "受托代理负债"),
    (100, "负债合计"),
    (0, "净资产："),
    (101, "非限定性净资产"),
    (105, "限定性净资产"),
    (110, "净资产合计"),
    (120, "负债和净资产总计"),
)
TOTALS: dict[int, tuple[int, ...]] = {
    20: (1, 2, 3, 4, 8, 9, 15, 18),
    30: (21, 24),
    33: (31, -32),
    40: (33, 34, 35, 38),
    60: (20, 30, 40, 41, 51),
    80: (61, 62, 63, 65, 66, 71, 72, 74, 78),
    90: (81, 84, 88),
    100: (80, 90, 91),
    110: (101, 105),
    120: (100, 110),
}


def balance_lines(balances: dict[str, int], accounts: dict[str, Acct]) -> dict[int, int]:
    """Each 行次's amount in fen (assets debit-positive, the other side credit-positive)."""
    out: dict[int, int] = defaultdict(int)
    for name, fen in balances.items():
        line = position(name, accounts.get(name))
        out[line] += fen if line <= 60 else -fen
    for line in sorted(TOTALS):  # in order: each total's parts come before it
        out[line] = sum(out[p] if p > 0 else -out[-p] for p in TOTALS[line])
    return dict(out)


def title(kind: str, form: str, community: str, period: Period) -> tuple[str, ...]:
    span = f"{period.label}（{period.start} 至 {period.end}）"
    return (f"{kind}（{form}）" if form else kind, f"编制单位：{community}", span, "单位：元")


def _pad(cells: tuple[str, ...], width: int) -> tuple[Column, ...]:
    padded = (*cells, *("" for _ in range(width - len(cells))))
    return tuple(Column(c) for c in padded[:width])


def _money(fen: int) -> Value:
    return from_fen(fen)


def balance_sheet_table(fold: Fold, community: str) -> Table:
    head = title("资产负债表", "会民非01表", community, fold.period)

    def rows() -> Iterator[tuple[Value, ...]]:
        yield "项目", "行次", "年初数", "期末数"
        first = balance_lines(fold.year_open, fold.accounts)
        last = balance_lines(fold.end, fold.accounts)
        for line, label in BALANCE_LINES:
            if not line:
                yield label, None, None, None
            else:
                yield label, line, _money(first.get(line, 0)), _money(last.get(line, 0))

    return Table("balance_sheet", "资产负债表", _pad(head, 4), rows)


# --- 会民非02表 业务活动表 -------------------------------------------------------------------

INCOME_LINES = (
    (1, "捐赠收入"),
    (2, "会费收入"),
    (3, "提供服务收入"),
    (4, "商品销售收入"),
    (5, "政府补助收入"),
    (6, "投资收益"),
    (9, "其他收入"),
)
EXPENSE_LINES = (
    (12, "（一）业务活动成本"),
    (13, "其中：补充专项维修资金"),
    (14, "其中：补贴物业费"),
    (15, "其中：业主分红"),
    (21, "（二）管理费用"),
    (24, "（三）筹资费用"),
    (28, "（四）其他费用"),
)
DETAIL_LINES = (13, 14, 15)


def activity_line(name: str, acct: Acct | None) -> int:
    found = line_number(lines_of(acct.code, acct.restricted).activity) if acct else 0
    if found:
        return found
    root = name.split(":", 1)[0]
    return 9 if root == "Income" else 28 if root == "Expenses" else 0


def activity_lines(flows: dict[str, int], accounts: dict[str, Acct]) -> dict[int, list[int]]:
    """行次 → [非限定性, 限定性] in fen: income and expenses positive; 40 the release of
    restricted net assets (equity moved outside the opening and closing entries); 45 the
    change in net assets."""
    out: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for name, fen in flows.items():
        acct = accounts.get(name)
        column = 1 if position(name, acct) == RESTRICTED_LINE else 0
        root = name.split(":", 1)[0]
        if root == "Equity":
            out[40][column] -= fen
            continue
        line = activity_line(name, acct)
        if not line:
            continue
        amount = -fen if root == "Income" else fen
        out[line][column] += amount
        if line in DETAIL_LINES:
            out[12][column] += amount
    for column in (0, 1):
        income = sum(out[n][column] for n, _ in INCOME_LINES)
        expenses = sum(out[n][column] for n, _ in EXPENSE_LINES if n not in DETAIL_LINES)
        out[11][column], out[35][column] = income, expenses
        out[45][column] = income - expenses + out[40][column]
    return dict(out)


def activities_table(fold: Fold, community: str) -> Table:
    head = title("业务活动表", "会民非02表", community, fold.period)
    columns = _pad(head, 8)

    def rows() -> Iterator[tuple[Value, ...]]:
        yield (
            "项目",
            "行次",
            "本期数·非限定性",
            "本期数·限定性",
            "本期数·合计",
            "本年累计数·非限定性",
            "本年累计数·限定性",
            "本年累计数·合计",
        )
        period = activity_lines(fold.flows, fold.accounts)
        year = activity_lines(fold.flows_year, fold.accounts)

        def line(label: str, number: int) -> tuple[Value, ...]:
            a, b = period.get(number, [0, 0]), year.get(number, [0, 0])
            return (label, number, *map(_money, (a[0], a[1], a[0] + a[1], b[0], b[1], b[0] + b[1])))

        yield ("一、收入", *([None] * 7))
        for number, label in INCOME_LINES:
            yield line(label, number)
        yield line("收入合计", 11)
        yield ("二、费用", *([None] * 7))
        for number, label in EXPENSE_LINES:
            yield line(label, number)
        yield line("费用合计", 35)
        yield line("三、限定性净资产转为非限定性净资产", 40)
        yield line("四、净资产变动额（若为净资产减少额，以“-”号填列）", 45)

    return Table("activities", "业务活动表", columns, rows)


# --- 会民非03表 现金流量表 -------------------------------------------------------------------

#: class → (inflow lines, inflow subtotal, outflow lines, outflow subtotal, net line)
CASH_SECTIONS: tuple[
    tuple[str, str, tuple[tuple[int, str], ...], int, tuple[tuple[int, str], ...], int, int], ...
] = (
    (
        "业务活动",
        "一、业务活动产生的现金流量：",
        (
            (1, "接受捐赠收到的现金"),
            (2, "收取会费收到的现金"),
            (3, "提供服务收到的现金"),
            (4, "销售商品收到的现金"),
            (5, "政府补助收到的现金"),
            (8, "收到的其他与业务活动有关的现金"),
        ),
        13,
        (
            (14, "提供捐赠或者资助支付的现金"),
            (15, "支付给员工以及为员工支付的现金"),
            (16, "购买商品、接受服务支付的现金"),
            (19, "支付的其他与业务活动有关的现金"),
        ),
        23,
        24,
    ),
    (
        "投资活动",
        "二、投资活动产生的现金流量：",
        (
            (25, "收回投资所收到的现金"),
            (26, "取得投资收益所收到的现金"),
            (27, "处置固定资产和无形资产所收回的现金"),
            (30, "收到的其他与投资活动有关的现金"),
        ),
        34,
        (
            (35, "购建固定资产和无形资产所支付的现金"),
            (36, "对外投资所支付的现金"),
            (39, "支付的其他与投资活动有关的现金"),
        ),
        43,
        44,
    ),
    (
        "筹资活动",
        "三、筹资活动产生的现金流量：",
        ((45, "借款所收到的现金"), (48, "收到的其他与筹资活动有关的现金")),
        50,
        (
            (51, "偿还借款所支付的现金"),
            (52, "偿付利息所支付的现金"),
            (55, "支付的其他与筹资活动有关的现金"),
        ),
        58,
        59,
    ),
)


def cash_line(name: str, acct: Acct | None, fen: int) -> int:
    """The 现金流量表's 行次 of ``fen`` (in: +, out: -) moved against account ``name``."""
    code = acct.code if acct else ""
    cls = lines_of(code, acct.restricted).cash_flow if acct else ""
    if cls == "投资活动":
        if code.startswith("1501"):
            return 27 if fen > 0 else 35
        return 26 if fen > 0 else 39
    if cls == "筹资活动":
        return 48 if fen > 0 else 55
    if fen > 0:
        return 3 if code.startswith(("4301", "1121", "2203")) else 8
    if code.startswith(("5101-03", "5101-04", "5101-06")):
        return 19
    return 16 if code.startswith(("5101", "2202", "1141")) else 19


def cash_lines(fold: Fold) -> dict[int, int]:
    out: dict[int, int] = defaultdict(int)
    for name, fen in fold.cash.items():
        if fen:
            out[cash_line(name, fold.accounts.get(name), fen)] += abs(fen)  # in or out line
    for _cls, _title, ins, in_total, outs, out_total, net in CASH_SECTIONS:
        out[in_total] = sum(out[n] for n, _ in ins)
        out[out_total] = sum(out[n] for n, _ in outs)
        out[net] = out[in_total] - out[out_total]
    out[60] = 0
    out[61] = out[24] + out[44] + out[59] + out[60]
    return dict(out)


def cash_flows_table(fold: Fold, community: str) -> Table:
    head = title("现金流量表", "会民非03表", community, fold.period)

    def rows() -> Iterator[tuple[Value, ...]]:
        yield "项目", "行次", "金额"
        lines = cash_lines(fold)
        for _cls, heading, ins, in_total, outs, out_total, net in CASH_SECTIONS:
            yield heading, None, None
            for number, label in ins:
                yield label, number, _money(lines.get(number, 0))
            yield "现金流入小计", in_total, _money(lines[in_total])
            for number, label in outs:
                yield label, number, _money(lines.get(number, 0))
            yield "现金流出小计", out_total, _money(lines[out_total])
            yield f"{_cls}产生的现金流量净额", net, _money(lines[net])
        yield "四、汇率变动对现金的影响额", 60, _money(0)
        yield "五、现金及现金等价物净增加额", 61, _money(lines[61])

    columns = (Column(head[0]), Column(f"{head[1]}　{head[2]}"), Column(head[3]))
    return Table("cash_flows", "现金流量表", columns, rows)
