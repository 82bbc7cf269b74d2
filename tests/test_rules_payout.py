"""Dividends owed and paid: a payout is its own kind, made only from what a resolution's
approved dividend still owes, unit by unit, and waits for a second member like any spending.
Found: 19,636 owed to owners at year end; nothing said what was paid, and there was no
documented way to pay a dividend out (a bank payment under ``cost`` or ``transfer`` was
refused)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from ledger import chart
from tests.api_helpers import Login, api, txn
from tests.test_api_rules import DIVIDEND, _setup


def allocate(client: TestClient, members: dict[str, Login]) -> dict[str, Any]:
    _setup(client, members)
    made = client.post(f"{api()}/resolutions", json=DIVIDEND, headers=members["approver"].bearer)
    assert made.status_code == 201, made.text
    allocation = client.post(
        f"{api()}/resolutions/2025-03/allocations",
        json={"date": "2025-12-05", "kind": "dividend"},
        headers=members["treasurer"].bearer,
    ).json()
    approved = client.post(
        f"{api()}/transactions/{allocation['entry']['id']}/approve",
        headers=members["approver"].bearer,
    )
    assert approved.status_code == 200, approved.text
    return allocation


def pay(client: TestClient, members: dict[str, Login], **body: Any) -> Any:
    return client.post(
        f"{api()}/resolutions/2025-03/payouts",
        json={"date": "2025-12-10", **body},
        headers=members["treasurer"].bearer,
    )


def test_a_payout_pays_what_each_unit_is_owed_and_no_more(
    client: TestClient, members: dict[str, Login]
) -> None:
    client.headers["Accept-Language"] = "en"  # the words asserted below
    allocate(client, members)
    first = pay(client, members, units=["1-1-0102"])
    assert first.status_code == 201, first.text
    out = first.json()
    assert out["lines"] == [{"unit": "1-1-0102", "amount": "1146.00"}]
    assert out["entry"]["kind"] == "payout"
    assert out["entry"]["postings"] == [
        {"account": chart.DIVIDENDS_PAYABLE, "amount": "1146.00"},
        {"account": chart.BANK, "amount": "-1146.00"},
    ]
    again = pay(client, members, units=["1-1-0102"])
    assert again.status_code == 422
    assert again.json()["detail"][0]["rule"] == "payout-owed"
    rest = pay(client, members, method="fee_offset")
    assert rest.status_code == 201, rest.text  # 2,365.00 in all: under the threshold
    assert {line["unit"] for line in rest.json()["lines"]} == {"1-1-0101", "10-2-1601", "2-1-0101"}
    assert rest.json()["total"] == "2365.00"
    nothing = pay(client, members)
    assert (
        nothing.status_code == 422 and "nothing is owed" in nothing.json()["detail"][0]["message"]
    )
    balances = client.get(f"{api()}/balances", headers=members["auditor"].bearer).json()
    payable = next(b for b in balances["balances"] if b["account"] == chart.DIVIDENDS_PAYABLE)
    assert payable["balance"] == "0.00"


def test_a_payout_is_not_typed_by_hand_and_unknown_units_are_refused(
    client: TestClient, members: dict[str, Login]
) -> None:
    client.headers["Accept-Language"] = "en"  # the words asserted below
    allocate(client, members)
    typed = txn("100.00", "p1", kind="payout", debit=chart.DIVIDENDS_PAYABLE, credit=chart.BANK)
    typed["resolution"] = "2025-03"
    answer = client.post(f"{api()}/transactions", json=typed, headers=members["treasurer"].bearer)
    assert answer.status_code == 422
    assert "commons payout" in answer.json()["detail"][0]["message"]
    unknown = pay(client, members, units=["9-9-9999"])
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["rule"] == "payout-units"
