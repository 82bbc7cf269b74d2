"""Every refusal is a 4xx with ``{"detail": [{field, rule, message, details}]}``, never a 500:
malformed JSON, wrong types, unknown communities and accounts, oversized bodies, bad cursors."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.settings import Settings
from tests.api_helpers import Login, api, txn

SHAPE = {"field", "rule", "message", "details"}


def _assert_problems(response: Any, status: int) -> list[dict[str, Any]]:
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail
    for problem in detail:
        assert set(problem) == SHAPE
        assert problem["message"]
    return list(detail)


def test_malformed_json(client: TestClient, members: dict[str, Login]) -> None:
    headers = {**members["treasurer"].bearer, "Content-Type": "application/json"}
    response = client.post(f"{api()}/transactions", content=b'{"date": "2025-', headers=headers)
    detail = _assert_problems(response, 422)
    assert detail[0]["rule"] == "json_invalid"


def test_wrong_types_name_the_field(client: TestClient, members: dict[str, Login]) -> None:
    body = txn("10.00", "t")
    body["postings"][0]["amount"] = 10.5  # a float: refused, money is a string
    body["date"] = "not a date"
    response = client.post(f"{api()}/transactions", json=body, headers=members["treasurer"].bearer)
    fields = {p["field"] for p in _assert_problems(response, 422)}
    assert {"date", "postings[0].amount"} <= fields


def test_unknown_account_and_unbalanced(client: TestClient, members: dict[str, Login]) -> None:
    body = txn("10.00", "t")
    body["postings"][1] = {"account": "Income:Nowhere", "amount": "-9.00"}
    response = client.post(f"{api()}/transactions", json=body, headers=members["treasurer"].bearer)
    rules = {p["rule"] for p in _assert_problems(response, 422)}
    assert rules == {"known-account", "balanced"}


def test_unknown_community_is_404_for_members_and_401_for_strangers(
    client: TestClient, members: dict[str, Login]
) -> None:
    path = f"{api('nowhere')}/transactions"
    _assert_problems(client.get(path, headers=members["treasurer"].bearer), 404)
    _assert_problems(client.get(path), 401)


def test_unknown_entry(client: TestClient, members: dict[str, Login]) -> None:
    response = client.get(f"{api()}/transactions/nope", headers=members["auditor"].bearer)
    _assert_problems(response, 404)


def test_bad_cursor(client: TestClient, members: dict[str, Login]) -> None:
    headers = members["auditor"].bearer
    for cursor in ("garbage!", "bm90IGpzb24", "WyJ4IiwgInkiLCAieiJd"):
        response = client.get(f"{api()}/transactions", params={"cursor": cursor}, headers=headers)
        assert _assert_problems(response, 400)[0]["field"] == "cursor"


def test_oversized_body_is_413(api_settings: Settings, members: dict[str, Login], app: Any) -> None:
    client = TestClient(app)
    body = txn("10.00", "big")
    body["narration"] = "x" * (api_settings.max_body + 10)
    response = client.post(f"{api()}/transactions", json=body, headers=members["treasurer"].bearer)
    assert _assert_problems(response, 413)[0]["rule"] == "body-size"


def test_oversized_chunked_body_is_413(
    api_settings: Settings, members: dict[str, Login], app: Any
) -> None:
    client = TestClient(app)

    def chunks() -> Any:
        for _ in range(api_settings.max_body // 1024 + 2):
            yield b"x" * 1024

    headers = {**members["treasurer"].bearer, "Content-Type": "application/json"}
    response = client.post(f"{api()}/transactions", content=chunks(), headers=headers)
    _assert_problems(response, 413)


@pytest.mark.parametrize("limit", ["0", "501", "many"])
def test_bad_query_values(client: TestClient, members: dict[str, Login], limit: str) -> None:
    response = client.get(
        f"{api()}/transactions", params={"limit": limit}, headers=members["auditor"].bearer
    )
    assert _assert_problems(response, 422)[0]["field"] == "limit"


def test_openapi_documents_models_and_error_body(
    client: TestClient, members: dict[str, Login]
) -> None:
    schema = client.get("/openapi.json", headers=members["auditor"].bearer).json()
    post = schema["paths"]["/api/v1/communities/{slug}/transactions"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "TransactionIn"
    )
    for status in ("201", "202", "401", "403", "404", "409", "422"):
        assert status in post["responses"]
    assert post["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "ErrorBody"
    )
    assert client.get("/docs", headers=members["auditor"].bearer).status_code == 200


@pytest.mark.parametrize("path", ["/transactions", "/transactions/bulk"])
def test_posting_checks_the_caller_before_the_body(
    client: TestClient, members: dict[str, Login], path: str
) -> None:
    """The posting routes read their body themselves, after the role check: a stranger
    learns nothing from a bad body, a member without the role is refused for the role."""
    bad = b'{"date": "2025-'
    json_headers = {"Content-Type": "application/json"}
    _assert_problems(client.post(f"{api()}{path}", content=bad, headers=json_headers), 401)
    viewer = {**members["auditor"].bearer, **json_headers}
    _assert_problems(client.post(f"{api()}{path}", content=bad, headers=viewer), 403)
    treasurer = {**members["treasurer"].bearer, **json_headers}
    detail = _assert_problems(client.post(f"{api()}{path}", content=bad, headers=treasurer), 422)
    assert detail[0]["rule"] == "json_invalid"
    extra = client.post(
        f"{api()}{path}", json={"transactions": [], "surprise": 1}, headers=treasurer
    )
    assert {p["field"] for p in _assert_problems(extra, 422)} & {"surprise", "date", "transactions"}


def test_posting_routes_document_body_header_and_scheme(
    client: TestClient, members: dict[str, Login]
) -> None:
    document = client.get("/openapi.json", headers=members["auditor"].bearer).json()
    single = document["paths"]["/api/v1/communities/{slug}/transactions"]["post"]
    bulk = document["paths"]["/api/v1/communities/{slug}/transactions/bulk"]["post"]
    for operation, model in ((single, "TransactionIn"), (bulk, "BulkIn")):
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": f"#/components/schemas/{model}"}
        assert operation["security"] == [{"token": []}]
        assert model in document["components"]["schemas"]
    assert "PostingIn" in document["components"]["schemas"]
    assert "Idempotency-Key" in {p["name"] for p in single["parameters"]}
