"""The injection corpus through the HTTP API: every item is either refused with a clear 4xx
that leaves nothing behind, or stored exactly and rendered safely (the projection still parses
to one transaction per posted entry, with the same text and no directive of its own)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from beancount import loader
from beancount.core import data
from fastapi.testclient import TestClient

from ledger import chart
from ledger.books import Books
from tests.api_helpers import SLUG, Login, api, txn

STORED = [
    'quote " inside',
    "back\\slash and \\n literal",
    "new\nline",
    '"\n2020-01-01 open Assets:Evil CNY\n',
    '2020-01-01 * "evil" "x"\n  Assets:Evil  1.00 CNY\n  Income:Evil  -1.00 CNY',
    'option "operating_currency" "USD"',
    'plugin "beancount.plugins.auto_accounts"',
    'include "/etc/passwd"',
    "tab\tin text",
    "零宽\u200b空格 and \u2028 separators",
]

REFUSED_TEXT = {
    "bell \x07": "U+0007",
    "nul \x00": "U+0000",
    "carriage \r return": "U+000D",
    "right-to-left \u202e override": "U+202E",
    "rlm \u200f": "U+200F",
    "escape \x1b[31m": "U+001B",
}

REFUSED_AMOUNTS = {
    "1000000000000000.00": "exceeds the limit",
    "1.001": "at most two decimal places",
    "1e400": "not an amount",
    "Infinity": "not an amount",
    "NaN": "not an amount",
    "-0.00": "moves nothing",
}


def posted_texts(books: Books) -> list[tuple[str, str]]:
    entries, errors, _ = loader.load_file(str(books.projection(SLUG).path))
    assert errors == []
    opens = {e.account for e in entries if isinstance(e, data.Open)}
    assert not any("Evil" in account for account in opens)
    return [(e.payee, e.narration) for e in entries if isinstance(e, data.Transaction)]


def post(client: TestClient, who: Login, body: Any) -> Any:
    return client.post(
        f"{api()}/transactions",
        content=json.dumps(body, ensure_ascii=False).encode(),
        headers={**who.bearer, "Content-Type": "application/json"},
    )


def test_hostile_text_is_stored_exactly(
    client: TestClient, members: dict[str, Login], api_books: Books
) -> None:
    for n, text in enumerate(STORED):
        body = txn("1.00", f"inj-{n}", narration=text)
        body["payee"] = text[:200]
        response = post(client, members["treasurer"], body)
        assert response.status_code == 201, response.text
        got = client.get(
            f"{api()}/transactions/{response.json()['id']}", headers=members["treasurer"].bearer
        )
        assert got.json()["narration"] == text and got.json()["payee"] == text[:200]
    assert posted_texts(api_books) == [(text[:200], text) for text in STORED]


@pytest.mark.parametrize("text", sorted(REFUSED_TEXT))
def test_control_characters_are_refused(
    client: TestClient, members: dict[str, Login], api_books: Books, text: str
) -> None:
    before = api_books.projection(SLUG).path.read_bytes()
    response = post(client, members["treasurer"], txn("1.00", "ctl", narration=text))
    assert response.status_code == 422
    assert REFUSED_TEXT[text] in json.dumps(response.json(), ensure_ascii=False)
    assert api_books.projection(SLUG).path.read_bytes() == before


@pytest.mark.parametrize("amount", sorted(REFUSED_AMOUNTS))
def test_hostile_amounts_are_refused(
    client: TestClient, members: dict[str, Login], api_books: Books, amount: str
) -> None:
    client.headers["Accept-Language"] = "en"  # the words asserted below
    body = txn("1.00", "amt")
    body["postings"] = [
        {"account": chart.BANK, "amount": "1.00"},
        {"account": chart.INCOME_PARKING, "amount": "-1.00"},
        {"account": chart.INCOME_ADS, "amount": amount},
    ]
    response = post(client, members["treasurer"], body)
    assert response.status_code == 422, response.text
    assert REFUSED_AMOUNTS[amount] in json.dumps(response.json(), ensure_ascii=False)
    assert posted_texts(api_books) == []


def test_numbers_instead_of_strings_and_raw_garbage(
    client: TestClient, members: dict[str, Login], api_books: Books
) -> None:
    client.headers["Accept-Language"] = "en"  # the words asserted below
    body = txn("1.00", "float")
    body["postings"][0]["amount"] = 1.1
    body["postings"][1]["amount"] = -1.1
    response = post(client, members["treasurer"], body)
    assert response.status_code == 422 and "not floats" in response.text
    for raw in (b"{", b"\xff\xfe", b"[]", b'{"date": "2025-13-40"}', b"null"):
        garbage = client.post(
            f"{api()}/transactions",
            content=raw,
            headers={**members["treasurer"].bearer, "Content-Type": "application/json"},
        )
        assert 400 <= garbage.status_code < 500, (raw, garbage.status_code)
        assert isinstance(garbage.json()["detail"], list)
    assert posted_texts(api_books) == []
