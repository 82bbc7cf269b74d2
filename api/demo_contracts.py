"""The demo's second year (2026): a contract for every income source from the common parts, a
budget adopted by the owners, and the quarters closed with their accruals.

- C-2026-01 架空层 (pilotis), 15,000.00 a quarter in advance, paid on time;
- C-2026-02 公共用房 (a room), 5,000.00 a quarter: **paid late** (Q2's rent in August, Q3's
  and Q4's not yet), so it shows in the arrears with its ageing;
- C-2026-03 电梯广告屏 (lift screens), 6,000.00 a half year **paid ahead** in January and July:
  the closes spread each payment over the two quarters it covers (2203 预收账款);
- C-2026-04 地面停车场 (ground parking), 8,000.00 a month collected by the manager and remitted
  net of its 30% share: booked gross, the share as the manager's cost;
- C-2026-05 小区入口广告牌 (the entrance billboard): its resolution (2025-04) failed the 3/4 of
  民法典 art. 278 (八), so the contract is registered (its income is on the books) but flagged.

The budget for 2026 (resolution 2026-01) has lines by quarter; direct costs run 200.00 over
their Q2 line (within the 10% tolerance). Only what is dated up to today is posted, and only the
quarters that have ended are closed, each with the reserve topped up to what it requires.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_CEILING, Decimal
from typing import Any

from ledger import chart, clock
from ledger.books import Books
from ledger.errors import RuleViolations
from ledger.period import parse_period
from ledger.schemas import PostingIn, TransactionIn

YEAR = 2026
#: The demo's last day: its books run to here whatever the date, so the demo is the same on
#: every machine from then on (2026Q4 stays open, and the README's examples, dated in it,
#: run as written).
LAST_DAY = date(YEAR, 11, 30)
VOTED = date(YEAR - 1, 12, 20)

CONTRACTS: tuple[dict[str, Any], ...] = (
    {
        "number": "C-2026-01",
        "counterparty": "好邻居便利店",
        "space": "3号楼架空层",
        "kind": "pilotis",
        "resolution": "2026-02",
        "deposit": "5000.00",
        "schedule": {"every": "quarter", "amount": "15000.00", "due_day": 10},
        "income_account": chart.INCOME_PILOTIS,
    },
    {
        "number": "C-2026-02",
        "counterparty": "社区养老服务站",
        "space": "公共用房 101",
        "kind": "room",
        "resolution": "2026-02",
        "schedule": {"every": "quarter", "amount": "5000.00", "due_day": 10},
        "income_account": chart.INCOME_ROOMS,
    },
    {
        "number": "C-2026-03",
        "counterparty": "分众传媒",
        "space": "电梯广告屏",
        "kind": "advertising",
        "resolution": "2026-02",
        "deposit": "2000.00",
        "schedule": {"every": "half", "amount": "6000.00", "due_day": 15},
        "income_account": chart.INCOME_ADS,
    },
    {
        "number": "C-2026-04",
        "counterparty": "物业服务中心(停车管理)",
        "space": "地面停车场",
        "kind": "parking",
        "resolution": "2026-02",
        "schedule": {"every": "month", "amount": "8000.00", "due_day": 5},
        "income_account": chart.INCOME_PARKING,
        "manager_share": "0.30",
    },
    {
        "number": "C-2026-05",
        "counterparty": "某广告公司",
        "space": "小区入口广告牌",
        "kind": "advertising",
        "resolution": "2025-04",
        "schedule": {"every": "year", "amount": "3000.00", "due_day": 15},
        "income_account": chart.INCOME_ADS,
    },
)


def _budget_lines() -> list[dict[str, str]]:
    lines = []
    per_quarter = {
        chart.INCOME_PILOTIS: "15000.00",
        chart.INCOME_ROOMS: "5000.00",
        chart.INCOME_ADS: "3750.00",
        chart.INCOME_PARKING: "24000.00",
        chart.COST_MANAGER_SHARE: "7200.00",
        chart.USE_COMMITTEE: "1500.00",
        chart.USE_MAINTENANCE: "25000.00",
        chart.INCOME_INTEREST: "150.00",
        chart.USE_BANK_FEES: "30.00",
    }
    for account, amount in per_quarter.items():
        for quarter in range(1, 5):
            lines.append({"account": account, "period": f"{YEAR}Q{quarter}", "amount": amount})
    lines.append({"account": chart.COST_DIRECT, "period": f"{YEAR}Q2", "amount": "3000.00"})
    lines.append({"account": chart.USE_AUDIT, "period": f"{YEAR}Q4", "amount": "6000.00"})
    return lines


def _draft(
    day: date,
    payee: str,
    narration: str,
    kind: str,
    legs: list[tuple[str, str]],
    key: str,
    contract: str | None = None,
) -> TransactionIn:
    return TransactionIn(
        date=day,
        payee=payee,
        narration=narration,
        kind=kind,
        postings=[PostingIn(account=a, amount=Decimal(v)) for a, v in legs],
        contract=contract,
        idempotency_key=f"demo-{key}",
    )


def _receipt(day: date, payee: str, what: str, amount: str, account: str, number: str) -> Any:
    return _draft(
        day,
        payee,
        what,
        "income",
        [(chart.BANK, amount), (account, f"-{amount}")],
        f"{day}-{number}",
        contract=number,
    )


def year_drafts() -> list[TransactionIn]:
    """The year's receipts and spending, in date order (the reserve comes at each close)."""
    out: list[TransactionIn] = []
    for month in range(1, 13):
        day = date(YEAR, month, 5)
        out.append(
            _draft(
                day,
                "物业服务中心(停车管理)",
                f"{month}月地面停车费 8,000.00, 扣除30%管理成本后汇入",
                "income",
                [
                    (chart.BANK, "5600.00"),
                    (chart.COST_MANAGER_SHARE, "2400.00"),
                    (chart.INCOME_PARKING, "-8000.00"),
                ],
                f"{day}-parking",
                contract="C-2026-04",
            )
        )
    for quarter in range(4):
        first = date(YEAR, quarter * 3 + 1, 10)
        out.append(
            _receipt(
                first,
                "好邻居便利店",
                f"第{quarter + 1}季度架空层租金",
                "15000.00",
                chart.INCOME_PILOTIS,
                "C-2026-01",
            )
        )
        last = date(YEAR, quarter * 3 + 3, 26)
        out.append(
            _draft(
                last,
                "业委会",
                f"第{quarter + 1}季度委员工作津贴",
                "cost",
                [(chart.USE_COMMITTEE, "1500.00"), (chart.BANK, "-1500.00")],
                f"{YEAR}-q{quarter + 1}-committee",
            )
        )
    out += [
        _receipt(
            date(YEAR, 1, 10),
            "社区养老服务站",
            "第1季度公共用房租金",
            "5000.00",
            chart.INCOME_ROOMS,
            "C-2026-02",
        ),
        # Q2's rent, paid late; Q3's and Q4's not yet.
        _receipt(
            date(YEAR, 8, 20),
            "社区养老服务站",
            "第2季度公共用房租金(逾期)",
            "5000.00",
            chart.INCOME_ROOMS,
            "C-2026-02",
        ),
        # Half a year paid ahead, twice.
        _receipt(
            date(YEAR, 1, 15),
            "分众传媒",
            "电梯广告屏上半年费",
            "6000.00",
            chart.INCOME_ADS,
            "C-2026-03",
        ),
        _receipt(
            date(YEAR, 7, 15),
            "分众传媒",
            "电梯广告屏下半年费",
            "6000.00",
            chart.INCOME_ADS,
            "C-2026-03",
        ),
        _receipt(
            date(YEAR, 1, 20),
            "某广告公司",
            "入口广告牌年费",
            "3000.00",
            chart.INCOME_ADS,
            "C-2026-05",
        ),
        _draft(
            date(YEAR, 2, 1),
            "好邻居便利店",
            "架空层租赁押金",
            "income",
            [(chart.BANK, "5000.00"), (chart.DEPOSITS, "-5000.00")],
            f"{YEAR}-deposit-C-2026-01",
            contract="C-2026-01",
        ),
        _draft(
            date(YEAR, 5, 20),
            "绿化养护公司",
            "公共绿地补种",
            "cost",
            [(chart.COST_DIRECT, "3200.00"), (chart.BANK, "-3200.00")],
            f"{YEAR}-direct",
        ),
    ]
    out.sort(key=lambda d: d.date)
    return out


def _post(books: Books, slug: str, draft: TransactionIn) -> None:
    from api.demo_documents import post

    post(books, slug, draft)


def _close(books: Books, slug: str, quarter: int) -> None:
    """Close the quarter, first topping the reserve up to what the close requires (the
    accrual changes the income it reads)."""
    from api.demo import APPROVER
    from rules.periods import close

    label = f"{YEAR}Q{quarter}"
    try:
        close(books=books, slug=slug, period=label, actor=APPROVER)
        return
    except RuleViolations as refused:
        shortfall = next(
            (
                Decimal(p.details["shortfall"])
                for p in refused.problems
                if p.rule == "reserve-share"
            ),
            None,
        )
        if shortfall is None:
            raise
    amount = f"{shortfall.quantize(Decimal('1'), rounding=ROUND_CEILING):.2f}"
    end = date(YEAR, quarter * 3, 28)
    _post(
        books,
        slug,
        _draft(
            end,
            "专项维修资金账户",
            f"第{quarter}季度公共收益补充专项维修资金",
            "reserve",
            [(chart.USE_MAINTENANCE, amount), (chart.BANK, f"-{amount}")],
            f"{YEAR}-q{quarter}-reserve",
        ),
    )
    close(books=books, slug=slug, period=label, actor=APPROVER)


def demo_today() -> date:
    """Today, or the demo's last day once it has passed."""
    return min(clock.today(), LAST_DAY)


def build_contracts(*, books: Books, slug: str) -> None:
    """The 2026 resolutions, contracts, budget and entries dated up to today; the quarters
    that have ended, closed. Nothing before the year has started."""
    from api.demo import APPROVER, SEED, TREASURER, demo_ballots, demo_units
    from api.demo_bank import Routine
    from api.demo_documents import attach_to_resolution
    from rules.budget import BudgetIn, set_budget
    from rules.contracts import ContractIn, add
    from rules.resolution_register import ResolutionIn, create

    today = demo_today()
    if today < date(YEAR, 1, 5):
        return
    units = demo_units()
    for number, title, matter, budget, purpose, yes in (
        ("2026-01", "2026年度公共收益收支预算", 9, "20000.00", ["cost"], 0.88),
        (
            "2026-02",
            "共有部分经营性使用(架空层、公共用房、电梯广告、地面停车)",
            8,
            "0.00",
            [],
            0.9,
        ),
    ):
        body = ResolutionIn.model_validate(
            {
                "number": number,
                "title": title,
                "matter": matter,
                "voted_on": VOTED,
                "effective_from": VOTED,
                "budget": budget,
                "purpose": purpose,
                "ballots": demo_ballots(units, yes, SEED + 100 + int(number[-1])),
            }
        )
        create(books=books, slug=slug, body=body, actor=APPROVER)
        attach_to_resolution(books, slug, number, title, str(VOTED))
    for item in CONTRACTS:
        contract = ContractIn.model_validate(
            {"start": f"{YEAR}-01-01", "end": f"{YEAR}-12-31", **item}
        )
        add(books=books, slug=slug, body=contract, actor=TREASURER)
    set_budget(
        books=books,
        slug=slug,
        body=BudgetIn.model_validate(
            {"year": YEAR, "resolution": "2026-01", "lines": _budget_lines()}
        ),
        actor=APPROVER,
    )
    drafts = [d for d in year_drafts() if d.date <= today]
    bank = Routine(books, slug, SEED)
    for quarter in range(1, 5):
        for draft in [d for d in drafts if d.date.month <= quarter * 3]:
            _post(books, slug, draft)
            drafts.remove(draft)
        end = parse_period(f"{YEAR}Q{quarter}").end
        bank.settle_through(end, today)  # each month's statement, before the quarter closes
        if today > end:
            _close(books, slug, quarter)
    bank.write_open(today)
