"""Rendering a disclosure statement: HTML (phone and A4 print), PDF from the same HTML,
Markdown for the owners' chat group, and JSON for programs. Chinese by default, English with
``lang="en"``; amounts the Chinese way (``¥12,345.60``).

The HTML is polyglot XHTML (every element closed, attributes quoted), so it parses as XML as
well as HTML5, and the PDF is WeasyPrint's rendering of exactly that page with the Noto CJK
fonts embedded. Charts are SVG data URIs, so one file carries everything.
"""

from __future__ import annotations

import base64
import json
import re
from decimal import Decimal
from functools import cache
from typing import Any, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from audit.disclosure import Statement, UnitReceipts
from ledger.money import fmt_cny

Lang = Literal["zh", "en"]
FORMATS = ("html", "pdf", "md", "json")
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "md": "text/markdown; charset=utf-8",
    "json": "application/json",
}

LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "共有收益收支公示",
        "period": "公示期间",
        "posted": "公示日期",
        "posted_until": "公示截止（不少于{days}天）",
        "funds": "资金余额",
        "item": "项目",
        "opening": "期初",
        "closing": "期末",
        "cash": "货币资金",
        "unrestricted": "非限定性资金",
        "restricted": "限定性资金（维修资金专项）",
        "income": "收入",
        "total_income": "收入合计",
        "costs": "可扣除的合理成本",
        "total_costs": "成本合计",
        "net_income": "共有收益净额",
        "uses": "支出（使用）",
        "total_uses": "支出合计",
        "other_movements": "其他变动（期初结转、资金划转）",
        "amount": "金额",
        "resolutions": "本期支出所依据的业主大会决议",
        "number": "编号",
        "res_title": "事项",
        "budget": "预算",
        "spent_in_period": "本期支出",
        "spent_to_date": "累计支出",
        "vote": "表决结果",
        "passed": "通过",
        "failed": "未通过",
        "no_resolutions": "本期无依据决议的支出。",
        "checks": "本期规则检查",
        "rule": "规则",
        "figures": "数据",
        "result": "结果",
        "ok": "符合",
        "not_ok": "不符合",
        "schedules": "分配明细（按房号，不含业主姓名）",
        "dividend": "业主分红",
        "subsidy": "物业费补贴",
        "unit": "房号",
        "area": "专有面积（㎡）",
        "no_schedules": "本期无分红或补贴。",
        "charts": "图表",
        "chart_income": "本期收入构成",
        "chart_uses": "本期成本与支出构成",
        "chart_quarters": "最近四个季度",
        "series_income": "收入",
        "series_costs": "成本",
        "series_uses": "支出",
        "chart_alt": "图表：{what}",
        "chain": "账簿链头",
        "chain_text": "本期结账时（{closed_at}），账簿哈希链的链头为第 {seq} 号记录，其哈希值为：",
        "verify_text": "持有审计包的任何人都可以运行 commons verify-export 审计包.zip "
        "核对审计包的哈希链，并确认其中第 {seq} 号记录的哈希与此处一致。",
        "signatures": "签章",
        "committee": "业主委员会（盖章）",
        "supervisors": "业主监督委员会",
        "sign": "签字",
        "date": "日期",
        "date_blank": "______年____月____日",
        "lookup": "按房号查询分红与补贴",
        "lookup_button": "查询",
        "entries": "本期记账 {n} 笔",
        "formats": "其他格式",
        "list_title": "公示列表",
        "closed_at": "结账时间",
        "no_periods": "尚无已结账的期间。",
        "unit_title": "房号 {unit} 的分红与补贴",
        "received": "已结账期间内收到",
        "total": "合计",
        "kind": "类型",
        "resolution": "决议",
        "nothing": "已结账期间内没有记录。",
        "dividends_paid": "分红：已付与尚欠（截至最近结账）",
        "allocated": "应分",
        "paid": "已付",
        "owed": "尚欠",
        "lang_other": "English",
    },
    "en": {
        "title": "Statement of common income and its use",
        "period": "Period",
        "posted": "Posted on",
        "posted_until": "Stays posted until (at least {days} days)",
        "funds": "Balances",
        "item": "Item",
        "opening": "Opening",
        "closing": "Closing",
        "cash": "Cash and bank",
        "unrestricted": "Unrestricted funds",
        "restricted": "Restricted funds (maintenance fund)",
        "income": "Income",
        "total_income": "Total income",
        "costs": "Deductible costs",
        "total_costs": "Total costs",
        "net_income": "Net common income",
        "uses": "Uses",
        "total_uses": "Total uses",
        "other_movements": "Other movements (opening balances, transfers)",
        "amount": "Amount",
        "resolutions": "Owners' resolutions under which money was spent",
        "number": "No.",
        "res_title": "Matter",
        "budget": "Budget",
        "spent_in_period": "Spent this period",
        "spent_to_date": "Spent so far",
        "vote": "Vote",
        "passed": "passed",
        "failed": "not passed",
        "no_resolutions": "No spending under a resolution this period.",
        "checks": "Rule checks of the period",
        "rule": "Rule",
        "figures": "Figures",
        "result": "Result",
        "ok": "met",
        "not_ok": "NOT met",
        "schedules": "Per-unit schedules (by unit, no owner names)",
        "dividend": "Dividend",
        "subsidy": "Property-fee subsidy",
        "unit": "Unit",
        "area": "Area (m²)",
        "no_schedules": "No dividend or subsidy this period.",
        "charts": "Charts",
        "chart_income": "Income by type",
        "chart_uses": "Costs and uses by type",
        "chart_quarters": "The last four quarters",
        "series_income": "Income",
        "series_costs": "Costs",
        "series_uses": "Uses",
        "chart_alt": "Chart: {what}",
        "chain": "Chain head",
        "chain_text": "When the period closed ({closed_at}), the head of the books' hash chain "
        "was entry #{seq}, with the hash:",
        "verify_text": "Anyone holding the audit package can run commons verify-export "
        "package.zip to check its hash chain and that its entry #{seq} carries this hash.",
        "signatures": "Signatures",
        "committee": "Owners' committee (seal)",
        "supervisors": "Supervisory committee",
        "sign": "Signature",
        "date": "Date",
        "date_blank": "____________",
        "lookup": "Look up a unit's dividends and subsidies",
        "lookup_button": "Look up",
        "entries": "{n} entries in the period",
        "formats": "Other formats",
        "list_title": "Disclosure statements",
        "closed_at": "Closed",
        "no_periods": "No closed periods yet.",
        "unit_title": "Dividends and subsidies of unit {unit}",
        "received": "Received in closed periods",
        "total": "Total",
        "kind": "Kind",
        "resolution": "Resolution",
        "nothing": "Nothing in closed periods.",
        "dividends_paid": "Dividends: paid and still owed (as at the last close)",
        "allocated": "Allocated",
        "paid": "Paid",
        "owed": "Still owed",
        "lang_other": "中文",
    },
}

FIGURE_NAMES: dict[str, dict[str, str]] = {
    "zh": {
        "net_income": "共有收益净额",
        "set_aside": "补充维修资金",
        "share": "比例",
        "required": "要求",
        "required_amount": "至少应补充",
        "service_income": "经营收入",
        "common_income": "共有收益",
        "committee": "工作经费",
        "manager_share": "成本分成",
        "cap": "上限",
        "civil_defence_income": "人防车位收入",
        "passed": "表决",
        "budget": "预算",
        "spent_to_date": "累计支出",
        "closing_cash": "期末货币资金",
    },
    "en": {
        "net_income": "net income",
        "set_aside": "set aside",
        "share": "share",
        "required": "required",
        "required_amount": "least amount",
        "service_income": "service income",
        "common_income": "common income",
        "committee": "committee expenses",
        "manager_share": "manager's share",
        "cap": "cap",
        "civil_defence_income": "civil-defence income",
        "passed": "vote",
        "budget": "budget",
        "spent_to_date": "spent so far",
        "closing_cash": "closing cash",
    },
}
MONEY_FIGURES = {
    "net_income",
    "set_aside",
    "required_amount",
    "service_income",
    "common_income",
    "committee",
    "manager_share",
    "civil_defence_income",
    "budget",
    "spent_to_date",
    "closing_cash",
}


def labels(lang: str) -> dict[str, str]:
    return LABELS["en" if lang == "en" else "zh"]


def _figure(lang: str, key: str, value: str) -> str:
    name = FIGURE_NAMES["en" if lang == "en" else "zh"].get(key, key.replace("_", " "))
    if key in MONEY_FIGURES:
        value = fmt_cny(Decimal(value))
    elif key == "passed":
        value = {"yes": labels(lang)["passed"], "no": labels(lang)["failed"]}.get(value, value)
    return f"{name} {value}"


#: The vote of 民法典 art. 278 as ``rules.vote`` records it, in words.
VOTE_LINES = {
    "zh": (
        ("yes_area", "participating_area", "同意面积 {} ㎡ / 参与 {} ㎡"),
        ("yes_heads", "participating_heads", "同意 {} 人 / 参与 {} 人"),
        ("participating_area", "total_area", "参与面积 {} ㎡ / 总面积 {} ㎡"),
        ("participating_heads", "total_heads", "参与 {} 人 / 总人数 {} 人"),
    ),
    "en": (
        ("yes_area", "participating_area", "yes {} m² of {} m² voting"),
        ("yes_heads", "participating_heads", "yes {} of {} owners voting"),
        ("participating_area", "total_area", "voting {} m² of {} m²"),
        ("participating_heads", "total_heads", "voting {} of {} owners"),
    ),
}


def vote_lines(lang: str, tally: dict[str, str]) -> list[str]:
    """The vote in a few lines: the art. 278 arithmetic where the tally has it, else its
    figures as recorded."""
    patterns = VOTE_LINES["en" if lang == "en" else "zh"]
    out = [text.format(tally[a], tally[b]) for a, b, text in patterns if a in tally and b in tally]
    met = {"yes": ("达到", "met"), "no": ("未达到", "not met")}
    if "quorum.met" in tally:
        zh, en = met.get(tally["quorum.met"], (tally["quorum.met"],) * 2)
        out.append(f"quorum {en}" if lang == "en" else f"法定人数{zh}")
    if not out:
        out = [f"{k}: {v}" for k, v in tally.items() if k != "passed"]
    return out


def _name(lang: str, line: Any) -> str:
    return str(line.name_en if lang == "en" else line.name_zh)


#: Markdown's inline syntax: emphasis, code, links and images, tables, strikethrough, and the
#: backslash itself. Each is backslash-escaped wherever it stands.
_MD_INLINE = re.compile(r"([\\`*_{}\[\]()!|~])")
#: What starts a block when it begins a line (a heading, a list, a rule; a quote's ``>`` is an
#: entity below). Text sits after other text in the templates, but is escaped as if it began
#: a line.
_MD_BLOCK_START = re.compile(r"\A(\s*)([#+\-=]|[0-9]{1,9}[.)])")
#: HTML (and so ``<script>``, ``<img onerror=...>``, autolinks) becomes plain text as entities.
_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def md_cell(text: object) -> str:
    """Text safe in Markdown, inside a table cell or a heading: one line, Markdown's special
    characters backslash-escaped, HTML as entities (so a resolution title or a payee cannot
    become a link, an image, a heading or markup in the owners' chat group)."""
    one_line = " ".join(str(text).splitlines())
    escaped = _MD_INLINE.sub(r"\\\1", one_line)
    escaped = _MD_BLOCK_START.sub(lambda m: m.group(1) + _escape_start(m.group(2)), escaped)
    return escaped.translate(_HTML)


def _escape_start(marker: str) -> str:
    """``# x`` → ``\\# x``; ``1. x`` → ``1\\. x``."""
    return marker[:-1] + "\\" + marker[-1]


@cache
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("audit", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["cny"] = fmt_cny
    env.filters["md"] = md_cell
    return env


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def chart_svgs(st: Statement, lang: str) -> dict[str, str]:
    """The two charts of a statement, as SVG text."""
    from audit import charts  # matplotlib takes most of a second to import: only when drawing

    t = labels(lang)
    return {
        "income": charts.by_type(
            items=[(_name(lang, line), line.amount) for line in st.income],
            title=t["chart_income"],
            hatch="///",
        ),
        "uses": charts.by_type(
            items=[(_name(lang, line), line.amount) for line in (*st.costs, *st.uses)],
            title=t["chart_uses"],
            hatch="xxx",
        ),
        "quarters": charts.quarters(
            periods=[q.period for q in st.quarters],
            series=[
                (t["series_income"], [q.income for q in st.quarters]),
                (t["series_costs"], [q.costs for q in st.quarters]),
                (t["series_uses"], [q.uses for q in st.quarters]),
            ],
            title=t["chart_quarters"],
        ),
    }


def _context(st: Statement, lang: str, base_url: str, units_url: str = "") -> dict[str, Any]:
    t = labels(lang)
    return {
        "st": st,
        "t": t,
        "lang": lang,
        "html_lang": "en" if lang == "en" else "zh-CN",
        "name": lambda line: _name(lang, line),
        "figure": lambda key, value: _figure(lang, key, value),
        "vote": lambda tally: vote_lines(lang, tally),
        "fmt": lambda text, **kw: text.format(**kw),
        "base_url": base_url,
        "units_url": units_url,
        "other_lang": "zh" if lang == "en" else "en",
        "days": (st.posted_until - st.posted_on).days,
        "closed_at": st.closed_at[:16].replace("T", " ") + " (UTC+8)",
    }


def html(st: Statement, *, lang: str = "zh", base_url: str = "", units_url: str = "") -> str:
    """The statement as one self-contained XHTML page (charts inline as data URIs).
    ``base_url`` (e.g. ``/public/demo/disclosures/2025Q1``) adds links to the other formats,
    ``units_url`` (``/public/demo/units``) the unit lookup form; neither is in print."""
    svgs = chart_svgs(st, lang)
    context = _context(st, lang, base_url, units_url)
    context["charts"] = {key: _data_uri(svg) for key, svg in svgs.items()}
    return _env().get_template("disclosure.html").render(**context)


def markdown(st: Statement, *, lang: str = "zh") -> str:
    """The statement for the owners' chat group: tables, no charts, no HTML."""
    return _env().get_template("disclosure.md").render(**_context(st, lang, ""))


def pdf(st: Statement, *, lang: str = "zh") -> bytes:
    """The HTML page rendered to A4 PDF by WeasyPrint (print stylesheet, fonts embedded)."""
    from weasyprint import HTML  # type: ignore[import-untyped]

    result: bytes = HTML(string=html(st, lang=lang)).write_pdf()
    return result


def as_json(st: Statement, *, lang: str = "zh") -> str:
    body = st.as_json()
    body["lang"] = lang
    return json.dumps(body, ensure_ascii=False, indent=2)


def render(
    st: Statement, *, fmt: str, lang: str = "zh", base_url: str = "", units_url: str = ""
) -> bytes:
    """The statement in one of :data:`FORMATS`, as bytes ready to write or serve."""
    if fmt == "html":
        return html(st, lang=lang, base_url=base_url, units_url=units_url).encode()
    if fmt == "pdf":
        return pdf(st, lang=lang)
    if fmt == "md":
        return markdown(st, lang=lang).encode()
    if fmt == "json":
        return as_json(st, lang=lang).encode()
    raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")


def list_html(*, slug: str, community: str, periods: list[dict[str, Any]], lang: str = "zh") -> str:
    return (
        _env()
        .get_template("disclosures.html")
        .render(
            t=labels(lang),
            lang=lang,
            html_lang="en" if lang == "en" else "zh-CN",
            slug=slug,
            community=community,
            periods=periods,
            other_lang="zh" if lang == "en" else "en",
        )
    )


def unit_html(receipts: UnitReceipts, *, lang: str = "zh") -> str:
    t = labels(lang)
    return (
        _env()
        .get_template("unit.html")
        .render(
            t=t,
            lang=lang,
            html_lang="en" if lang == "en" else "zh-CN",
            r=receipts,
            fmt=lambda text, **kw: text.format(**kw),
            other_lang="zh" if lang == "en" else "en",
        )
    )
