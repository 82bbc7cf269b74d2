"""QA: period names a user can type but the calendar cannot hold (year 0, the quarter after
9999) are refused as bad periods (422 ``period-format``), never a 500, on the close route, the
audit export and the parser they share."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from ledger.errors import ValidationFailed
from ledger.period import parse_period
from tests.api_helpers import Login, api


@pytest.mark.parametrize("text", ["0000", "0000Q1", "9999Q4x", "0000-01-01..2025-01-01"])
def test_periods_outside_the_calendar_are_refused_as_bad_periods(text: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_period(text)
    (problem,) = caught.value.problems
    assert problem.rule == "period-format" and repr(text) in problem.text.render("en")


def test_the_last_quarter_of_9999_is_a_bad_period_not_a_crash() -> None:
    with pytest.raises(ValidationFailed, match="not a period: '9999Q4'"):
        parse_period("9999Q4")
    assert parse_period("9999Q3").end.isoformat() == "9999-09-30"


@pytest.mark.parametrize("period", ["0000Q1", "0000", "9999Q4"])
def test_closing_or_exporting_year_zero_is_a_422(
    client: TestClient, members: dict[str, Login], period: str
) -> None:
    closing = client.post(f"{api()}/periods/{period}/close", headers=members["approver"].bearer)
    assert closing.status_code == 422, closing.text
    assert closing.json()["detail"][0]["rule"] == "period-format"
    export = client.get(f"{api()}/exports/{period}", headers=members["auditor"].bearer)
    assert export.status_code == 422, export.text
    assert export.json()["detail"][0]["rule"] == "period-format"
