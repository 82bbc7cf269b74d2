"""The unit page shows, per dividend, what was allocated, paid and is still owed (M10: unpaid
dividends were invisible to owners). Paid counts posted payouts in closed periods only."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from ledger import chart
from tests.api_helpers import Login, api, txn
from tests.test_rules_payout import allocate, pay

PAGE = "/public/maple/units/{unit}"


def _unit(client: TestClient, unit: str) -> dict[str, Any]:
    answer = client.get(PAGE.format(unit=unit), params={"format": "json"})
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def _year_closed_with_one_unit_paid(client: TestClient, members: dict[str, Login]) -> None:
    """The dividend of resolution 2025-03 allocated in 2025Q4, unit 1-1-0102 paid before the
    year closes, the others paid only after (in 2026, still open)."""
    allocate(client, members)
    paid = pay(client, members, units=["1-1-0102"])
    assert paid.status_code == 201, paid.text
    reserve = txn(
        "10000.01", "reserve", kind="reserve", debit=chart.USE_MAINTENANCE, day="2025-12-20"
    )
    reserve["postings"][1]["account"] = chart.BANK
    made = client.post(f"{api()}/transactions", json=reserve, headers=members["treasurer"].bearer)
    assert made.status_code == 202, made.text  # over the threshold: a second member approves
    approve = f"{api()}/transactions/{made.json()['id']}/approve"
    assert client.post(approve, headers=members["approver"].bearer).status_code == 200
    closing = client.post(f"{api()}/periods/2025/close", headers=members["approver"].bearer)
    assert closing.status_code == 200, closing.text

    later = pay(client, members, date="2026-01-10")  # the rest, in a period still open
    assert later.status_code == 201, later.text


def test_the_unit_page_shows_each_dividend_paid_and_owed(
    client: TestClient, members: dict[str, Login]
) -> None:
    _year_closed_with_one_unit_paid(client, members)
    one = _unit(client, "1-1-0102")
    assert one["dividends"] == [
        {"resolution": "2025-03", "allocated": "1146.00", "paid": "1146.00", "owed": "0.00"}
    ]
    never = _unit(client, "1-1-0101")  # paid only after the close: still owed on the page
    (dividend,) = never["dividends"]
    assert dividend["paid"] == "0.00" and dividend["owed"] == dividend["allocated"] != "0.00"
    for unit in ("1-1-0102", "1-1-0101"):
        text = client.get(PAGE.format(unit=unit), params={"format": "json"}).text
        assert "O1" not in text and "owner" not in text
    page = client.get(PAGE.format(unit="1-1-0101")).text
    assert "尚欠" in page and f"¥{float(dividend['allocated']):,.2f}" in page
    assert "已付" in page and "¥0.00" in page
    english = client.get(PAGE.format(unit="1-1-0102"), params={"lang": "en"}).text
    assert "Still owed" in english and "¥1,146.00" in english


def test_the_notice_shows_each_dividend_paid_and_unpaid_over_all_units(
    client: TestClient, members: dict[str, Login]
) -> None:
    """The notice's live section totals, per dividend resolution of the period, what the unit
    pages show: allocated, paid (in closed periods) and still unpaid (the gap: owners saw their
    own unit's arrears but not how much of a dividend was still unpaid)."""
    _year_closed_with_one_unit_paid(client, members)
    closed = client.get("/public/maple/disclosures", params={"format": "json"}).json()["periods"]
    period = max((p for p in closed if p["end"] == "2025-12-31"), key=lambda p: p["start"])
    notice = f"/public/maple/disclosures/{period['period']}"
    codes = [u["unit"] for u in client.get(f"{notice}?format=json").json()["schedules"][0]["lines"]]
    per_unit = [_unit(client, code)["dividends"][0] for code in codes]
    live = client.get(f"{notice}/live").json()
    (total,) = live["dividends"]
    assert total["resolution"] == "2025-03"
    for key in ("allocated", "paid", "owed"):
        assert Decimal(total[key]) == sum(Decimal(d[key]) for d in per_unit)
    assert Decimal(total["paid"]) == Decimal("1146.00")  # only 1-1-0102 before the close
    assert Decimal(total["owed"]) == Decimal(total["allocated"]) - Decimal("1146.00") > 0
    page = client.get(notice).text
    live_part = page[page.index('id="live"') :]
    assert "分红发放情况" in live_part and "尚未支付" in live_part
    assert f"¥{Decimal(total['owed']):,.2f}" in live_part
    english = client.get(notice, params={"lang": "en"}).text
    assert "Still unpaid" in english[english.index('id="live"') :]
