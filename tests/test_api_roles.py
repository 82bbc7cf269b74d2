"""The role matrix (``tests/role_matrix.py``) against the real app: every route, every role and
no login. Fails when the app has a route without a row, or a row without a route."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import route_table
from ledger import chart, clock, journal
from ledger.books import Books
from ledger.schemas import TransactionIn
from rules import resolution_register, units
from rules.resolution_register import ResolutionIn
from tests.api_helpers import ORIGIN, SLUG, Login, login, login_token, spend, txn
from tests.role_matrix import ROLES, ROWS, Row


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


@dataclass
class Browser:
    """How one column asks: its session cookie, bearer token, the session's CSRF token and
    the entry page's form tokens by the URL each form posts to."""

    cookies: dict[str, str] = field(default_factory=dict)
    bearer: dict[str, str] = field(default_factory=dict)
    csrf: str = ""
    forms: dict[str, str] = field(default_factory=dict)


def _browser(app: FastAPI, who: Login) -> Browser:
    client = TestClient(app)
    csrf = login(client, who)
    page = client.get(f"/entry/{SLUG}").text
    forms = dict(
        re.findall(r'action="([^"]+)">\s*<input type="hidden" name="csrf" value="([^"]+)"', page)
    )
    return Browser({"commons_session": client.cookies["commons_session"]}, who.bearer, csrf, forms)


def _login_form(app: FastAPI) -> tuple[dict[str, str], str]:
    client = TestClient(app)
    token = login_token(client)
    return {"commons_login": client.cookies["commons_login"]}, token


def _ask(
    app: FastAPI,
    row: Row,
    role: str,
    browser: Browser,
    ids: dict[str, str],
    *,
    origin: str = ORIGIN,
    with_tokens: bool = True,
) -> Any:
    is_api = row.path.startswith("/api/")
    login_cookies, login_csrf = _login_form(app) if row.path == "/login" else ({}, "")
    marks = {"slug": SLUG, "today": clock.today().isoformat(), "role": role}
    marks |= {name: ids.get(obj, obj) for name, obj in row.ids.items()}
    url = _fill(row.url or row.path, marks)
    marks["csrf"] = browser.forms.get(url, browser.csrf) if with_tokens else ""
    marks["login_csrf"] = login_csrf
    headers = dict(browser.bearer) if is_api else {"Origin": origin}
    client = TestClient(app, cookies=browser.cookies | login_cookies, follow_redirects=False)
    return client.request(
        "GET" if row.method == "MOUNT" else row.method,
        url,
        headers=headers,
        json=_fill(row.json, marks) if row.json is not None else None,
        data=_fill(row.form, marks) if row.form is not None else None,
    )


def test_role_matrix(app: FastAPI, api_books: Books, members: dict[str, Login]) -> None:
    ids = _prepare(api_books)
    browsers = {"anon": Browser()} | {role: _browser(app, members[role]) for role in ROLES[1:]}

    wrong: list[str] = []
    for row in ROWS:
        expected = row.statuses()
        for role in ROLES:
            browser = browsers[role]
            if row.fresh_session and role != "anon":
                browser = _browser(app, members[role])
            response = _ask(app, row, role, browser, ids)
            if response.status_code != expected[role]:
                wrong.append(
                    f"{row.method} {row.path} as {role}: {response.status_code}, "
                    f"expected {expected[role]} ({response.text[:160]})"
                )
    assert not wrong, "\n".join(wrong)


def test_every_write_with_the_session_cookie_needs_origin_and_csrf_token(
    app: FastAPI, api_books: Books, members: dict[str, Login]
) -> None:
    """Found: the JSON API took the session cookie with no token and no Origin check, so a
    page on another port of the same host made the approver approve."""
    ids = _prepare(api_books)
    writes = [r for r in ROWS if r.method not in ("GET", "MOUNT") and r.path != "/login"]
    assert writes
    wrong: list[str] = []
    for role in ROLES[1:]:
        # the session cookie alone, as a browser sends it to a cross-site request
        browser = replace(_browser(app, members[role]), bearer={})
        for row in writes:
            if row.path.startswith("/api/"):
                browser_headers = {"Origin": "http://testserver:8081"}
                foreign = _ask_cookie(app, row, browser, ids, browser_headers, token=True)
                no_token = _ask_cookie(app, row, browser, ids, {"Origin": ORIGIN}, token=False)
            else:
                foreign = _ask(app, row, role, browser, ids, origin="http://testserver:8081")
                no_token = _ask(app, row, role, browser, ids, with_tokens=False)
            if foreign.status_code != 403:
                wrong.append(
                    f"{row.method} {row.path} as {role} from another origin: "
                    f"{foreign.status_code} ({foreign.text[:120]})"
                )
            if no_token.status_code not in (403, 404):
                wrong.append(
                    f"{row.method} {row.path} as {role} without a CSRF token: "
                    f"{no_token.status_code} ({no_token.text[:120]})"
                )
    assert not wrong, "\n".join(wrong)
    pending = [
        e
        for e in journal_pending(api_books)
        if e in {ids[n] for n in ("pending_a", "pending_b", "pending_c", "pending_d")}
    ]
    assert len(pending) == 4, "a refused write changed the books"


def _ask_cookie(
    app: FastAPI,
    row: Row,
    browser: Browser,
    ids: dict[str, str],
    headers: dict[str, str],
    *,
    token: bool,
) -> Any:
    """An API write with the session cookie (no bearer token), the CSRF header if ``token``."""
    marks = {
        "slug": SLUG,
        "today": clock.today().isoformat(),
        "role": "cookie",
        "csrf": "",
        "login_csrf": "",
    }
    marks |= {name: ids.get(obj, obj) for name, obj in row.ids.items()}
    if token:
        headers = headers | {"X-CSRF-Token": browser.csrf}
    client = TestClient(app, cookies=browser.cookies, follow_redirects=False)
    return client.request(
        row.method,
        _fill(row.path, marks),
        headers=headers,
        json=_fill(row.json, marks) if row.json is not None else None,
        data=_fill(row.form, marks) if row.form is not None else None,
    )


def journal_pending(books: Books) -> list[str]:
    from sqlmodel import Session, col, select

    from ledger.models import Entry

    with Session(books.engine) as session:
        return list(session.exec(select(Entry.id).where(col(Entry.status) == "pending")))
