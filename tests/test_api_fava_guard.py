"""Fava behind the login: members only, read-only (no write reaches Fava), in Chinese, and it
shows a new posting without a restart."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from tests.api_helpers import OTHER, SLUG, Login, api, login, txn


def _fava_root(client: TestClient, headers: dict[str, str] | None = None) -> str:
    """Fava redirects its root to ``/fava/{slug}/{fava-slug}/income_statement/``."""
    response = client.get(f"/fava/{SLUG}/", headers=headers or {}, follow_redirects=False)
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(f"/fava/{SLUG}/")
    return location.rsplit("/", 2)[0]


def test_members_reach_fava_after_login_others_do_not(
    client: TestClient, members: dict[str, Login]
) -> None:
    anon = client.get(f"/fava/{SLUG}/", follow_redirects=False)
    assert anon.status_code == 303
    assert anon.headers["location"] == f"/login?next=/fava/{SLUG}/"

    login(client, members["supervisor"])
    page = client.get(f"/fava/{SLUG}/")
    assert page.status_code == 200
    assert '"language":"zh"' in page.text  # Fava in Chinese by default

    outsider = TestClient(client.app)
    login(outsider, members["outsider"])
    assert outsider.get(f"/fava/{SLUG}/", follow_redirects=False).status_code == 404
    assert outsider.get(f"/fava/{OTHER}/", follow_redirects=False).status_code == 302


@pytest.mark.parametrize(
    ("method", "endpoint"),
    [
        ("PUT", "api/add_entries"),
        ("PUT", "api/source"),
        ("PUT", "api/source_slice"),
        ("DELETE", "api/source_slice"),
        ("PUT", "api/attach_document"),
        ("PUT", "api/upload_import_file"),
        ("PUT", "api/format_source"),
        ("POST", "api/add_entries"),
    ],
)
def test_no_write_reaches_fava(
    client: TestClient, members: dict[str, Login], method: str, endpoint: str
) -> None:
    headers = members["admin"].bearer
    root = _fava_root(client, headers)
    response = client.request(method, f"{root}/{endpoint}", headers=headers, json={"entries": []})
    assert response.status_code == 405
    anon = client.request(method, f"{root}/{endpoint}", json={"entries": []})
    assert anon.status_code == 405


def test_fava_shows_a_new_posting_within_seconds(
    client: TestClient, members: dict[str, Login]
) -> None:
    headers = members["supervisor"].bearer
    root = _fava_root(client, headers)
    before = client.get(f"{root}/api/journal", headers=headers)
    assert before.status_code == 200
    assert "FAVA-RELOAD" not in before.text
    posted = client.post(
        f"{api()}/transactions",
        json=txn("88.00", "reload", narration="FAVA-RELOAD"),
        headers=members["treasurer"].bearer,
    )
    assert posted.status_code == 201
    deadline = time.monotonic() + 10
    while True:
        journal = client.get(f"{root}/api/journal", headers=headers)
        if "FAVA-RELOAD" in journal.text:
            break
        assert time.monotonic() < deadline, "Fava did not show the new posting within 10 s"
        time.sleep(0.5)
