"""Documents behind contracts (issue 17): a signed contract uploaded with ``contract`` is linked
to it once, listed with it and found by it, over HTTP and on the command line; a contract this
community does not have (unknown, or another community's) is refused with nothing stored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session

from ledger.books import Books
from ledger.models import Document, DocumentLink, Event
from rules.contracts import ContractIn
from rules.contracts import add as add_contract
from tests.api_helpers import OTHER, SLUG, Login, api, txn
from tests.test_api_cli import commons
from tests.test_api_cli import community as cli_community
from tests.test_rules_contracts import ADS

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
#: Registered in the other community only.
THEIRS = "C-2025-09"


def _contract(books: Books, slug: str, number: str = ADS["number"]) -> None:
    body = ContractIn.model_validate(
        {**ADS, "number": number, "space": f"电梯广告位 {number}", "resolution": None}
    )
    add_contract(books=books, slug=slug, body=body, actor="treasurer")


def _count(books: Books, table: Any, *where: Any) -> int:
    with Session(books.engine) as session:
        query = select(func.count()).select_from(table)
        for clause in where:
            query = query.where(clause)
        return int(session.execute(query).scalar_one())


def _upload(client: TestClient, who: Login, **form: str) -> Any:
    return client.post(
        f"{api()}/documents", files={"file": ("合同.pdf", PDF)}, data=form, headers=who.bearer
    )


def test_a_document_backs_a_contract_once_and_is_found_by_it(
    client: TestClient, members: dict[str, Login], api_books: Books
) -> None:
    _contract(api_books, SLUG)
    _contract(api_books, SLUG, "C-2025-02")
    treasurer = members["treasurer"]
    first = _upload(client, treasurer, contract="C-2025-01")
    assert first.status_code == 201, first.text
    sha = first.json()["sha256"]
    # The same link again: the same document, no second link, no second event.
    again = _upload(client, treasurer, contract="C-2025-01")
    assert (again.status_code, again.json()["sha256"]) == (200, sha)
    links = Event.action == "document-link"  # type: ignore[comparison-overlap]
    assert _count(api_books, DocumentLink) == 1 and _count(api_books, Event, links) == 1
    entry = client.post(f"{api()}/transactions", json=txn("80.00", "k"), headers=treasurer.bearer)
    both = _upload(client, treasurer, contract="C-2025-01", entry=entry.json()["id"])
    assert both.status_code == 200, both.text
    assert _count(api_books, DocumentLink) == 2 and _count(api_books, Event, links) == 2

    auditor = members["auditor"].bearer
    (listed,) = client.get(f"{api()}/documents", headers=auditor).json()
    assert (listed["sha256"], listed["contracts"]) == (sha, ["C-2025-01"])
    assert listed["entries"] == [entry.json()["id"]] and listed["resolutions"] == []
    found = client.get(f"{api()}/documents", params={"contract": "C-2025-01"}, headers=auditor)
    assert [d["sha256"] for d in found.json()] == [sha]
    other = client.get(f"{api()}/documents", params={"contract": "C-2025-02"}, headers=auditor)
    assert other.status_code == 200 and other.json() == []


@pytest.mark.parametrize("number", ["C-2099-01", THEIRS])
def test_a_contract_this_community_lacks_is_refused_and_nothing_is_stored(
    client: TestClient, members: dict[str, Login], api_books: Books, number: str
) -> None:
    _contract(api_books, SLUG)
    _contract(api_books, OTHER, THEIRS)
    entry = client.post(
        f"{api()}/transactions", json=txn("80.00", "k"), headers=members["treasurer"].bearer
    ).json()["id"]
    answer = _upload(client, members["treasurer"], contract=number, entry=entry)
    assert answer.status_code == 404, answer.text
    (problem,) = answer.json()["detail"]
    assert (problem["field"], problem["rule"]) == ("contract", "document-link")
    assert f"本小区没有合同 '{number}'" in problem["message"]
    english = client.post(
        f"{api()}/documents?lang=en",
        files={"file": ("合同.pdf", PDF)},
        data={"contract": number},
        headers=members["treasurer"].bearer,
    )
    assert f"no contract '{number}' in this community" in english.json()["detail"][0]["message"]
    assert _count(api_books, Document) == 0 and _count(api_books, DocumentLink) == 0
    too_long = _upload(client, members["treasurer"], contract="C" * 41)
    assert too_long.status_code == 422 and _count(api_books, Document) == 0


def test_the_command_line_links_and_lists_by_contract(tmp_path: Path) -> None:
    data = tmp_path / "data"
    cli_community(data)
    file = tmp_path / "c.json"
    file.write_text(json.dumps({**ADS, "resolution": None}, ensure_ascii=False), encoding="utf-8")
    assert commons(data, "contracts", "add", "maple", "--file", str(file), "--as", "li")[0] == 0
    scan = tmp_path / "合同扫描.pdf"
    scan.write_bytes(PDF)
    args = ("documents", "add", "maple", str(scan), "--as", "li")
    code, out = commons(data, *args, "--contract", "C-2025-01")
    assert code == 0, out
    assert out.startswith("stored ") and out.rstrip().endswith("linked to contract C-2025-01")
    code, out = commons(data, *args, "--contract", "C-2099-01")
    assert code != 0 and "no contract 'C-2099-01' in this community" in out
    code, out = commons(data, "documents", "list", "maple", "--contract", "C-2025-01")
    assert code == 0, out
    assert [d["contracts"] for d in json.loads(out)] == [["C-2025-01"]]
    code, out = commons(data, "documents", "list", "maple", "--contract", "C-2099-01")
    assert (code, json.loads(out)) == (0, [])
