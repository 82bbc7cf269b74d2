"""The role matrix (``tests/role_matrix.py``) against the real app: every route, every role and
no login. Fails when the app has a route without a row, or a row without a route."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import route_table
from ledger import chart, clock, journal
from ledger.books import Books
from ledger.schemas import TransactionIn
from rules import resolution_register, units
from rules.resolution_register import ResolutionIn
from tests.api_helpers import SLUG, Login, login, spend, txn
from tests.role_matrix import ROLES, ROWS


def test_every_route_has_a_row_and_every_row_a_route(app: FastAPI) -> None:
    served = set(route_table(app))
    listed = {(row.method, row.path) for row in ROWS}
    assert not served - listed, f"routes without a row in tests/role_matrix.py: {served - listed}"
    assert not listed - served, f"rows for routes the app does not serve: {listed - served}"
    assert len(listed) == len(ROWS), "a route has two rows"


def _prepare(api_books: Books) -> dict[str, str]:
    """A posted entry and four pending ones, entered by the treasurer (after an opening
    balance, so reversing the posted one does not overdraw the bank); four units and a
    passed dividend resolution (``resolution``) for the rules' routes."""
    opening = txn("100000.00", "opening", kind="opening", credit=chart.OPENING)
    journal.post(
        books=api_books, slug=SLUG, draft=TransactionIn.model_validate(opening), actor="treasurer"
    )
    post = journal.post(
        books=api_books,
        slug=SLUG,
        draft=TransactionIn.model_validate(txn("90000.00", "seed")),
        actor="treasurer",
    )
    ids = {"posted": post.entry.id}
    for name in ("pending_a", "pending_b", "pending_c", "pending_d"):
        result = journal.post(
            books=api_books,
            slug=SLUG,
            draft=TransactionIn.model_validate(spend("6000.00", name)),
            actor="treasurer",
        )
        assert result.pending
        ids[name] = result.entry.id
    units.import_units(
        books=api_books,
        slug=SLUG,
        units=units.parse_json(
            [{"unit": f"RM-{n}", "owner": f"O-RM{n}", "area": "100.00"} for n in (1, 2, 3, 4)]
        ),
        actor="admin",
    )
    today = clock.today().isoformat()
    body = ResolutionIn.model_validate(
        {
            "number": "RM-DIV",
            "title": "role matrix dividend",
            "matter": 9,
            "voted_on": today,
            "effective_from": today,
            "budget": "1000.00",
            "purpose": ["dividend"],
            "allocation": {"mode": "rate", "rate": "1.00"},
            "ballots": [{"unit": f"RM-{n}", "vote": "yes"} for n in (1, 2, 3, 4)],
        }
    )
    ids["resolution"] = resolution_register.create(
        books=api_books, slug=SLUG, body=body, actor="admin"
    ).number
    return ids


def _fill(value: Any, marks: dict[str, str]) -> Any:
    text = json.dumps(value, ensure_ascii=False)
    for mark, real in marks.items():
        text = text.replace("{" + mark + "}", real)
    return json.loads(text)


def test_role_matrix(app: FastAPI, api_books: Books, members: dict[str, Login]) -> None:
    ids = _prepare(api_books)
    sessions: dict[str, tuple[dict[str, str], dict[str, str], str]] = {"anon": ({}, {}, "")}
    for role in ROLES[1:]:
        who = members[role]
        browser = TestClient(app)
        login(browser, who)
        page = browser.get(f"/entry/{SLUG}")
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        cookies = {"commons_session": browser.cookies["commons_session"]}
        sessions[role] = (cookies, who.bearer, found.group(1) if found else "")

    wrong: list[str] = []
    for row in ROWS:
        expected = row.statuses()
        for role in ROLES:
            cookies, bearer, csrf = sessions[role]
            marks = {"slug": SLUG, "csrf": csrf, "today": clock.today().isoformat(), "role": role}
            marks |= {name: ids.get(obj, obj) for name, obj in row.ids.items()}
            url = _fill(row.url or row.path, marks)
            client = TestClient(app, cookies=cookies, follow_redirects=False)
            response = client.request(
                "GET" if row.method == "MOUNT" else row.method,
                url,
                headers=bearer,
                json=_fill(row.json, marks) if row.json is not None else None,
                data=_fill(row.form, marks) if row.form is not None else None,
            )
            if response.status_code != expected[role]:
                wrong.append(
                    f"{row.method} {row.path} as {role}: {response.status_code}, "
                    f"expected {expected[role]} ({response.text[:160]})"
                )
    assert not wrong, "\n".join(wrong)
