"""QA: a broken rules file is a refusal that names the file, the version and the key, never a
500 or a traceback. The rules live in the database now, and a broken text cannot be set; the
file is read only to import it, once, into books from before that (no ``rulestext`` row): a
broken file there is a 409 ``rules-file`` over HTTP and a listed problem in ``commons verify``,
the posting it blocks leaves nothing behind (no import either), and bean-check, which reads
the file beside the projection, points at the rules file, not at its directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from beancount import loader
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from api.cli import main
from ledger.books import Books
from ledger.models import RulesText
from rules.config import DEFAULT_TEXT, RulesFileError, parse
from tests.api_helpers import SLUG, Login, api, txn
from tests.rules_helpers import forget_rules

BROKEN = DEFAULT_TEXT.replace(
    'resolution_threshold = "10000.00"', 'resolution_threshold = "ten thousand"'
)
WHY = (
    "rules.toml [[version]] #1 (effective 2000-01-01) resolution_threshold: "
    "not a number: 'ten thousand'"
)


def _rules_rows(books: Books) -> list[tuple[int, str, str]]:
    with Session(books.engine) as session:
        community = books.community(session, SLUG)
        rows = session.execute(
            select(RulesText)
            .where(col(RulesText.community_id) == community.id)
            .order_by(col(RulesText.number))
        ).scalars()
        return [(r.number, r.set_by, r.text) for r in rows]


def test_a_post_under_a_broken_rules_file_is_a_409_naming_the_key(
    client: TestClient, members: dict[str, Login], api_books: Books
) -> None:
    client.headers["Accept-Language"] = "en"  # the words asserted below
    treasurer = members["treasurer"].bearer
    first = client.post(f"{api()}/transactions", json=txn("10.00", "a"), headers=treasurer)
    assert first.status_code == 201, first.text
    ledger = api_books.projection(SLUG).path
    before = ledger.read_bytes()
    forget_rules(api_books, SLUG)
    api_books.rules_path(SLUG).write_text(BROKEN, encoding="utf-8")
    refused = client.post(f"{api()}/transactions", json=txn("10.00", "b"), headers=treasurer)
    assert refused.status_code == 409, refused.text
    (problem,) = refused.json()["detail"]
    assert problem["rule"] == "rules-file" and WHY in problem["message"]
    assert ledger.read_bytes() == before
    listed = client.get(f"{api()}/transactions", headers=treasurer).json()["items"]
    assert len(listed) == 1
    assert _rules_rows(api_books) == []
    api_books.rules_path(SLUG).write_text(DEFAULT_TEXT, encoding="utf-8")
    again = client.post(f"{api()}/transactions", json=txn("10.00", "b"), headers=treasurer)
    assert again.status_code == 201, again.text
    assert _rules_rows(api_books) == [(1, "system", DEFAULT_TEXT)]


def test_closing_under_a_broken_rules_file_is_a_409(
    client: TestClient, members: dict[str, Login], api_books: Books
) -> None:
    client.headers["Accept-Language"] = "en"  # the words asserted below
    forget_rules(api_books, SLUG)
    api_books.rules_path(SLUG).write_text(BROKEN, encoding="utf-8")
    refused = client.post(f"{api()}/periods/2025Q1/close", headers=members["approver"].bearer)
    assert refused.status_code == 409, refused.text
    assert WHY in refused.json()["detail"][0]["message"]


def test_commons_verify_lists_a_broken_rules_file(books: Books, community: str) -> None:
    forget_rules(books, community)
    books.rules_path(community).write_text(BROKEN, encoding="utf-8")
    result = CliRunner().invoke(
        main, ["--lang", "en", "--data", str(books.data_dir), "verify", community]
    )
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert WHY in result.output


def test_bean_check_points_at_the_rules_file(books: Books, community: str) -> None:
    rules = books.rules_path(community)
    rules.write_text(BROKEN, encoding="utf-8")
    _entries, errors, _options = loader.load_file(str(books.projection(community).path))
    (error,) = [e for e in errors if e.message.startswith("规则文件：")]
    assert Path(error.source["filename"]) == rules
    assert error.message == (  # in the community default language, as in Fava
        "规则文件：rules.toml [[version]] #1 (effective 2000-01-01) resolution_threshold："
        "不是数字：'ten thousand'"
    )


def test_an_amount_in_the_rules_file_is_whole_fen() -> None:
    text = DEFAULT_TEXT.replace('approval_threshold = "5000.00"', "approval_threshold = 5000.001")
    with pytest.raises(RulesFileError, match=r"approval_threshold: at most two decimal places"):
        parse(text)
