"""The rule checks printed on a statement, each with the figures that decide it.

They restate, for the owners, the period-end and year-to-date arithmetic of the rules the
posting path enforces (``rules/``), with the settings of the rules file in force at the
period's end. The reserve check takes its figures from :func:`rules.reserve.figures`, the very
computation that allowed the period to close, so the statement and the close cannot disagree.

- the manager's share and the committee's expenses: year to date at the period's end, against
  the service income (4301) and the common income of the same months, as the rules fold them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from audit.disclosure_model import Check, Funds, ResolutionLine
from ledger.money import FEN, quantize
from rules.config import Settings
from rules.reserve import Reserve


@dataclass(frozen=True)
class Figures:
    """What the checks read from the books."""

    civil_defence_income: Decimal  # the period's
    ytd_service_income: Decimal  # 4301, 1 January to the period's end
    ytd_manager_share: Decimal  # 5101-01, same months
    ytd_common_income: Decimal  # income less civil-defence parking, same months
    ytd_committee: Decimal  # 5201-01, same months


def _pct(value: Decimal) -> str:
    return f"{quantize(value * 100):f}%"


def _share(part: Decimal, whole: Decimal) -> Decimal:
    return part / whole if whole > 0 else Decimal(0)


def _money(value: Decimal) -> str:
    return f"{value:f}"


def reserve(found: Reserve, settings: Settings) -> Check:
    """By the close, enough of the period's net common income was set aside for the
    maintenance fund (上海 art. 51: more than 50%; 北京 art. 74: at least 50% while the fund is
    under its floor). The required amount is the least fen amount that satisfies the rule."""
    more_than = found.comparison == "more_than"
    beijing = not more_than or settings.reserve_condition == "fund_below"
    net = found.net_income
    required = Decimal("0.00")
    if found.applies and net > 0:
        exact = net * found.share
        required = (
            exact.quantize(FEN, rounding=ROUND_FLOOR) + FEN
            if more_than
            else exact.quantize(FEN, rounding=ROUND_CEILING)
        )
    return Check(
        rule="reserve",
        name_zh="补充专项维修资金比例",
        name_en="Share set aside for the maintenance fund",
        ok=found.shortfall <= 0,
        figures={
            "net_income": _money(net),
            "set_aside": _money(found.set_aside),
            "share": _pct(_share(found.set_aside, net)),
            "required": ("> " if more_than else "≥ ") + _pct(found.share) if found.applies else "—",
            "required_amount": _money(required),
        },
        source="北京物业管理条例 art. 74" if beijing else "上海住宅物业管理规定 art. 51",
    )


def manager_share(settings: Settings, figures: Figures) -> Check:
    cap = settings.manager_share_max
    income, share = figures.ytd_service_income, figures.ytd_manager_share
    return Check(
        rule="manager-share",
        name_zh="物业服务企业成本分成占经营收入比例（本年累计）",
        name_en="Manager's cost share of service income (year to date)",
        ok=share <= quantize(income * cap),
        figures={
            "service_income": _money(income),
            "manager_share": _money(share),
            "share": _pct(_share(share, income)),
            "cap": "≤ " + _pct(cap),
        },
        source="民法典 art. 282",
    )


def committee_share(settings: Settings, figures: Figures) -> Check:
    cap = settings.committee_share_max
    income, spent = figures.ytd_common_income, figures.ytd_committee
    return Check(
        rule="committee-share",
        name_zh="业委会工作经费占共有收益比例（本年累计）",
        name_en="Committee expenses as a share of common income (year to date)",
        ok=spent <= quantize(income * cap),
        figures={
            "common_income": _money(income),
            "committee": _money(spent),
            "share": _pct(_share(spent, income)),
            "cap": "≤ " + _pct(cap),
        },
        source="物业管理条例 art. 54",
    )


def civil_defence(settings: Settings, figures: Figures) -> Check:
    owned = settings.civil_defence_owned
    return Check(
        rule="civil-defence",
        name_zh="人防车位收入未计入共有收益",
        name_en="No civil-air-defence parking income booked as common income",
        ok=owned or figures.civil_defence_income == 0,
        figures={"civil_defence_income": _money(figures.civil_defence_income)},
        source="人民防空法 art. 5",
    )


def resolution(res: ResolutionLine) -> Check:
    return Check(
        rule="resolution-budget",
        name_zh=f"决议 {res.number} 已通过且支出未超预算",
        name_en=f"Resolution {res.number} passed and within its budget",
        ok=res.passed and res.spent_to_date <= res.budget,
        figures={
            "passed": "yes" if res.passed else "no",
            "budget": _money(res.budget),
            "spent_to_date": _money(res.spent_to_date),
        },
        source="民法典 art. 278",
    )


def cash(closing: Funds) -> Check:
    return Check(
        rule="overdraft",
        name_zh="期末货币资金不为负",
        name_en="Closing cash is not negative",
        ok=closing.cash >= 0,
        figures={"closing_cash": _money(closing.cash)},
    )


def period_checks(
    *,
    settings: Settings,
    reserve_figures: Reserve,
    figures: Figures,
    closing: Funds,
    resolutions: list[ResolutionLine],
) -> list[Check]:
    return [
        reserve(reserve_figures, settings),
        manager_share(settings, figures),
        committee_share(settings, figures),
        civil_defence(settings, figures),
        *(resolution(r) for r in resolutions),
        cash(closing),
    ]
