"""Every account of the chart says where it goes in the statutory statements, as metadata on
its ``open`` directive (会民非01/02/03表); bank interest is 其他收入, in new books and old."""

from __future__ import annotations

from beancount import loader
from beancount.core import data

from ledger import chart
from ledger.books import Books


def opens(books: Books, slug: str) -> dict[str, dict[str, object]]:
    entries, errors, _ = loader.load_file(str(books.projection(slug).path))
    assert errors == []
    return {e.account: e.meta for e in entries if isinstance(e, data.Open)}


def test_every_account_of_the_default_chart_has_its_lines(books: Books, community: str) -> None:
    meta = opens(books, community)
    assert set(meta) == {a.name for a in chart.DEFAULT_CHART}
    for account in chart.DEFAULT_CHART:
        assert meta[account.name].get("line-position"), account.name  # every account
        if account.name.startswith(("Income:", "Expenses:")):
            assert meta[account.name].get("line-activity"), account.name
    assert meta[chart.BANK]["line-position"] == "1 货币资金"
    assert meta[chart.INCOME_PARKING]["line-activity"] == "3 提供服务收入"
    assert meta[chart.INCOME_INTEREST]["line-activity"] == "9 其他收入"
    assert meta[chart.USE_DIVIDEND]["line-activity"] == "15 其中：业主分红"
    assert meta[chart.USE_COMMITTEE]["line-activity"] == "21 管理费用"
    assert meta[chart.RESTRICTED]["line-position"] == "105 限定性净资产"


def test_interest_kept_by_older_books_is_still_other_income() -> None:
    assert chart.lines_of("4601-01").activity == "9 其他收入"
    assert chart.lines_of("4601-02").activity == "6 投资收益"
    assert chart.lines_of("4301-09", restricted=True).position == "105 限定性净资产"
    assert chart.INCOME_INTEREST.startswith("Income:4901-其他收入")
