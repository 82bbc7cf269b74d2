"""Each rule on the posting path: a case where it holds and one where it is broken, through the
API (422 with the rule, its source and the numbers in ``detail``)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from ledger import chart
from ledger.books import Books
from rules.config import DEFAULT_TEXT
from tests.api_helpers import SLUG, Login, api, txn
from tests.rules_helpers import add_resolution, set_rules_text

#: This module asserts the rules' English words (tests/test_api_i18n.py, the Chinese).
EN = {"Accept-Language": "en"}


def _post(client: TestClient, who: Login, body: dict[str, Any]) -> Any:
    return client.post(f"{api()}/transactions", json=body, headers={**who.bearer, **EN})


def _body(
    amount: str,
    key: str,
    *,
    debit: str = chart.BANK,
    credit: str = chart.INCOME_PARKING,
    kind: str = "income",
    day: str = "2025-03-10",
    resolution: str | None = None,
) -> dict[str, Any]:
    body = txn(amount, key, kind=kind, debit=debit, credit=credit, day=day)
    if resolution is not None:
        body["resolution"] = resolution
    return body


def _spend(amount: str, key: str, debit: str = chart.COST_DIRECT, **kw: Any) -> dict[str, Any]:
    return _body(amount, key, debit=debit, credit=chart.BANK, kind=kw.pop("kind", "cost"), **kw)


def _refused(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 422, response.text
    detail: list[dict[str, Any]] = response.json()["detail"]
    return detail


# --- resolution required ----------------------------------------------------------------------


def test_spending_under_the_threshold_needs_no_resolution_and_at_it_one(
    client: TestClient, members: dict[str, Login]
) -> None:
    treasurer = members["treasurer"]
    assert _post(client, treasurer, _body("50000.00", "in")).status_code == 201
    assert _post(client, treasurer, _spend("9999.99", "under")).status_code == 202
    detail = _refused(_post(client, treasurer, _spend("10000.00", "at")))
    assert detail == [
        {
            "field": None,
            "rule": "resolution-required",
            "message": "resolution required: spending of 10,000.00 is at or over the resolution "
            "threshold 10,000.00; this one cites none (民法典 art. 278 (九) and the committee's "
            "rules of procedure)",
            "details": {"limit": "10000.00", "actual": "10000.00"},
        }
    ]


def test_topping_up_the_maintenance_fund_needs_no_resolution(
    client: TestClient, members: dict[str, Login]
) -> None:
    treasurer = members["treasurer"]
    assert _post(client, treasurer, _body("50000.00", "in")).status_code == 201
    top_up = _spend("30000.00", "top-up", debit=chart.USE_MAINTENANCE, kind="reserve")
    assert _post(client, treasurer, top_up).status_code == 202  # four eyes, but no resolution


def test_an_upgrade_within_a_passed_resolution_holds_and_its_budget_is_kept(
    client: TestClient, members: dict[str, Login], api_books: Books
) -> None:
    treasurer, approver = members["treasurer"], members["approver"]
    add_resolution(api_books, SLUG, purpose=("upgrade",), budget="20000.00")
    assert _post(client, treasurer, _body("50000.00", "in")).status_code == 201
    first = _post(
        client,
        treasurer,
        _spend("18000.00", "u1", debit=chart.USE_UPGRADE, kind="upgrade", resolution="2025-01"),
    )
    assert first.status_code == 202, first.text
    approve = client.post(
        f"{api()}/transactions/{first.json()['id']}/approve", headers={**approver.bearer, **EN}
    )
    assert approve.status_code == 200, approve.text
    over = _spend("2000.01", "u2", debit=chart.USE_UPGRADE, kind="upgrade", resolution="2025-01")
    assert _refused(_post(client, treasurer, over)) == [
        {
            "field": None,
            "rule": "resolution-required",
            "message": "resolution required: resolution 2025-01 has a budget of 20,000.00: spent "
            "18,000.00 before, this transaction 2,000.01, total 20,000.01 exceeds it by 0.01 "
            "(民法典 art. 278)",
            "details": {
                "resolution": "2025-01",
                "limit": "20000.00",
                "spent": "18000.00",
                "this": "2000.01",
                "actual": "20000.01",
                "excess": "0.01",
            },
        }
    ]
    # Reversing the first upgrade gives its 18,000.00 back to the budget.
    reverse = client.post(
        f"{api()}/transactions/{first.json()['id']}/reverse",
        json={"date": "2025-03-11", "reason": "重复录入"},
        headers={**treasurer.bearer, **EN},
    )
    assert reverse.status_code == 202, reverse.text  # an upgrade's reversal waits, like it
    approved = client.post(
        f"{api()}/transactions/{reverse.json()['id']}/approve",
        headers={**members["approver"].bearer, **EN},
    )
    assert approved.status_code == 200, approved.text
    assert _post(client, treasurer, over).status_code == 202


def test_an_upgrade_without_a_resolution_is_refused(
    client: TestClient, members: dict[str, Login]
) -> None:
    treasurer = members["treasurer"]
    assert _post(client, treasurer, _body("50000.00", "in")).status_code == 201
    upgrade = _spend("100.00", "u", debit=chart.USE_UPGRADE, kind="upgrade")
    detail = _refused(_post(client, treasurer, upgrade))
    assert [d["message"] for d in detail] == [
        "resolution required: an upgrade always needs an owners' resolution; this one cites "
        "none (民法典 art. 278 (九), 283)"
    ]


def test_a_cited_resolution_must_exist_pass_be_in_effect_and_match(
    client: TestClient, members: dict[str, Login], api_books: Books
) -> None:
    treasurer = members["treasurer"]
    add_resolution(api_books, SLUG, "2025-03", passed=False, title="分红")
    add_resolution(
        api_books,
        SLUG,
        "2025-04",
        purpose=(chart.USE_SUBSIDY,),
        effective_from=chart_date("2025-04-01"),
        title="补贴物业费",
    )
    assert _post(client, treasurer, _body("50000.00", "in")).status_code == 201
    unknown = _spend("100.00", "a", debit=chart.USE_UPGRADE, kind="upgrade", resolution="2099-1")
    assert [d["message"] for d in _refused(_post(client, treasurer, unknown))] == [
        "resolution required: the transaction cites resolution '2099-1', which does not exist "
        "(民法典 art. 278)"
    ]
    failed = _spend("100.00", "b", debit=chart.USE_UPGRADE, kind="upgrade", resolution="2025-03")
    assert [d["message"] for d in _refused(_post(client, treasurer, failed))] == [
        "resolution required: resolution 2025-03 (分红) did not pass the owners' vote "
        "(民法典 art. 278)"
    ]
    early = _spend("100.00", "c", debit=chart.USE_UPGRADE, kind="upgrade", resolution="2025-04")
    assert [d["message"] for d in _refused(_post(client, treasurer, early))] == [
        "resolution required: resolution 2025-04 is in effect from 2025-04-01 to no end, not "
        "on 2025-03-10 (民法典 art. 278)",
        f"resolution required: resolution 2025-04 may pay {chart.USE_SUBSIDY}; not a upgrade "
        f"debiting {chart.USE_UPGRADE} (民法典 art. 278)",
    ]
    # The purpose account matches the account and its sub-accounts, by any kind.
    subsidy = _spend(
        "100.00",
        "d",
        debit=chart.USE_SUBSIDY,
        kind="upgrade",  # (a subsidy itself comes only from an allocation)
        resolution="2025-04",
        day="2025-04-02",
    )
    assert _post(client, treasurer, subsidy).status_code == 202


def chart_date(text: str) -> Any:
    from datetime import date

    return date.fromisoformat(text)


def test_spending_from_the_maintenance_fund_needs_a_resolution(
    client: TestClient, members: dict[str, Login]
) -> None:
    treasurer = members["treasurer"]
    assert _post(client, treasurer, _body("50000.00", "in")).status_code == 201
    earmark = _body("8000.00", "earmark", debit=chart.UNRESTRICTED, credit=chart.RESTRICTED)
    earmark["kind"] = "reserve"
    assert _post(client, treasurer, earmark).status_code == 201
    use = _body("300.00", "use", debit=chart.RESTRICTED, credit=chart.BANK, kind="cost")
    assert [d["message"] for d in _refused(_post(client, treasurer, use))] == [
        "resolution required: spending 300.00 from the maintenance fund always needs an "
        "owners' resolution; this one cites none (民法典 art. 278 (五), 281)"
    ]


# --- no overdraft -------------------------------------------------------------------------------


def test_the_bank_may_be_spent_to_zero_but_not_below(
    client: TestClient, members: dict[str, Login]
) -> None:
    treasurer = members["treasurer"]
    assert _post(client, treasurer, _body("3000.00", "in")).status_code == 201
    assert _post(client, treasurer, _spend("1000.00", "a")).status_code == 201
    detail = _refused(_post(client, treasurer, _spend("2000.01", "b")))
    assert detail[0] == {
        "field": None,
        "rule": "no-overdraft",
        "message": f"no overdraft: {chart.BANK} would go below zero: balance 2,000.00, this "
        "transaction -2,000.01, shortfall 0.01 (民法典 art. 283; 民间非营利组织会计制度)",
        "details": {
            "account": chart.BANK,
            "balance": "2000.00",
            "change": "-2000.01",
            "limit": "0.00",
            "actual": "-0.01",
            "shortfall": "0.01",
        },
    }
    assert _post(client, treasurer, _spend("2000.00", "c")).status_code == 201


def test_money_earmarked_for_the_fund_cannot_pay_other_costs(
    client: TestClient, members: dict[str, Login]
) -> None:
    """The bank holds 5,000.00 but all of it is restricted: a 100.00 cost overdraws the
    unrestricted fund."""
    treasurer = members["treasurer"]
    assert _post(client, treasurer, _body("5000.00", "in")).status_code == 201
    earmark = _body("5000.00", "earmark", debit=chart.UNRESTRICTED, credit=chart.RESTRICTED)
    earmark["kind"] = "reserve"
    assert _post(client, treasurer, earmark).status_code == 201
    assert [d["message"] for d in _refused(_post(client, treasurer, _spend("100.00", "x")))] == [
        "no overdraft: the unrestricted fund (非限定性净资产) would go below zero: balance "
        "0.00, this transaction -100.00, shortfall 100.00 (民法典 art. 283; 民间非营利组织会计制度)"
    ]


def test_a_reversal_that_would_overdraw_is_refused(
    client: TestClient, members: dict[str, Login]
) -> None:
    treasurer = members["treasurer"]
    income = _post(client, treasurer, _body("1000.00", "in"))
    assert _post(client, treasurer, _spend("800.00", "out")).status_code == 201
    refused = client.post(
        f"{api()}/transactions/{income.json()['id']}/reverse",
        json={"date": "2025-03-12", "reason": "重复录入"},
        headers={**treasurer.bearer, **EN},
    )
    assert [d["rule"] for d in _refused(refused)] == ["no-overdraft", "no-overdraft"]
    assert "shortfall 800.00" in refused.json()["detail"][0]["message"]


# --- the manager's cost share ---------------------------------------------------------------------


def test_the_managers_share_is_at_most_30_percent_of_4301_income(
    client: TestClient, members: dict[str, Login]
) -> None:
    treasurer = members["treasurer"]
    assert _post(client, treasurer, _body("10000.00", "park")).status_code == 201
    assert _post(client, treasurer, _body("5000.00", "interest", credit=chart.INCOME_INTEREST))
    share = _spend("3000.00", "share", debit=chart.COST_MANAGER_SHARE)
    assert _post(client, treasurer, share).status_code == 201
    more = _spend("0.01", "more", debit=chart.COST_MANAGER_SHARE)
    assert _refused(_post(client, treasurer, more)) == [
        {
            "field": None,
            "rule": "manager-cost-share",
            "message": "manager's cost share: the manager's share in 2025 would be 3,000.01, "
            "more than 30% of 10,000.00 gross common income (4301) (limit 3,000.00, excess "
            "0.01) (民法典 art. 282; Xiamen caps the manager's share at 30%)",
            "details": {
                "year": 2025,
                "share": "0.30",
                "income": "10000.00",
                "limit": "3000.00",
                "actual": "3000.01",
                "excess": "0.01",
            },
        }
    ]


# --- committee expenses -----------------------------------------------------------------------------


def test_committee_expenses_are_at_most_10_percent_of_the_years_income(
    client: TestClient, members: dict[str, Login]
) -> None:
    treasurer = members["treasurer"]
    assert _post(client, treasurer, _body("20000.00", "in")).status_code == 201
    allowance = _spend("2000.00", "a", debit=chart.USE_COMMITTEE)
    assert _post(client, treasurer, allowance).status_code == 201
    # Next year's income does not count for 2025.
    next_year = _body("90000.00", "next", day="2026-01-05")
    assert _post(client, treasurer, next_year).status_code == 201
    more = _spend("500.00", "b", debit=chart.USE_COMMITTEE)
    assert [d["message"] for d in _refused(_post(client, treasurer, more))] == [
        "committee expenses: committee working expenses in 2025 would be 2,500.00, more than "
        "10% of 20,000.00 common income (limit 2,000.00, excess 500.00) (the owners' "
        "assembly's decision on working expenses (a community choice; 民法典 art. 278 (九)))"
    ]


# --- civil defence ----------------------------------------------------------------------------------


def test_civil_defence_income_is_refused_unless_owned(
    client: TestClient, members: dict[str, Login], api_books: Books
) -> None:
    treasurer = members["treasurer"]
    body = _body("800.00", "rf", credit=chart.INCOME_CIVIL_DEFENCE)
    assert _refused(_post(client, treasurer, body)) == [
        {
            "field": None,
            "rule": "civil-defence",
            "message": "civil defence: 800.00 of 人防 parking income is not common income; it "
            "belongs to the investor unless the rules file sets civil_defence_owned = true "
            "(人民防空法 art. 5 (人防 income belongs to the investor))",
            "details": {
                "account": chart.INCOME_CIVIL_DEFENCE,
                "actual": "800.00",
                "limit": "0.00",
                "civil_defence_owned": False,
            },
        }
    ]
    owned = "\n[[version]]\neffective_from = 2025-03-01\ncivil_defence_owned = true\n"
    set_rules_text(api_books, SLUG, DEFAULT_TEXT + owned)
    assert _post(client, treasurer, body).status_code == 201
    february = _body("800.00", "rf-feb", credit=chart.INCOME_CIVIL_DEFENCE, day="2025-02-10")
    assert _refused(_post(client, treasurer, february))[0]["rule"] == "civil-defence"
