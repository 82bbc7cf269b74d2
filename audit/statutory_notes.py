"""The supplementary 共有收益分配表 and the 附注 (notes) of the statutory statements.

共有收益分配表 (statement of the distribution of common income): the income of the common parts
(4301 and 4901-01 其他共有收益), less the reasonable costs the law lets the manager deduct (its
share 5101-01, direct costs 5101-02, taxes), is the owners' net common income (民法典 art. 282);
other income is added and the committee's other expenses deducted; the allocations (maintenance
fund 5101-03, fee subsidies 5101-04, upgrades 5101-05, dividends 5101-06, the committee's working
funds 5201-01) leave what is retained, which equals the 业务活动表's 收入合计 - 费用合计.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from audit.statutory import Acct, Fold, title
from audit.tables import Column, Table, Value
from ledger.money import fmt, from_fen
from rules.config import RuleSettings

#: How the notes name the restricted fund's basis (``restricted_basis`` in the rules).
BASES = {"regulation": "法律法规规定", "resolution": "业主大会决议（资源提供者的限制）"}

COMMON_INCOME = ("4301", "4901-01")
COSTS = (("5101-01", "物业服务人分成（管理人合理报酬）"), ("5101-02", "直接成本"))
ALLOCATIONS = (
    ("5101-03", "补充专项维修资金"),
    ("5101-04", "补贴物业费"),
    ("5101-05", "共有部分改造维修"),
    ("5101-06", "业主分红"),
    ("5201-01", "业委会工作经费"),
)


def _is_tax(acct: Acct | None) -> bool:
    return acct is not None and "税" in acct.name_zh


def distribution_lines(flows: dict[str, int], accounts: dict[str, Acct]) -> dict[str, int]:
    """Keyed figures in fen (income and costs positive)."""
    out: dict[str, int] = {k: 0 for k in ("common", "taxes", "other_income", "other_expenses")}
    for code, _ in (*COSTS, *ALLOCATIONS):
        out[code] = 0
    for name, fen in flows.items():
        acct = accounts.get(name)
        code = acct.code if acct else ""
        root = name.split(":", 1)[0]
        if root == "Income":
            out["common" if code.startswith(COMMON_INCOME) else "other_income"] -= fen
        elif root == "Expenses":
            key = next((c for c, _ in (*COSTS, *ALLOCATIONS) if code.startswith(c)), None)
            if key is None:
                key = "taxes" if _is_tax(acct) else "other_expenses"
            out[key] += fen
    out["costs"] = sum(out[c] for c, _ in COSTS) + out["taxes"]
    out["net_common"] = out["common"] - out["costs"]
    out["distributable"] = out["net_common"] + out["other_income"] - out["other_expenses"]
    out["allocated"] = sum(out[c] for c, _ in ALLOCATIONS)
    out["retained"] = out["distributable"] - out["allocated"]
    return out


#: (label, key) as printed; key None: a heading.
DISTRIBUTION_ROWS: tuple[tuple[str, str | None], ...] = (
    ("一、共有部分经营收入（4301 共有收益、4901-01 其他共有收益）", "common"),
    ("减：合理成本", None),
    *((f"  {label}（{code}）", code) for code, label in COSTS),
    ("  税费", "taxes"),
    ("  合理成本小计", "costs"),
    ("二、共有收益净额（民法典第二百八十二条）", "net_common"),
    ("加：其他收入（利息等）", "other_income"),
    ("减：其他费用（审计费、银行手续费等）", "other_expenses"),
    ("三、可供分配的收益", "distributable"),
    ("四、分配", None),
    *((f"  {label}（{code}）", code) for code, label in ALLOCATIONS),
    ("  分配合计", "allocated"),
    ("五、未分配（留存）收益（= 业务活动表 收入合计 - 费用合计）", "retained"),
)


def distribution_table(fold: Fold, community: str) -> Table:
    head = title("共有收益分配表", "补充报表", community, fold.period)
    columns = (Column(head[0]), Column(f"{head[1]}　{head[2]}"), Column(head[3]))

    def rows() -> Iterator[tuple[Value, ...]]:
        yield "项目", "本期数", "本年累计数"
        period = distribution_lines(fold.flows, fold.accounts)
        year = distribution_lines(fold.flows_year, fold.accounts)
        for label, key in DISTRIBUTION_ROWS:
            if key is None:
                yield label, None, None
            else:
                yield label, from_fen(period[key]), from_fen(year[key])

    return Table("distribution", "共有收益分配表", columns, rows)


# --- 附注 ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResolutionNote:
    number: str
    title: str
    budget: Decimal
    spent: Decimal


@dataclass(frozen=True)
class Party:
    who: str
    relation: str


def _yuan(fen: int) -> str:
    return fmt(from_fen(fen))


def notes_lines(
    fold: Fold,
    community: str,
    resolutions: list[ResolutionNote],
    parties: list[Party],
    settings: RuleSettings,
) -> Iterator[str]:
    """The notes as Markdown lines."""
    p = fold.period
    yield f"# 会计报表附注 — {community}，{p.label}（{p.start} 至 {p.end}）"
    yield ""
    yield "## 一、会计政策"
    yield ""
    yield (
        "・执行《民间非营利组织会计制度》（财会〔2004〕7号），以权责发生制为记账基础，"
        "以人民币元为记账本位币。"
    )
    yield (
        "・年末结账：全年收入、费用结转至非限定性净资产，限定性收入结转至限定性净资产"
        "（结转分录类型 closing，不计入本表的收入和费用）。"
    )
    yield (
        "・分红、补贴物业费、补充专项维修资金是共有收益的分配，在业务活动表第13–15行单列，"
        "并由共有收益分配表重新归集。"
    )
    yield ""
    yield "## 二、净资产及其变动（限定性资金的依据）"
    yield ""
    yield "| 科目 | 名称 | 限定性 | 年初数 | 本年变动 | 期末数 |"
    yield "|---|---|---|---|---|---|"
    for name in sorted(
        {n for n in (*fold.year_open, *fold.end) if n.startswith("Equity:")}
        | {n for n, a in fold.accounts.items() if a.restricted}
    ):
        acct = fold.accounts.get(name) or Acct(name, name)
        first, last = fold.year_open.get(name, 0), fold.end.get(name, 0)
        sign = 1 if name.startswith("Assets:") else -1
        kind = "是" if acct.restricted else "否"
        yield (
            f"| {acct.code} | {acct.name_zh} | {kind} | {_yuan(sign * first)} | "
            f"{_yuan(sign * (last - first))} | {_yuan(sign * last)} |"
        )
    yield ""
    basis = BASES[settings.restricted_basis]
    yield f"限定性净资产的限制依据：{basis}，{settings.restricted_source}。"
    yield (
        "限定性资金的限制只能来自资源提供者（业主大会决议）或法律法规；"
        "业委会自行指定用途的储备不构成限制，仍列为非限定性净资产。"
    )
    yield ""
    yield "## 三、有效决议及其执行"
    yield ""
    if resolutions:
        yield "| 决议编号 | 事项 | 预算 | 累计支出 |"
        yield "|---|---|---|---|"
        for r in resolutions:
            yield f"| {r.number} | {r.title} | {fmt(r.budget)} | {fmt(r.spent)} |"
    else:
        yield "本期无动用资金的决议。"
    yield ""
    yield "## 四、关联方"
    yield ""
    for party in parties:
        yield f"・{party.who}：{party.relation}"
    if not parties:
        yield "・无"
    yield ""
    yield "## 五、资产负债表日后事项"
    yield ""
    if fold.later:
        yield f"期末之后、本报表编制之前记账的 {len(fold.later)} 笔分录："
        for txn in sorted(fold.later, key=lambda t: (t.date, t.seq or 0)):
            total = sum((leg.amount for leg in txn.legs if leg.amount > 0), Decimal(0))
            yield f"・{txn.date} 记-{txn.seq or 0:06d} {txn.kind} {txn.narration}：{fmt(total)}"
    else:
        yield "无。"


def notes_table(lines: list[str]) -> Table:
    """The notes as a one-column table (for the workbook sheet)."""
    return Table("notes", "附注", (Column("会计报表附注"),), lambda: ((line,) for line in lines))
