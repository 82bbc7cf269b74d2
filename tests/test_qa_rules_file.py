"""QA: a rules file broken by a hand edit is a refusal that names the file, the version and
the key (409 ``rules-file`` over HTTP, a listed problem in ``commons verify``), never a 500 or a
traceback; the posting it blocks leaves nothing behind; and bean-check points at the rules
file, not at its directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from beancount import loader
from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.cli import main
from ledger.books import Books
from rules.config import DEFAULT_TEXT, RulesFileError, parse
from tests.api_helpers import SLUG, Login, api, txn

BROKEN = DEFAULT_TEXT.replace(
    'resolution_threshold = "10000.00"', 'resolution_threshold = "ten thousand"'
)
WHY = (
    "rules.toml [[version]] #1 (effective 2000-01-01) resolution_threshold: "
    "not a number: 'ten thousand'"
)


def test_a_post_under_a_broken_rules_file_is_a_409_naming_the_key(
    client: TestClient, members: dict[str, Login], api_books: Books
) -> None:
    treasurer = members["treasurer"].bearer
    first = client.post(f"{api()}/transactions", json=txn("10.00", "a"), headers=treasurer)
    assert first.status_code == 201, first.text
    ledger = api_books.projection(SLUG).path
    before = ledger.read_bytes()
    api_books.rules_path(SLUG).write_text(BROKEN, encoding="utf-8")
    refused = client.post(f"{api()}/transactions", json=txn("10.00", "b"), headers=treasurer)
    assert refused.status_code == 409, refused.text
    (problem,) = refused.json()["detail"]
    assert problem["rule"] == "rules-file" and WHY in problem["message"]
    assert ledger.read_bytes() == before
    listed = client.get(f"{api()}/transactions", headers=treasurer).json()["items"]
    assert len(listed) == 1
    api_books.rules_path(SLUG).write_text(DEFAULT_TEXT, encoding="utf-8")
    again = client.post(f"{api()}/transactions", json=txn("10.00", "b"), headers=treasurer)
    assert again.status_code == 201, again.text


def test_closing_under_a_broken_rules_file_is_a_409(
    client: TestClient, members: dict[str, Login], api_books: Books
) -> None:
    api_books.rules_path(SLUG).write_text(BROKEN, encoding="utf-8")
    refused = client.post(f"{api()}/periods/2025Q1/close", headers=members["approver"].bearer)
    assert refused.status_code == 409, refused.text
    assert WHY in refused.json()["detail"][0]["message"]


def test_commons_verify_lists_a_broken_rules_file(books: Books, community: str) -> None:
    books.rules_path(community).write_text(BROKEN, encoding="utf-8")
    result = CliRunner().invoke(main, ["--data", str(books.data_dir), "verify", community])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert WHY in result.output


def test_bean_check_points_at_the_rules_file(books: Books, community: str) -> None:
    rules = books.rules_path(community)
    rules.write_text(BROKEN, encoding="utf-8")
    _entries, errors, _options = loader.load_file(str(books.projection(community).path))
    (error,) = [e for e in errors if "rules file" in e.message]
    assert Path(error.source["filename"]) == rules
    assert WHY in error.message


def test_an_amount_in_the_rules_file_is_whole_fen() -> None:
    text = DEFAULT_TEXT.replace('approval_threshold = "5000.00"', "approval_threshold = 5000.001")
    with pytest.raises(RulesFileError, match=r"approval_threshold: at most two decimal places"):
        parse(text)
