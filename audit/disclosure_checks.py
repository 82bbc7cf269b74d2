"""The rule checks printed on a statement, each with the figures that decide it.

A check restates, for the owners, a rule the posting path enforces (``rules/``), and takes
everything from that rule: its name (the one its violations carry), its figures, computed by the
rule module's own fold (``figures`` of :mod:`rules.reserve`, :mod:`rules.manager_share`,
:mod:`rules.committee`, :mod:`rules.civil_defence`), its verdict and the source it cites, with
the settings of the rules file in force at the period's end. Nothing here recomputes a rule or
keeps a default of its own, so the statement cannot print a verdict the posting path or the
close would not give:

- the reserve: the period's figures, the very computation that allowed the period to close;
- the manager's share and the committee's expenses: year to date at the period's end, folded as
  the posting check folds them, against the cap it would apply on that day;
- civil-air-defence parking: the 人防 income credited in the period on days the rules file did
  not give the community those spaces (what posting refuses).

Here only the presentation is decided: percentages and amounts as text, and the names in words.
"""

from __future__ import annotations

from decimal import Decimal

from audit.disclosure_model import Check, Funds, ResolutionLine
from ledger.money import quantize
from rules import overdraft as overdraft_rule
from rules import reserve as reserve_rule
from rules import resolution_required as resolution_rule
from rules.civil_defence import CivilDefenceFigures
from rules.config import RuleSettings
from rules.reserve import Reserve
from rules.shares import ShareFigures

#: Why a share rule has nothing to judge (:attr:`audit.disclosure_model.Check.not_applicable`):
#: only when the rule is met, so a cost charged against no income still shows as a breach.
NO_COMMON_INCOME = "no_common_income"  # in the period (the reserve)
NO_COMMON_INCOME_YTD = "no_common_income_ytd"  # in the year so far (the committee's cap)
NO_SERVICE_INCOME = "no_service_income"  # in the year so far (the manager's cap)


def _pct(value: Decimal) -> str:
    return f"{quantize(value * 100):f}%"


def _share(part: Decimal, whole: Decimal) -> Decimal:
    return part / whole if whole > 0 else Decimal(0)


def _money(value: Decimal) -> str:
    return f"{value:f}"


def reserve(found: Reserve, settings: RuleSettings) -> Check:
    """By the close, enough of the period's net common income was set aside for the
    maintenance fund (上海 art. 51: more than 50%; 北京 art. 74: at least 50% while the fund is
    under its floor). The required amount is the least fen amount that satisfies the rule."""
    more_than = found.comparison == "more_than"
    # Beijing's condition (only while the fund is under its floor) is cited with Beijing's rule.
    beijing = settings.reserve_condition == "fund_below"
    return Check(
        rule=reserve_rule.NAME,
        name_zh="补充专项维修资金比例",
        name_en="Share set aside for the maintenance fund",
        ok=found.ok,
        figures={
            "net_income": _money(found.net_income),
            "set_aside": _money(found.set_aside),
            "share": _pct(_share(found.set_aside, found.net_income)),
            "required": ("> " if more_than else "≥ ") + _pct(found.share) if found.applies else "—",
            "required_amount": _money(found.least),
        },
        source=reserve_rule.SOURCE["at_least" if beijing else found.comparison],
        not_applicable=NO_COMMON_INCOME if found.ok and found.net_income <= 0 else "",
    )


def manager_share(found: ShareFigures) -> Check:
    """The manager's cost share of the year's 4301 service income (:mod:`rules.manager_share`)."""
    return Check(
        rule=found.rule,
        name_zh="物业服务企业成本分成占经营收入比例（本年累计）",
        name_en="Manager's cost share of service income (year to date)",
        ok=found.ok,
        figures={
            "service_income": _money(found.income),
            "manager_share": _money(found.cost),
            "share": _pct(_share(found.cost, found.income)),
            "cap": "≤ " + _pct(found.share),
        },
        source=found.source,
        not_applicable=NO_SERVICE_INCOME if found.income <= 0 and found.cost == 0 else "",
    )


def committee_share(found: ShareFigures) -> Check:
    """Committee working expenses of the year's common income (:mod:`rules.committee`)."""
    return Check(
        rule=found.rule,
        name_zh="业委会工作经费占共有收益比例（本年累计）",
        name_en="Committee expenses as a share of common income (year to date)",
        ok=found.ok,
        figures={
            "common_income": _money(found.income),
            "committee": _money(found.cost),
            "share": _pct(_share(found.cost, found.income)),
            "cap": "≤ " + _pct(found.share),
        },
        source=found.source,
        not_applicable=NO_COMMON_INCOME_YTD if found.income <= 0 and found.cost == 0 else "",
    )


def civil_defence(found: CivilDefenceFigures) -> Check:
    """No 人防 income credited while the community did not own the spaces
    (:mod:`rules.civil_defence`). The figure is that income: when the community owns the spaces
    its 人防 income is common income, listed with the other income, and the figure is 0.00."""
    return Check(
        rule=found.rule,
        name_zh="人防车位收入未计入共有收益",
        name_en="No civil-air-defence parking income booked as common income",
        ok=found.ok,
        figures={"civil_defence_income": _money(found.not_owned)},
        source=found.source,
    )


def resolution(res: ResolutionLine) -> Check:
    return Check(
        rule=resolution_rule.NAME,
        name_zh=f"决议 {res.number} 已通过且支出未超预算",
        name_en=f"Resolution {res.number} passed and within its budget",
        ok=res.passed and res.spent_to_date <= res.budget,
        figures={
            "passed": "yes" if res.passed else "no",
            "budget": _money(res.budget),
            "spent_to_date": _money(res.spent_to_date),
        },
        source=resolution_rule.SOURCE_CITED,
    )


def cash(closing: Funds) -> Check:
    return Check(
        rule=overdraft_rule.NAME,
        name_zh="期末货币资金不为负",
        name_en="Closing cash is not negative",
        ok=closing.cash >= 0,
        figures={"closing_cash": _money(closing.cash)},
    )


def period_checks(
    *,
    settings: RuleSettings,
    reserve_figures: Reserve,
    manager_share_figures: ShareFigures,
    committee_figures: ShareFigures,
    civil_defence_figures: CivilDefenceFigures,
    closing: Funds,
    resolutions: list[ResolutionLine],
) -> list[Check]:
    return [
        reserve(reserve_figures, settings),
        manager_share(manager_share_figures),
        committee_share(committee_figures),
        civil_defence(civil_defence_figures),
        *(resolution(r) for r in resolutions),
        cash(closing),
    ]
