"""QA: input is strict on every path. Amounts are ASCII digits with at most one point and two
places (not ``1_000``, ``１.00``, ``١.٠٠``, ``1e2`` or ``+5``, which Python's ``Decimal``
would take); dates are ``YYYY-MM-DD`` (``?date=0`` is not 1 January 1970); unit codes are
letters, digits, ``-``, ``_`` and ``.`` (not ``=1+2`` or a right-to-left override); the entry
page's reject form takes no control or bidirectional characters; a slug ends where it ends.
Each refusal is a 4xx that names the field, and writes nothing."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.cli import main
from ledger import chart
from ledger.books import Books
from ledger.community import create
from ledger.errors import ValidationFailed
from ledger.models import Community, Entry, Unit
from ledger.money import AmountError, parse_amount
from ledger.schemas import TransactionIn
from rules.units import parse_csv, parse_json
from tests.api_helpers import SLUG, Login, api, login, txn
from tests.rules_helpers import add_resolution

#: What ``Decimal`` (and pydantic's Decimal) accept but a person reads otherwise.
LOOSE_AMOUNTS = ("1_000", "１.00", "١.٠٠", "1e2", "1E2", "+5", "1 000", "0x10", "01.00", "1.")


@pytest.mark.parametrize("text", LOOSE_AMOUNTS)
def test_parse_amount_refuses_what_decimal_would_take(text: str) -> None:
    with pytest.raises(AmountError, match="not an amount"):
        parse_amount(text)


def test_parse_amount_takes_plain_amounts() -> None:
    assert parse_amount("1234.50") == Decimal("1234.50")
    assert parse_amount("-0.5") == Decimal("-0.50")
    assert parse_amount(" 80 ") == Decimal("80.00")
    assert parse_amount(100) == Decimal("100.00")  # a JSON integer is its own text


def _entries(books: Books) -> int:
    with Session(books.engine) as session:
        return len(list(session.exec(select(Entry))))


@pytest.mark.parametrize("text", LOOSE_AMOUNTS)
def test_the_api_refuses_loose_amounts_and_writes_nothing(
    client: TestClient, members: dict[str, Login], api_books: Books, text: str
) -> None:
    client.headers["Accept-Language"] = "en"  # the words asserted below
    body = txn("1.00", "loose")
    body["postings"][0]["amount"] = text
    response = client.post(f"{api()}/transactions", json=body, headers=members["treasurer"].bearer)
    assert response.status_code == 422, response.text
    (problem,) = response.json()["detail"]
    assert problem["field"] == "postings[0].amount"
    assert "not an amount" in problem["message"]
    assert _entries(api_books) == 0


def test_a_json_number_with_an_exponent_is_refused(
    client: TestClient, members: dict[str, Login], api_books: Books
) -> None:
    body = json.dumps(txn("100.00", "exp")).replace('"100.00"', "1e2").replace('"-100.00"', "-1e2")
    assert "1e2" in body
    response = client.post(
        f"{api()}/transactions",
        content=body.encode(),
        headers={**members["treasurer"].bearer, "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert {p["field"] for p in response.json()["detail"]} == {
        "postings[0].amount",
        "postings[1].amount",
    }
    assert _entries(api_books) == 0


@pytest.mark.parametrize("text", ["0", "1700000000", "2025-1-1", "20250101", "2025-01-01T00:00"])
def test_dates_are_iso_days_in_queries(
    client: TestClient, members: dict[str, Login], text: str
) -> None:
    client.headers["Accept-Language"] = "en"  # the words asserted below
    headers = members["auditor"].bearer
    balances = client.get(f"{api()}/balances", params={"date": text}, headers=headers)
    assert balances.status_code == 422, balances.text
    assert balances.json()["detail"][0]["field"] == "date"
    assert "YYYY-MM-DD" in balances.json()["detail"][0]["message"]
    for name in ("from", "to"):
        listed = client.get(f"{api()}/transactions", params={name: text}, headers=headers)
        assert listed.status_code == 422, listed.text
    assert client.get(
        f"{api()}/balances", params={"date": "2025-01-01"}, headers=headers
    ).is_success


@pytest.mark.parametrize("text", ["0", "1700000000", "2025-1-1", "2025-01-01T00:00:00"])
def test_dates_are_iso_days_in_bodies(
    client: TestClient, members: dict[str, Login], api_books: Books, text: str
) -> None:
    body = txn("1.00", "day")
    body["date"] = text
    response = client.post(f"{api()}/transactions", json=body, headers=members["treasurer"].bearer)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["field"] == "date"
    assert _entries(api_books) == 0
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        TransactionIn.model_validate({**body, "date": 0})


def test_the_entry_page_refuses_loose_amounts(
    client: TestClient, members: dict[str, Login], api_books: Books
) -> None:
    login(client, members["treasurer"])
    page = client.get(f"/entry/{SLUG}").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert csrf and key
    for amount, day in (("１.00", "2025-01-02"), ("1e2", "2025-01-02"), ("5.00", "0")):
        form = {
            "csrf": csrf.group(1),
            "idempotency_key": key.group(1),
            "preset": "parking",
            "amount": amount,
            "date": day,
            "narration": "停车费",
        }
        refused = client.post(f"/entry/{SLUG}", data=form, follow_redirects=False)
        assert refused.status_code == 422, (amount, day)
    assert _entries(api_books) == 0


def _pending_entry(client: TestClient, members: dict[str, Login], books: Books) -> str:
    """An upgrade waiting for a second member."""
    headers = members["treasurer"].bearer
    assert client.post(
        f"{api()}/transactions", json=txn("30000.00", "in"), headers=headers
    ).is_success
    add_resolution(books, SLUG, effective_from=date(2000, 1, 1))
    body = txn("1000.00", "up", kind="upgrade", debit=chart.USE_UPGRADE, credit=chart.BANK)
    body["resolution"] = "2025-01"
    waiting = client.post(f"{api()}/transactions", json=body, headers=headers)
    assert waiting.status_code == 202, waiting.text
    return str(waiting.json()["id"])


@pytest.mark.parametrize("reason", ["重复\u202e", "a\x00b", "x\x1bc", "理由\u2066隐藏"])
def test_the_reject_form_refuses_control_and_bidi_characters(
    app: object, members: dict[str, Login], api_books: Books, reason: str
) -> None:
    treasurer, approver = TestClient(app), TestClient(app)  # type: ignore[arg-type]
    entry_id = _pending_entry(treasurer, members, api_books)
    login(approver, members["approver"])
    page = approver.get(f"/entry/{SLUG}").text
    action = f"/entry/{SLUG}/pending/{entry_id}/reject"
    csrf = re.search(  # the token bound to this entry's reject form
        re.escape(f'action="{action}">') + r'\s*<input type="hidden" name="csrf" value="([^"]+)"',
        page,
    )
    assert csrf
    answer = approver.post(action, data={"csrf": csrf.group(1), "reason": reason})
    assert "驳回理由无效" in answer.text
    with Session(api_books.engine) as session:
        entry = session.get(Entry, entry_id)
        assert entry is not None
        assert (entry.status, entry.rejected_reason) == ("pending", None)
    # the API refuses the same reason the same way
    api_answer = approver.post(
        f"{api()}/transactions/{entry_id}/reject",
        json={"reason": reason},
        headers=members["approver"].bearer,
    )
    assert api_answer.status_code == 422


BAD_CODES = ("=1+2", "+1", "-1-0101", "@A", "1-1\u202e0101", "1-1-0101\u200b", "１-1", "a b", "A/1")


@pytest.mark.parametrize("code", BAD_CODES)
def test_unit_codes_are_letters_digits_and_dashes(code: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_json([{"unit": code, "owner": "O1", "area": "80.00"}])
    (problem,) = refused.value.problems
    assert problem.text.render("en").startswith(f"units[0]: unit code {code!r}")
    with pytest.raises(ValidationFailed):
        parse_csv(f"unit,owner,area\n{code},O1,80.00\n".encode())


def test_good_unit_codes_pass() -> None:
    units = parse_json(
        [
            {"unit": "1-1-0101", "owner": "O1", "area": "80.00"},
            {"unit": "3号楼-1201", "owner": "O2", "area": "80.00"},
            {"unit": "B_2.07", "owner": "O3", "area": "80.00"},
        ]
    )
    assert [u.unit for u in units] == ["1-1-0101", "3号楼-1201", "B_2.07"]


@pytest.mark.parametrize("area", ["1_000", "８９.３０", "1e2"])
def test_areas_are_plain_decimals(area: str) -> None:
    with pytest.raises(ValidationFailed, match="is not a number"):
        parse_json([{"unit": "1-1-0101", "owner": "O1", "area": area}])


def test_the_units_api_refuses_formula_and_bidi_codes(
    client: TestClient, members: dict[str, Login], api_books: Books
) -> None:
    body = [{"unit": code, "owner": "O1", "area": "80.00"} for code in ("=1+2", "A\u202eB")]
    response = client.post(f"{api()}/units", json=body, headers=members["admin"].bearer)
    assert response.status_code == 422, response.text
    assert len(response.json()["detail"]) == 2
    with Session(api_books.engine) as session:
        assert list(session.exec(select(Unit))) == []


def test_a_slug_with_a_trailing_newline_is_refused(books: Books, data_dir: Path) -> None:
    with pytest.raises(ValidationFailed, match="slug"):
        create(books=books, slug="maple\n", name="枫林苑")
    result = CliRunner().invoke(
        main, ["--lang", "en", "--data", str(data_dir), "init", "maple\n", "--name", "x"]
    )
    assert result.exit_code == 1, result.output
    with Session(books.engine) as session:
        assert list(session.exec(select(col(Community.slug)))) == []
    assert not (data_dir / "maple\n").exists()


@pytest.mark.parametrize("name", ["枫林苑\u202e", "a\x00b", "a\nb"])
def test_a_community_name_is_plain_text(books: Books, name: str) -> None:
    with pytest.raises(ValidationFailed, match="community name"):
        create(books=books, slug="maple", name=name)


def test_the_cli_refuses_a_reversal_reason_with_a_bidi_override(
    books: Books, community: str, data_dir: Path
) -> None:
    from api.users import Role, add_member
    from ledger import journal
    from tests.conftest import txn as draft

    add_member(books=books, username="li", slug=community, role=Role.TREASURER, token=False)
    posted = journal.post(books=books, slug=community, draft=draft("10.00"), actor="li")
    result = CliRunner().invoke(
        main,
        [
            "--lang",
            "en",
            "--data",
            str(data_dir),
            "reverse",
            community,
            posted.id,
            "--reason",
            "错账\u202e",
            "--as",
            "li",
        ],
    )
    assert result.exit_code == 1, result.output
    assert "U+202E" in result.output
    assert _entries(books) == 1
