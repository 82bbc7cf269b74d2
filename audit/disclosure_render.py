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
from markupsafe import Markup

from audit.disclosure import Statement, UnitReceipts
from ledger.money import fmt_cny

Lang = Literal["zh", "en"]
FORMATS = ("html", "pdf", "md", "json", "text")
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "md": "text/markdown; charset=utf-8",
    "json": "application/json",
    "text": "text/plain; charset=utf-8",
}
#: The chat-group summary stays under this many characters, however many units there are.
TEXT_LIMIT = 1500
#: Lists in the text summary (contracts, failed checks, schedules) show this many, then a count.
TEXT_LIST_CAP = 3

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
        "uses": "使用与分配",
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
        "text_format": "文字摘要",
        "page_before": "第 ",
        "page_middle": " 页 共 ",
        "page_after": " 页",
        "chain_short": "链头",
        "qr_alt": "二维码：本公示的网页",
        "qr_caption": "扫码查看网页版：按房号查询分红与补贴、提出异议",
        "summary_checks_ok": "本期规则检查全部符合或不适用（详见规则检查）。",
        "summary_checks": "本期有 {failed} 项规则检查不符合（详见规则检查）。",
        "summary_overdue": "经营合同期末逾期欠费 {amount}。",
        "contracts": "经营合同：本期收入与欠费（截至期末）",
        "contract": "合同编号 / 对方",
        "received_in_period": "本期收入",
        "due_to_date": "累计应收",
        "received_to_date": "累计已收",
        "overdue": "逾期欠费",
        "ageing": "账龄",
        "ageing_bucket": "{days} 天",
        "compliant": "合规",
        "compliant_yes": "合规",
        "compliant_no": "不合规：无有效的业主大会决议",
        "no_contracts": "无登记的经营合同。",
        "budget_title": "预算执行情况表",
        "actual": "实际",
        "variance": "差异（实际-预算）",
        "no_budget": "本期无预算。",
        "bank_title": "银行存款余额调节（期末）",
        "account": "账户",
        "book_balance": "账面余额",
        "bank_balance": "银行对账单余额",
        "difference": "调节后差额",
        "no_bank": "未导入银行对账单，无调节表。",
        "not_applicable": "不适用",
        "na_no_common_income": "本期无共有收益，不适用",
        "na_no_common_income_ytd": "本年尚无共有收益，不适用",
        "na_no_service_income": "本年尚无经营收入，不适用",
        "schedule_count": "{n} 户",
        "full_notice": "公示全文",
        "unit_lookup": "按房号查询",
        "objection_hint": "对公示有异议，可在公示全文页面提出。",
        "text_uses": "使用与分配",
        "text_closing": "期末资金",
        "text_checks_ok": "规则检查：全部符合或不适用",
        "text_checks_failed": "规则检查：{n} 项不符合（{names}）",
        "text_arrears": "合同欠费：{n} 份合同逾期，共 {amount}",
        "text_noncompliant": "不合规合同：{numbers}",
        "text_schedule": "{kind}：{n} 户，合计 {amount}",
        "sep": "；",
        "colon": "：",
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
        "uses": "Uses and allocation",
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
        "text_format": "Text summary",
        "page_before": "Page ",
        "page_middle": " of ",
        "page_after": "",
        "chain_short": "chain head",
        "qr_alt": "QR code: this notice's web page",
        "qr_caption": "Scan for the web page: look up a unit's dividends, file an objection",
        "summary_checks_ok": "Every rule check of the period is met or not applicable (see "
        "the rule checks).",
        "summary_checks": "{failed} rule check(s) of the period NOT met (see the rule checks).",
        "summary_overdue": "Contracts overdue at the period's end: {amount}.",
        "contracts": "Contracts: income this period and arrears (at the period's end)",
        "contract": "Contract / counterparty",
        "received_in_period": "Received this period",
        "due_to_date": "Due to date",
        "received_to_date": "Received to date",
        "overdue": "Overdue",
        "ageing": "Ageing",
        "ageing_bucket": "{days} days",
        "compliant": "Compliant",
        "compliant_yes": "yes",
        "compliant_no": "NOT compliant: no valid owners' resolution",
        "no_contracts": "No contracts in the register.",
        "budget_title": "Budget against actual",
        "actual": "Actual",
        "variance": "Variance (actual - budget)",
        "no_budget": "No budget for this period.",
        "bank_title": "Bank reconciliation (at the period's end)",
        "account": "Account",
        "book_balance": "Book balance",
        "bank_balance": "Bank statement balance",
        "difference": "Difference after adjustments",
        "no_bank": "No bank statement imported: no reconciliation.",
        "not_applicable": "not applicable",
        "na_no_common_income": "No common income this period: not applicable",
        "na_no_common_income_ytd": "No common income this year so far: not applicable",
        "na_no_service_income": "No service income this year so far: not applicable",
        "schedule_count": "{n} units",
        "full_notice": "Full notice",
        "unit_lookup": "Look up a unit",
        "objection_hint": "Objections can be filed on the full notice's page.",
        "text_uses": "Uses and allocation",
        "text_closing": "Closing balances",
        "text_checks_ok": "Rule checks: all met or not applicable",
        "text_checks_failed": "Rule checks: {n} NOT met ({names})",
        "text_arrears": "Contract arrears: {n} contract(s) overdue, {amount} in all",
        "text_noncompliant": "Non-compliant contracts: {numbers}",
        "text_schedule": "{kind}: {n} units, {amount} in all",
        "sep": "; ",
        "colon": ": ",
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


def css_string(text: object) -> Markup:
    """Text as a CSS string literal for the print header (a community's name is typed by its
    committee): every character but ASCII letters, digits and spaces as a hex escape, so
    nothing in it can end the string, the rule or the ``<style>`` element."""
    out = "".join(
        ch if (ch.isascii() and (ch.isalnum() or ch == " ")) else f"\\{ord(ch):06x}"
        for ch in " ".join(str(text).splitlines())
    )
    return Markup(f'"{out}"')


def qr_data_uri(url: str) -> str:
    """A QR code of ``url`` as an SVG data URI (drawn here by segno, nothing fetched)."""
    import segno

    return str(segno.make(url, error="m").svg_data_uri(scale=4, border=2))


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
    env.filters["css_string"] = css_string
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


def _context(
    st: Statement, lang: str, base_url: str, units_url: str = "", site: str = ""
) -> dict[str, Any]:
    t = labels(lang)
    page_url = f"{site}{base_url}?lang={lang}" if site and base_url else ""
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
        "page_url": page_url,
        "site": site,
        "other_lang": "zh" if lang == "en" else "en",
        "days": (st.posted_until - st.posted_on).days,
        "closed_at": st.closed_at[:16].replace("T", " ") + " (UTC+8)",
        "failed_checks": [c for c in st.checks if not c.ok],
        "running_header": f"{st.community} · {t['title']} · {st.period} · "
        f"{t['chain_short']} #{st.head_seq} {st.head_hash[:16]}",
        "for_print": False,
        "qr": "",
    }


def html(
    st: Statement,
    *,
    lang: str = "zh",
    base_url: str = "",
    units_url: str = "",
    site: str = "",
    for_print: bool = False,
) -> str:
    """The statement as one self-contained XHTML page (charts inline as data URIs).
    ``base_url`` (e.g. ``/public/demo/disclosures/2025Q1``) adds links to the other formats,
    ``units_url`` (``/public/demo/units``) the unit lookup form; neither is in print.
    ``site`` (the configured public address, ``https://...``) makes the page's own address
    absolute for the printed QR code. ``for_print`` opens the per-unit schedules, which the
    web page keeps folded behind the unit lookup."""
    svgs = chart_svgs(st, lang)
    context = _context(st, lang, base_url, units_url, site)
    context["charts"] = {key: _data_uri(svg) for key, svg in svgs.items()}
    context["for_print"] = for_print
    if context["page_url"]:
        context["qr"] = qr_data_uri(context["page_url"])
    return _env().get_template("disclosure.html").render(**context)


def markdown(st: Statement, *, lang: str = "zh") -> str:
    """The statement for the owners' chat group: tables, no charts, no HTML."""
    return _env().get_template("disclosure.md").render(**_context(st, lang, ""))


def text(
    st: Statement, *, lang: str = "zh", base_url: str = "", units_url: str = "", site: str = ""
) -> str:
    """A plain-text summary to paste into a chat group: no tables, a few lines of totals and
    verdicts, the links to the full notice and the unit lookup; under :data:`TEXT_LIMIT`
    characters whatever the number of units or contracts (long lists are cut with a count)."""
    context = _context(st, lang, base_url, units_url, site)
    context["example_unit"] = next((s.lines[0].unit for s in st.schedules if s.lines), "1-1-0101")
    context["cap"] = TEXT_LIST_CAP
    return _env().get_template("disclosure.txt").render(**context)


def pdf(
    st: Statement, *, lang: str = "zh", base_url: str = "", units_url: str = "", site: str = ""
) -> bytes:
    """The HTML page rendered to A4 PDF by WeasyPrint (print stylesheet, fonts embedded):
    summary and signatures on page 1, a running header and "page N of M" on every page, a
    QR code to the web page when ``site`` is known, the per-unit schedules as an appendix."""
    from weasyprint import HTML  # type: ignore[import-untyped]

    page = html(st, lang=lang, base_url=base_url, units_url=units_url, site=site, for_print=True)
    result: bytes = HTML(string=page).write_pdf()
    return result


def as_json(st: Statement, *, lang: str = "zh") -> str:
    body = st.as_json()
    body["lang"] = lang
    return json.dumps(body, ensure_ascii=False, indent=2)


def render(
    st: Statement,
    *,
    fmt: str,
    lang: str = "zh",
    base_url: str = "",
    units_url: str = "",
    site: str = "",
) -> bytes:
    """The statement in one of :data:`FORMATS`, as bytes ready to write or serve."""
    links = {"base_url": base_url, "units_url": units_url, "site": site}
    if fmt == "html":
        return html(st, lang=lang, base_url=base_url, units_url=units_url, site=site).encode()
    if fmt == "pdf":
        return pdf(st, lang=lang, **links)
    if fmt == "md":
        return markdown(st, lang=lang).encode()
    if fmt == "json":
        return as_json(st, lang=lang).encode()
    if fmt == "text":
        return text(st, lang=lang, **links).encode()
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


#: The public pages' refusals, for a browser (``Accept: text/html``); programs get the JSON.
ERROR_TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "title_community": "没有这个小区",
        "text_community": "网址中的小区代码 {slug} 不存在，请核对公示上的网址或二维码。",
        "title_period": "该期间没有公示",
        "text_period": "{period} 尚未结账或不存在：只有已结账的期间才公示。",
        "title_unit": "没有这个房号",
        "text_unit": "房号 {unit} 不在本小区的房屋登记中，请核对后重新查询。",
        "title_unit_format": "房号格式不对",
        "text_unit_format": "请输入登记的房号。",
        "title_request": "请求有误",
        "text_request": "网址中的参数有误：",
        "unit_format": "房号由字母、数字和 -、_、. 组成，以字母或数字开头，最长 40 个字符，"
        "如 1-1-0101（楼栋-单元-房号）。",
        "back": "返回本小区的公示列表",
    },
    "en": {
        "title_community": "No such community",
        "text_community": "There is no community {slug}: check the address or QR code on "
        "the notice.",
        "title_period": "No notice for this period",
        "text_period": "{period} is not closed or does not exist: only closed periods are "
        "published.",
        "title_unit": "No such unit",
        "text_unit": "Unit {unit} is not in this community's register: check it and look "
        "it up again.",
        "title_unit_format": "That is not a unit code",
        "text_unit_format": "Enter the unit as registered.",
        "title_request": "Something in the address is wrong",
        "text_request": "A parameter of the address is wrong:",
        "unit_format": "A unit code is letters, digits, '-', '_' and '.', starting with a "
        "letter or digit, at most 40 characters, e.g. 1-1-0101 (building-entrance-room).",
        "back": "Back to this community's notices",
    },
}


def error_html(
    *,
    kind: str,
    lang: str,
    problems: list[str],
    slug: str = "",
    period: str = "",
    unit: str = "",
    back_url: str = "",
    units_url: str = "",
) -> str:
    """A refusal of the public pages as a page (no script): what was not found or is wrong,
    the expected unit format with the lookup form where a unit was asked for, and a way back.
    ``kind``: community, period, unit, unit_format or request."""
    texts = ERROR_TEXTS["en" if lang == "en" else "zh"]
    e = {
        "title": texts[f"title_{kind}"],
        "text": texts[f"text_{kind}"].format(slug=slug, period=period, unit=unit),
        "unit_format": texts["unit_format"],
        "back": texts["back"],
    }
    return (
        _env()
        .get_template("public_error.html")
        .render(
            t=labels(lang),
            e=e,
            lang=lang,
            html_lang="en" if lang == "en" else "zh-CN",
            other_lang="zh" if lang == "en" else "en",
            problems=problems,
            back_url=back_url,
            units_url=units_url,
        )
    )
