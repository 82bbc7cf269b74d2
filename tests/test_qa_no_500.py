"""QA: what a client can type never reaches the server as a 500. A paging cursor the server
did not issue (valid base64 JSON with a naive timestamp, a NUL, a lone surrogate, a long id)
is a 400 naming the cursor; a period outside the books' calendar (``0001``,
``0001-01-01..9999-12-31``, ``2025Q9``) is a 422 naming the period, on the export route, the
CLI and the parser they share."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.cli import main
from ledger.errors import ValidationFailed
from ledger.period import parse_period
from tests.api_helpers import Login, api, txn


def _cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


FORGED = (
    ["2025-01-01", "2025-01-01T00:00:00", "x"],  # naive: the database cannot compare it
    ["2025-01-01", "2025-01-01", "x"],
    ["20250101", "20250101T000000", "x"],
    ["2025-W01-1", "2025-01-01T00:00:00+00:00", "x"],
    ["2025-01-01", "2025-01-01T00:00:00+00:00", "\x00"],
    ["2025-01-01", "2025-01-01T00:00:00+00:00", "\ud800"],
    ["2025-01-01", "2025-01-01T00:00:00+00:00", "x" * 300],
    ["2025-01-01", "2025-01-01T00:00:00+00:00", 5],
    ["2025-13-01", "2025-01-01T00:00:00+00:00", "x"],
    [1, 2, "x"],
    {"a": 1},
)


@pytest.mark.parametrize("value", FORGED, ids=range(len(FORGED)))
def test_a_forged_cursor_is_a_400(
    client: TestClient, members: dict[str, Login], value: Any
) -> None:
    response = client.get(
        f"{api()}/transactions",
        params={"cursor": _cursor(value)},
        headers=members["auditor"].bearer,
    )
    assert response.status_code == 400, response.text
    (problem,) = response.json()["detail"]
    assert (problem["field"], problem["rule"]) == ("cursor", "cursor")


def test_the_cursors_the_server_issues_still_page(
    client: TestClient, members: dict[str, Login]
) -> None:
    for n in range(3):
        client.post(
            f"{api()}/transactions",
            json=txn(f"{n + 1}.00", f"k{n}"),
            headers=members["treasurer"].bearer,
        )
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "1", **({"cursor": cursor} if cursor else {})}
        page = client.get(f"{api()}/transactions", params=params, headers=members["auditor"].bearer)
        assert page.status_code == 200, page.text
        seen += [item["id"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 3


NONSENSE = (
    "0001",
    "0001-01-01..9999-12-31",
    "0001Q1",
    "1899-12-31..2025-01-01",
    "2025Q9",
    "０２０２５",
)


@pytest.mark.parametrize("period", NONSENSE)
def test_a_nonsense_period_is_a_422_not_a_500(
    client: TestClient, members: dict[str, Login], period: str
) -> None:
    response = client.get(f"{api()}/exports/{period}", headers=members["auditor"].bearer)
    assert response.status_code == 422, response.text
    (problem,) = response.json()["detail"]
    assert (problem["field"], problem["rule"]) == ("period", "period-format")
    with pytest.raises(ValidationFailed):
        parse_period(period)


def test_periods_from_1900_to_the_end_of_the_calendar_export(
    client: TestClient, members: dict[str, Login]
) -> None:
    for period in ("1900", "2025-01-01..9999-12-31", "9999"):
        response = client.get(f"{api()}/exports/{period}", headers=members["auditor"].bearer)
        assert response.status_code == 200, (period, response.text)


def test_the_cli_refuses_a_nonsense_period(api_settings: Any, tmp_path: Path) -> None:
    out = tmp_path / "x.zip"
    result = CliRunner().invoke(
        main,
        [
            "--lang",
            "en",
            "--lang",
            "en",
            "--data",
            str(api_settings.data),
            "export",
            "maple",
            "0001",
            "--out",
            str(out),
        ],
        env={"COMMONS_ACTOR": "auditor"},
    )
    assert result.exit_code != 0
    assert "not a period: '0001'" in result.output
    assert not out.exists()
