"""What the approver sees of an entry waiting for approval on the entry page: the cited
resolution with its budget as the approval will count it, the documents uploaded for it (the
links open them), the accounts in Chinese with 借/贷 and unsigned amounts, who entered it and
when; rejecting takes a reason. All escaped, no inline script."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from html import escape

from fastapi.testclient import TestClient

from api.pending_view import chinese_name
from ledger import chart, clock, journal
from ledger.books import Books
from ledger.clock import CST
from tests.api_helpers import SLUG, Login, api, login
from tests.conftest import txn as conftest_txn
from tests.rules_helpers import add_resolution

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
TITLE = "<b>电梯</b>轿厢监控改造"
BUDGET = Decimal("50000.00")


def _upgrade(books: Books, amount: str, narration: str) -> str:
    draft = conftest_txn(
        amount, debit=chart.USE_UPGRADE, credit=chart.BANK, kind="upgrade",
        narration=narration, resolution="2025-01", day=clock.today(),
    )  # fmt: skip
    draft = draft.model_copy(update={"documents": ["收据 0001"]})
    result = journal.post(books=books, slug=SLUG, draft=draft, actor="treasurer")
    assert result.pending
    return result.entry.id


def _article(page: str, entry_id: str) -> str:
    found = re.search(
        rf'<article class="pending" id="pending-{entry_id}">(.*?)</article>', page, re.S
    )
    assert found, f"no pending entry {entry_id} on the page"
    return found.group(1)


def _yuan(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _spent(client: TestClient) -> Decimal:
    """What the posted entries citing 2025-01 charged to expenses, from the API."""
    items = client.get(f"{api()}/transactions", params={"status": "posted"}).json()["items"]
    return sum(
        (
            Decimal(p["amount"])
            for item in items
            if item["resolution"] == "2025-01"
            for p in item["postings"]
            if p["account"].startswith("Expenses:")
        ),
        Decimal("0.00"),
    )


def test_each_pending_entry_shows_what_the_approver_decides_on(
    app: object, members: dict[str, Login], api_books: Books
) -> None:
    approver = TestClient(app)  # type: ignore[arg-type]
    login(approver, members["approver"])
    add_resolution(
        api_books, SLUG, title=TITLE, budget=f"{BUDGET}", effective_from=date(2000, 1, 1)
    )
    journal.post(books=api_books, slug=SLUG, draft=conftest_txn("90000.00"), actor="treasurer")
    first = _upgrade(api_books, "12000.00", "改造 一期")
    journal.approve(books=api_books, slug=SLUG, entry_id=first, actor="approver")
    big, small = (
        _upgrade(api_books, "30000.00", "改造 二期"),
        _upgrade(api_books, "20000.00", "改造 三期"),
    )
    uploaded = approver.post(
        f"{api()}/documents",
        files={"file": ("<img src=x>发票.png", PNG, "image/png")},
        data={"entry": big},
        headers=members["treasurer"].bearer,
    )
    assert uploaded.status_code == 201, uploaded.text
    sha = uploaded.json()["sha256"]

    page = approver.get(f"/entry/{SLUG}")
    assert page.status_code == 200
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text)  # no inline script
    spent = _spent(approver)
    assert spent == Decimal("12000.00")
    shown = _article(page.text, big)
    left = BUDGET - spent
    assert "2025-01" in shown and escape(TITLE, quote=False) in shown and "<b>" not in shown
    assert f"预算 {_yuan(BUDGET)} 元，已用 {_yuan(spent)} 元，剩余 {_yuan(left)} 元" in shown
    assert f"本笔计入 30,000.00 元，批准后剩余 {_yuan(left - 30000)} 元" in shown
    assert "超出预算" not in shown
    # the accounts in Chinese, 借 then 贷, unsigned
    cells = re.findall(
        r"<tr><td>(借|贷)</td><td title=\"([^\"]+)\">([^<]+)</td><td class=\"num\">([^<]+)</td>",
        shown,
    )
    assert cells == [
        ("借", chart.USE_UPGRADE, "业务活动成本 / 设施改造维修", "30,000.00"),
        ("贷", chart.BANK, "银行存款 / 基本户", "30,000.00"),
    ]
    # who and when
    entry = approver.get(f"{api()}/transactions/{big}").json()
    created = datetime.fromisoformat(entry["created_at"])
    when = (created if created.tzinfo else created.replace(tzinfo=UTC)).astimezone(CST)
    assert (
        f'录入人 <span class="entered-by">treasurer</span> · 录入时间 {when:%Y-%m-%d %H:%M}'
        in shown
    )
    # its document, linked and escaped, and the receipt number typed with it
    link = f"/api/v1/communities/{SLUG}/documents/{sha}"
    assert f'<a href="{link}">&lt;img src=x&gt;发票.png</a>' in shown
    assert "单据号：收据 0001" in shown
    download = approver.get(link)
    assert download.status_code == 200 and download.content == PNG
    other = _article(page.text, small)
    assert "/documents/" not in other and "单据号：收据 0001" in other  # its receipt number only

    # once the bigger one is posted, the smaller one would go over: the page says so first
    tokens = dict(
        re.findall(
            r'action="([^"]+)">\s*<input type="hidden" name="csrf" value="([^"]+)"', page.text
        )
    )
    approve_big = f"/entry/{SLUG}/pending/{big}/approve"
    assert "已批准并记账" in approver.post(approve_big, data={"csrf": tokens[approve_big]}).text
    page = approver.get(f"/entry/{SLUG}").text
    spent = _spent(approver)
    assert spent == Decimal("42000.00")
    shown = _article(page, small)
    after = BUDGET - spent - Decimal("20000.00")
    assert after < 0
    assert (
        f"剩余 {_yuan(BUDGET - spent)} 元；本笔计入 20,000.00 元，批准后剩余 {_yuan(after)} 元"
        in shown
    )
    assert "超出预算，批准会被拒绝" in shown
    approve_small = f"/entry/{SLUG}/pending/{small}/approve"
    tokens = dict(
        re.findall(r'action="([^"]+)">\s*<input type="hidden" name="csrf" value="([^"]+)"', page)
    )
    refused = approver.post(approve_small, data={"csrf": tokens[approve_small]})
    assert refused.status_code == 422
    assert f"超出 {_yuan(-after)} 元" in refused.text.replace("¥", "")


def test_an_entry_citing_no_resolution_says_so_and_rejecting_needs_a_reason(
    app: object, members: dict[str, Login], api_books: Books
) -> None:
    approver = TestClient(app)  # type: ignore[arg-type]
    login(approver, members["approver"])
    journal.post(books=api_books, slug=SLUG, draft=conftest_txn("90000.00"), actor="treasurer")
    draft = conftest_txn("6000.00", debit=chart.COST_DIRECT, credit=chart.BANK, kind="cost")
    waiting = journal.post(books=api_books, slug=SLUG, draft=draft, actor="treasurer")
    assert waiting.pending
    entry_id = waiting.entry.id
    page = approver.get(f"/entry/{SLUG}").text
    shown = _article(page, entry_id)
    assert "未引用决议" in shown
    assert "业务活动成本 / 直接成本" in shown and "6,000.00" in shown and "-6,000.00" not in shown
    reject = f"/entry/{SLUG}/pending/{entry_id}/reject"
    tokens = dict(
        re.findall(r'action="([^"]+)">\s*<input type="hidden" name="csrf" value="([^"]+)"', page)
    )
    blank = approver.post(reject, data={"csrf": tokens[reject], "reason": "  "})
    assert blank.status_code == 422 and "驳回需要理由" in blank.text
    assert approver.get(f"{api()}/transactions/{entry_id}").json()["status"] == "pending"
    reason = "金额与合同不符，<请核对>"
    done = approver.post(reject, data={"csrf": tokens[reject], "reason": reason})
    assert done.status_code == 200 and "已驳回" in done.text
    rejected = approver.get(f"{api()}/transactions/{entry_id}").json()
    assert rejected["status"] == "rejected"
    assert rejected["rejected_reason"] == reason and rejected["rejected_by"] == "approver"


def test_chinese_names_take_the_codes_off_each_segment() -> None:
    assert chinese_name(chart.BANK) == "银行存款 / 基本户"
    assert chinese_name(chart.RECEIVABLE) == "应收账款"
    assert chinese_name("Expenses:5101-业务活动成本:07-Lift") == "业务活动成本 / Lift"
    assert chinese_name("Assets:本地账户") == "本地账户"  # no code: kept
