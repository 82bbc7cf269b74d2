"""Ledger text is inert in Fava: the journal table (Fava's one template printing ledger text with
autoescaping off) is ours, the original it is based on is pinned by hash, and a payee, a
narration or a document that looks like HTML reaches the browser as text."""

from __future__ import annotations

import hashlib
import re
import tomllib
from importlib.metadata import version
from pathlib import Path
from typing import Any

import fava
import pytest
from fastapi.testclient import TestClient

from api.fava_mount import FAVA_TEMPLATES, OVERRIDDEN
from tests.api_helpers import SLUG, Login, api, spend, txn

ROOT = Path(__file__).resolve().parent.parent
FAVA_VERSION = "1.30.16"
#: sha256 of Fava 1.30.16's templates our overrides copy (``_layout.html``: see
#: tests/test_fava_readonly.py). When Fava changes one, this test fails: compare the new file,
#: redo the override, update both.
ORIGINALS = {
    "_journal_table.html": "c12f24f57eca8575f307c2f364eb31ea1b4acacd6bc2e60a7c0c705e8a324657",
    "_layout.html": "1f9cd23a8e68b148ad0ff9592a1888c415147db2b2623b00ed11ace377af8f75",
}
FAVA_TEMPLATE_DIR = Path(fava.__file__).parent / "templates"

#: Markup an attacker would put in ledger text; none may arrive as markup.
PAYLOADS = {
    "payee": "<img src=x onerror=\"document.title='PWNED'\">",
    "narration": "<script>document.title='PWNED'</script>\"><svg onload=alert(1)>",
    "document": "<form action=/x><style>*{display:none}</style>",
}
RAW = ("<img", "<script", "<svg", "<form", "<style")


def test_fava_is_pinned_to_the_version_whose_template_we_override() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert f"fava=={FAVA_VERSION}" in pyproject["project"]["dependencies"]
    assert version("fava") == FAVA_VERSION


@pytest.mark.parametrize("name", OVERRIDDEN)
def test_the_overridden_fava_template_is_the_one_pinned(name: str) -> None:
    original = (FAVA_TEMPLATE_DIR / name).read_bytes()
    assert hashlib.sha256(original).hexdigest() == ORIGINALS[name], (
        f"Fava's {name} changed: review api/fava_templates/{name} against it"
    )


def test_the_override_is_the_original_with_autoescaping_back_on() -> None:
    original = (FAVA_TEMPLATE_DIR / "_journal_table.html").read_text(encoding="utf-8")
    ours = (FAVA_TEMPLATES / "_journal_table.html").read_text(encoding="utf-8")
    assert "{% autoescape false %}" in original
    body = ours.split("-#}\n", 1)[1]  # after our header comment
    assert "autoescape" not in body and "|safe" not in body and "Markup" not in body
    unescaped = [
        line
        for line in original.splitlines(keepends=True)
        if line.strip() not in ("{% autoescape false %}", "{% endautoescape %}")
    ]
    assert body == "".join(unescaped)


def test_no_other_fava_template_prints_unescaped_html() -> None:
    """Fava's other page templates keep autoescaping; a new ``|safe`` or ``autoescape false``
    after an upgrade fails here (``beancount_file`` is the text download, not HTML)."""
    for path in FAVA_TEMPLATE_DIR.rglob("*.html"):
        if path.name in OVERRIDDEN:
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"autoescape\s+false|\|\s*safe|Markup", text), path


def _fava_root(client: TestClient, headers: dict[str, str]) -> str:
    location = client.get(f"/fava/{SLUG}/", headers=headers, follow_redirects=False).headers[
        "location"
    ]
    return str(location.rsplit("/", 2)[0])


def _post(client: TestClient, members: dict[str, Login], body: dict[str, Any]) -> int:
    body["payee"] = PAYLOADS["payee"]
    body["narration"] = PAYLOADS["narration"]
    body["documents"] = [PAYLOADS["document"]]
    answer = client.post(f"{api()}/transactions", json=body, headers=members["treasurer"].bearer)
    assert answer.status_code in (201, 202), answer.text
    return answer.status_code


def test_ledger_text_reaches_fava_journal_and_account_pages_as_text(
    client: TestClient, members: dict[str, Login]
) -> None:
    """The reported attack: a 0.01 income whose narration carries a script. Fava's journal
    (``api/journal_page``) and account page (``api/account_report``) printed it raw."""
    assert _post(client, members, txn("0.01", "xss-posted")) == 201
    headers = members["approver"].bearer
    root = _fava_root(client, headers)
    page = client.get(
        f"{root}/api/journal_page", params={"page": 1, "order": "desc"}, headers=headers
    )
    assert page.status_code == 200
    journal = page.json()["data"]["journal"]
    assert "<li class='transaction" in journal  # the table still renders
    for raw in RAW:
        assert raw not in journal, raw
    assert "&lt;img src=x onerror=&#34;document.title=&#39;PWNED&#39;&#34;&gt;" in journal
    assert "&lt;script&gt;document.title=&#39;PWNED&#39;&lt;/script&gt;" in journal
    assert "&lt;form action=/x&gt;&lt;style&gt;" in journal

    bank = "Assets:1002-银行存款:01-基本户"
    report = client.get(
        f"{root}/api/account_report", params={"a": bank, "r": "journal"}, headers=headers
    )
    assert report.status_code == 200
    account_journal = report.json()["data"]["journal"]
    assert "&lt;script&gt;" in account_journal
    for raw in RAW:
        assert raw not in account_journal, raw


def test_a_pending_entry_with_markup_shows_as_text_on_the_entry_page(
    client: TestClient, members: dict[str, Login]
) -> None:
    from tests.api_helpers import login

    funds = client.post(
        f"{api()}/transactions", json=txn("9600.00", "funds"), headers=members["treasurer"].bearer
    )
    assert funds.status_code == 201, funds.text
    assert _post(client, members, spend("6000.00", "xss-pending")) == 202  # waits for approval
    login(client, members["approver"])
    page = client.get(f"/entry/{SLUG}")
    assert page.status_code == 200
    assert "/approve" in page.text
    assert "&lt;script&gt;document.title=&#39;PWNED&#39;&lt;/script&gt;" in page.text
    for raw in ("<img", "<svg", "<style"):
        assert raw not in page.text, raw
