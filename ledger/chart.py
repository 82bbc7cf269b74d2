"""The default chart of accounts for common income, after 民间非营利组织会计制度
(docs/domain.md, "The accounting frame").

beancount v3 requires every account component to start with an uppercase letter or a digit, so
Chinese components carry their 民非 code as a prefix: ``Income:4301-共有收益:01-停车费``. This
also sorts Fava's account tree by code, as Chinese accountants expect.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChartAccount:
    name: str  # beancount name
    code: str  # 民非 code, with sub-account suffix
    name_zh: str
    name_en: str
    restricted: bool = False


def _a(name: str, code: str, zh: str, en: str, restricted: bool = False) -> ChartAccount:
    return ChartAccount(name, code, zh, en, restricted)


BANK = "Assets:1002-银行存款:01-基本户"
CASH = "Assets:1001-现金"
RECEIVABLE = "Assets:1121-应收账款"
OTHER_RECEIVABLE = "Assets:1122-其他应收款"
RENT_IN_ADVANCE = "Liabilities:2203-预收账款:01-预收租金"
DEPOSITS = "Liabilities:2209-其他应付款:01-押金"
DIVIDENDS_PAYABLE = "Liabilities:2209-其他应付款:02-应付业主分红"
MAINTENANCE_PAYABLE = "Liabilities:2209-其他应付款:03-应付专项维修资金"
TAX_PAYABLE = "Liabilities:2206-应交税金"
UNRESTRICTED = "Equity:3101-非限定性净资产"
RESTRICTED = "Equity:3102-限定性净资产:01-维修资金专项"
OPENING = "Equity:3101-非限定性净资产:00-期初结余"
INCOME_PARKING = "Income:4301-共有收益:01-停车费"
INCOME_PILOTIS = "Income:4301-共有收益:02-架空层租金"
INCOME_ROOMS = "Income:4301-共有收益:03-公共用房租金"
INCOME_ADS = "Income:4301-共有收益:04-广告费"
INCOME_OTHER = "Income:4901-其他收入:01-其他共有收益"
INCOME_CIVIL_DEFENCE = "Income:4901-其他收入:02-人防车位收入"
#: Bank deposit interest is 其他收入 (line 9), not 投资收益: a committee makes no investments.
INCOME_INTEREST = "Income:4901-其他收入:03-利息收入"
#: Where books made before this chart kept their interest (still shown as 其他收入).
LEGACY_INTEREST = "Income:4601-投资收益:01-利息"
COST_MANAGER_SHARE = "Expenses:5101-业务活动成本:01-物业服务企业成本分成"
COST_DIRECT = "Expenses:5101-业务活动成本:02-直接成本"
USE_MAINTENANCE = "Expenses:5101-业务活动成本:03-补充专项维修资金"
USE_SUBSIDY = "Expenses:5101-业务活动成本:04-补贴物业费"
USE_UPGRADE = "Expenses:5101-业务活动成本:05-设施改造维修"
USE_DIVIDEND = "Expenses:5101-业务活动成本:06-业主分红"
USE_COMMITTEE = "Expenses:5201-管理费用:01-业委会工作经费"
USE_AUDIT = "Expenses:5201-管理费用:02-审计费"
USE_BANK_FEES = "Expenses:5201-管理费用:03-银行手续费"
OTHER_EXPENSE = "Expenses:5401-其他费用"

DEFAULT_CHART: tuple[ChartAccount, ...] = (
    _a(CASH, "1001", "现金", "Cash"),
    _a(BANK, "1002-01", "银行存款-基本户", "Bank: basic account"),
    _a("Assets:1009-其他货币资金", "1009", "其他货币资金", "Other monetary funds"),
    _a(RECEIVABLE, "1121", "应收账款", "Receivables"),
    _a(OTHER_RECEIVABLE, "1122", "其他应收款", "Other receivables"),
    _a("Assets:1141-预付账款", "1141", "预付账款", "Prepayments"),
    _a("Liabilities:2202-应付账款", "2202", "应付账款", "Payables"),
    _a(RENT_IN_ADVANCE, "2203-01", "预收账款-预收租金", "Rent received in advance"),
    _a(TAX_PAYABLE, "2206", "应交税金", "Taxes payable"),
    _a(DEPOSITS, "2209-01", "其他应付款-押金", "Deposits received"),
    _a(DIVIDENDS_PAYABLE, "2209-02", "其他应付款-应付业主分红", "Dividends payable to owners"),
    _a(
        MAINTENANCE_PAYABLE,
        "2209-03",
        "其他应付款-应付专项维修资金",
        "Payable to the special maintenance fund",
        restricted=True,
    ),
    _a(UNRESTRICTED, "3101", "非限定性净资产", "Unrestricted net assets"),
    _a(OPENING, "3101-00", "非限定性净资产-期初结余", "Opening balances"),
    _a(
        RESTRICTED,
        "3102-01",
        "限定性净资产-维修资金专项",
        "Restricted net assets: maintenance fund",
        restricted=True,
    ),
    _a(INCOME_PARKING, "4301-01", "共有收益-停车费", "Parking fees"),
    _a(INCOME_PILOTIS, "4301-02", "共有收益-架空层租金", "Pilotis rent"),
    _a(INCOME_ROOMS, "4301-03", "共有收益-公共用房租金", "Public room rent"),
    _a(INCOME_ADS, "4301-04", "共有收益-广告费", "Advertising"),
    _a(INCOME_OTHER, "4901-01", "其他收入-其他共有收益", "Other common income"),
    _a(INCOME_CIVIL_DEFENCE, "4901-02", "其他收入-人防车位收入", "Civil-air-defence parking"),
    _a(INCOME_INTEREST, "4901-03", "其他收入-利息收入", "Bank interest"),
    _a(COST_MANAGER_SHARE, "5101-01", "物业服务企业成本分成", "Manager's cost share"),
    _a(COST_DIRECT, "5101-02", "直接成本", "Direct costs"),
    _a(USE_MAINTENANCE, "5101-03", "补充专项维修资金", "Maintenance-fund top-up"),
    _a(USE_SUBSIDY, "5101-04", "补贴物业费", "Property-fee subsidy"),
    _a(USE_UPGRADE, "5101-05", "设施改造维修", "Upgrades and repairs"),
    _a(USE_DIVIDEND, "5101-06", "业主分红", "Dividends to owners"),
    _a(USE_COMMITTEE, "5201-01", "业委会工作经费", "Committee working expenses"),
    _a(USE_AUDIT, "5201-02", "审计费", "Audit fees"),
    _a(USE_BANK_FEES, "5201-03", "银行手续费", "Bank charges"),
    _a(OTHER_EXPENSE, "5401", "其他费用", "Other expenses"),
)

#: The community's money: spending is money leaving these accounts.
CASH_ACCOUNTS = (CASH, BANK, "Assets:1009-其他货币资金")


# --- the statements' lines (民间非营利组织会计制度, 会民非01/02/03表) ---------------------------


@dataclass(frozen=True)
class Lines:
    """Where an account's balance and movements go in the statutory statements: the balance
    sheet's line (会民非01表 行次 and name), the statement of activities' line (会民非02表), and
    the class of cash flow a cash movement against it belongs to (会民非03表). Carried as
    metadata on the account's ``open`` directive, so local sub-accounts keep their names."""

    position: str  # e.g. "1 货币资金"; "" for none
    activity: str  # e.g. "3 提供服务收入"; "" for none
    cash_flow: str  # "业务活动" | "投资活动" | "筹资活动" | ""


#: By code, longest prefix first. Income and expenses sit in net assets on the balance sheet
#: (non-restricted unless the account is restricted). Distributions of the owners' net common
#: income are 业务活动成本 lines of their own (13-15), which the 收益分配表 regroups.
LINES: tuple[tuple[str, Lines], ...] = (
    ("1001", Lines("1 货币资金", "", "")),
    ("1002", Lines("1 货币资金", "", "")),
    ("1009", Lines("1 货币资金", "", "")),
    ("1121", Lines("3 应收款项", "", "业务活动")),
    ("1122", Lines("3 应收款项", "", "业务活动")),
    ("1141", Lines("4 预付账款", "", "业务活动")),
    ("1501", Lines("31 固定资产原价", "", "投资活动")),
    ("2202", Lines("62 应付款项", "", "业务活动")),
    ("2203", Lines("66 预收账款", "", "业务活动")),
    ("2206", Lines("65 应交税金", "", "业务活动")),
    ("2209", Lines("62 应付款项", "", "业务活动")),
    ("3101", Lines("101 非限定性净资产", "", "")),
    ("3102", Lines("105 限定性净资产", "", "")),
    ("4301", Lines("101 非限定性净资产", "3 提供服务收入", "业务活动")),
    ("4601-01", Lines("101 非限定性净资产", "9 其他收入", "业务活动")),  # legacy interest
    ("4601", Lines("101 非限定性净资产", "6 投资收益", "投资活动")),
    ("4901", Lines("101 非限定性净资产", "9 其他收入", "业务活动")),
    ("5101-03", Lines("101 非限定性净资产", "13 其中：补充专项维修资金", "业务活动")),
    ("5101-04", Lines("101 非限定性净资产", "14 其中：补贴物业费", "业务活动")),
    ("5101-06", Lines("101 非限定性净资产", "15 其中：业主分红", "业务活动")),
    ("5101", Lines("101 非限定性净资产", "12 业务活动成本", "业务活动")),
    ("5201", Lines("101 非限定性净资产", "21 管理费用", "业务活动")),
    ("5401", Lines("101 非限定性净资产", "28 其他费用", "业务活动")),
)


def lines_of(code: str, restricted: bool = False) -> Lines:
    """The statements' lines of the account with ``code`` (see :data:`LINES`)."""
    for prefix, lines in LINES:
        if code.startswith(prefix):
            if restricted and code[:1] == "4":
                return Lines("105 限定性净资产", lines.activity, lines.cash_flow)
            return lines
    return Lines("", "", "")
