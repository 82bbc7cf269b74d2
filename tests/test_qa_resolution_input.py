"""QA: bad resolution and register input is refused with a clear 422 naming the field, and
nothing is stored: a ``true`` for the matter, a title of blanks, a zero budget for a resolution
that pays for something; unit codes ``.``/``..`` (they cannot be looked up by URL); a CSV row
spread over lines is reported at the line where it starts; an absurd area is quoted short."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger.errors import ValidationFailed
from rules.units import parse_csv
from tests.api_helpers import Login, api
from tests.test_api_rules import DIVIDEND
from tests.test_rules_resolutions import UNITS


def _register(client: TestClient, members: dict[str, Login]) -> None:
    loaded = client.post(f"{api()}/units", json=UNITS, headers=members["admin"].bearer)
    assert loaded.status_code == 201, loaded.text


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"matter": True}, "matter", "whole number"),
        ({"title": "   "}, "title", "blank"),
        ({"budget": "0.00"}, "budget", "a budget of 0.00 allows no spending"),
    ],
)
def test_bad_resolution_input_is_a_422_and_stores_nothing(
    client: TestClient,
    members: dict[str, Login],
    change: dict[str, Any],
    field: str,
    words: str,
) -> None:
    client.headers["Accept-Language"] = "en"  # the words asserted below
    _register(client, members)
    approver = members["approver"].bearer
    refused = client.post(f"{api()}/resolutions", json={**DIVIDEND, **change}, headers=approver)
    assert refused.status_code == 422, refused.text
    (problem,) = refused.json()["detail"]
    assert problem["field"] == field and words in problem["message"], problem
    assert client.get(f"{api()}/resolutions", headers=approver).json() == []


def test_a_zero_budget_is_fine_for_a_decision_that_spends_nothing(
    client: TestClient, members: dict[str, Login]
) -> None:
    _register(client, members)
    lease = {
        **DIVIDEND,
        "number": "2025-08",
        "matter": 8,
        "title": "出租架空层",
        "budget": "0.00",
        "purpose": [],
        "allocation": None,
    }
    stored = client.post(f"{api()}/resolutions", json=lease, headers=members["approver"].bearer)
    assert stored.status_code == 201, stored.text


@pytest.mark.parametrize("code", [".", ".."])
def test_dot_unit_codes_are_refused(code: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_csv(f"unit,owner,area\n{code},O1,80.00\n".encode())
    assert "line 2: unit code" in refused.value.problems[0].text.render("en")


def test_a_row_spread_over_lines_is_reported_where_it_starts() -> None:
    data = 'unit,owner,area\n1-1-0101,O1,80.00\n1-1-0102,"O2\nx",80.00\n'
    with pytest.raises(ValidationFailed) as refused:
        parse_csv(data.encode())
    (problem,) = refused.value.problems
    assert problem.field == "line 3" and problem.text.render("en").startswith("line 3: owner id")


def test_an_absurd_area_is_quoted_short() -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_csv(("unit,owner,area\n1-1-0101,O1," + "9" * 5000 + "\n").encode())
    (problem,) = refused.value.problems
    assert (
        "exceeds 100000.00 m²" in problem.text.render("en") and len(problem.text.render("en")) < 200
    )
