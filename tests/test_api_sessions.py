"""Browser sessions on the server, CSRF, the operator's user commands, the password policy, the
login throttle in the database and reverse proxies. Each test named after a finding failed on
the code before (a stateless signed cookie, no CSRF on the JSON API, uvicorn trusting
``X-Forwarded-For`` from 127.0.0.1, passwords of eight spaces)."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner, Result
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api import passwords
from api.app import create_app
from api.cli import main
from api.demo import DEMO_USERS
from api.settings import Settings
from api.users import Role, add_member
from ledger import clock, journal
from ledger.books import Books
from ledger.errors import ValidationFailed
from ledger.models import ApiToken, Event, LoginFailure, UserSession
from tests.api_helpers import (
    ORIGIN,
    OTHER,
    SLUG,
    Login,
    api,
    field,
    login,
    login_token,
    spend,
    txn,
)
from tests.conftest import txn as draft_txn

OTHER_PORT = "http://testserver:8081"


def cli(settings: Settings, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(
        main, ["--lang", "en", "--data", str(settings.data), *args], input=stdin
    )


def _spend_draft() -> Any:
    from ledger.schemas import TransactionIn

    return TransactionIn.model_validate(spend("6000.00", None))


def _status(client: TestClient, entry_id: str, bearer: dict[str, str]) -> str:
    return str(client.get(f"{api()}/transactions/{entry_id}", headers=bearer).json()["status"])


# --- CSRF on the JSON API -------------------------------------------------------------------


def test_the_json_api_refuses_a_cookie_write_without_token_or_from_another_port(
    app: FastAPI, members: dict[str, Login], api_books: Books
) -> None:
    """Found: a page on the same host (another port) made the approver's browser approve: the
    API took the session cookie with no token, no Origin check, and text/plain bodies."""
    journal.post(
        books=api_books, slug=SLUG, draft=draft_txn("90000.00", day=clock.today()), actor="x"
    )
    entry = journal.post(books=api_books, slug=SLUG, draft=_spend_draft(), actor="treasurer")
    entry_id = entry.entry.id
    approver = TestClient(app)
    csrf = login(approver, members["approver"])
    approve = f"{api()}/transactions/{entry_id}/approve"
    reject = f"{api()}/transactions/{entry_id}/reject"

    # what the attacker's page at :8081 can send: the cookie rides along, no token
    forged = approver.post(approve, headers={"Origin": OTHER_PORT})
    assert forged.status_code == 403 and forged.json()["detail"][0]["rule"] == "csrf"
    # even with the token (were it ever leaked), another origin is refused
    assert (
        approver.post(approve, headers={"Origin": OTHER_PORT, "X-CSRF-Token": csrf}).status_code
        == 403
    )
    # from this origin but without the token
    no_token = approver.post(approve)
    assert no_token.status_code == 403
    assert "X-CSRF-Token" in no_token.json()["detail"][0]["message"]
    wrong = approver.post(approve, headers={"X-CSRF-Token": "guess"})
    assert wrong.status_code == 403
    # a text/plain body (a cross-site "simple request") to a JSON route
    plain = approver.post(
        reject,
        content=b'{"reason": "x"}',
        headers={"Content-Type": "text/plain", "X-CSRF-Token": csrf},
    )
    assert plain.status_code == 415
    assert plain.json()["detail"][0]["rule"] == "content-type"
    assert _status(approver, entry_id, members["auditor"].bearer) == "pending"

    ok = approver.post(approve, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200, ok.text
    assert ok.json()["approved_by"] == "approver"


def test_json_routes_take_only_json_bodies_whoever_asks(
    client: TestClient, members: dict[str, Login]
) -> None:
    bearer = members["treasurer"].bearer
    body = b'{"date": "2025-01-01"}'
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        refused = client.post(
            f"{api()}/transactions", content=body, headers=bearer | {"Content-Type": content_type}
        )
        assert refused.status_code == 415, content_type
        assert refused.json()["detail"][0]["details"]["content_type"] == content_type
    # a body without a Content-Type is no JSON either
    bare = client.post(f"{api()}/transactions", content=body, headers=bearer)
    assert bare.status_code == 415
    posted = client.post(f"{api()}/transactions", json=txn("5.00", "json-ok"), headers=bearer)
    assert posted.status_code == 201
    # the rules file is text, and stays so
    rules = client.put(
        f"{api()}/rules",
        content=b"",
        headers=members["admin"].bearer | {"Content-Type": "text/plain"},
    )
    assert rules.status_code == 422


def test_bearer_requests_need_no_csrf_token(client: TestClient, members: dict[str, Login]) -> None:
    """A browser never adds an Authorization header on its own, so a token request is no CSRF."""
    posted = client.post(
        f"{api()}/transactions",
        json=txn("7.00", "bearer"),
        headers=members["treasurer"].bearer | {"Origin": OTHER_PORT},
    )
    assert posted.status_code == 201


def test_the_cookie_json_api_works_with_the_token(
    client: TestClient, members: dict[str, Login]
) -> None:
    csrf = login(client, members["treasurer"])
    posted = client.post(
        f"{api()}/transactions", json=txn("8.00", "cookie"), headers={"X-CSRF-Token": csrf}
    )
    assert posted.status_code == 201, posted.text
    assert posted.json()["entered_by"] == "treasurer"


# --- login and logout -------------------------------------------------------------------------


def test_login_needs_its_form_token_and_this_origin(
    app: FastAPI, members: dict[str, Login]
) -> None:
    """Found: /login had no CSRF token, so another site could log a browser in as its own
    account (and see what the victim then typed)."""
    who = members["auditor"]
    browser = TestClient(app)
    credentials = {"username": who.username, "password": who.password}
    bare = browser.post("/login", data=credentials, headers={"Origin": ORIGIN})
    assert bare.status_code == 403 and "登录表单已过期" in bare.text
    assert "commons_session" not in browser.cookies
    token = login_token(browser)
    foreign = browser.post(
        "/login", data=credentials | {"csrf": token}, headers={"Origin": OTHER_PORT}
    )
    assert foreign.status_code == 403
    # a token from another browser's form does not fit this browser's pre-session cookie
    other = TestClient(app)
    stolen = login_token(other)
    mismatched = browser.post(
        "/login", data=credentials | {"csrf": stolen}, headers={"Origin": ORIGIN}
    )
    assert mismatched.status_code == 403
    assert "commons_session" not in browser.cookies
    ok = browser.post(
        "/login",
        data=credentials | {"csrf": login_token(browser)},
        headers={"Origin": ORIGIN},
        follow_redirects=False,
    )
    assert ok.status_code == 303


def test_a_login_form_from_one_node_is_accepted_by_another(
    api_settings: Settings, api_books: Books, members: dict[str, Login], tmp_path: Any
) -> None:
    """Found: with no ``COMMONS_SECRET`` each data directory made its own key
    (``<data>/session.key``), so behind a load balancer a login form served by one node was
    refused as expired by the next. The key is now one row in the database."""
    shared_db = api_settings.db_url()
    nodes = [create_app(Settings(data=tmp_path / f"node-{n}", db=shared_db)) for n in "ab"]
    try:
        a, b = (TestClient(node) for node in nodes)
        who = members["auditor"]
        token = login_token(a)  # the form and its pre-session cookie come from node A
        b.cookies.update(a.cookies)
        answer = b.post(
            "/login",
            data={"username": who.username, "password": who.password, "csrf": token},
            headers={"Origin": ORIGIN},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        assert nodes[0].state.secret == nodes[1].state.secret
        assert not list(tmp_path.glob("node-*/session.key"))
    finally:
        for node in nodes:
            node.state.books.dispose()


def test_logout_is_post_only_and_the_old_cookie_is_dead(
    app: FastAPI, members: dict[str, Login]
) -> None:
    """Found: logout worked by GET and only cleared the browser's copy of a signed cookie that
    stayed valid for 12 hours."""
    browser = TestClient(app)
    csrf = login(browser, members["auditor"])
    cookie = browser.cookies["commons_session"]
    assert browser.get("/logout", follow_redirects=False).status_code == 405
    refused = browser.post("/logout", data={"csrf": "nope"}, follow_redirects=False)
    assert refused.status_code == 403
    assert browser.get(f"{api()}/balances").status_code == 200  # still logged in
    out = browser.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    assert out.status_code == 303
    replay = TestClient(app, cookies={"commons_session": cookie})
    assert replay.get(f"{api()}/balances").status_code == 401
    assert replay.get(f"/fava/{SLUG}/", follow_redirects=False).status_code == 303
    assert replay.get("/", follow_redirects=False).status_code == 303


def test_the_cookie_holds_a_random_id_stored_only_as_its_hash(
    client: TestClient, members: dict[str, Login], api_books: Books
) -> None:
    login(client, members["auditor"])
    cookie = client.cookies["commons_session"]
    with Session(api_books.engine) as session:
        rows = list(session.exec(select(UserSession)))
    assert [r.id for r in rows] == [hashlib.sha256(cookie.encode()).hexdigest()]
    assert rows[0].address == "testclient"
    assert cookie not in {r.csrf for r in rows}


def test_an_expired_session_counts_for_nothing(
    client: TestClient, members: dict[str, Login], api_books: Books
) -> None:
    login(client, members["auditor"])
    with Session(api_books.engine) as session:
        row = session.exec(select(UserSession)).one()
        row.expires_at = clock.now() - timedelta(seconds=1)
        session.add(row)
        session.commit()
    assert client.get(f"{api()}/balances").status_code == 401


# --- the operator's commands end sessions ---------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ("user", "passwd", "auditor", "--password-stdin"),
        ("user", "disable", "auditor"),
        ("user", "remove", "auditor", "--community", SLUG, "--role", "auditor"),
        ("user", "revoke-token", "auditor"),
    ],
    ids=["passwd", "disable", "remove", "revoke-token"],
)
def test_user_commands_end_the_users_sessions_at_once(
    app: FastAPI, members: dict[str, Login], api_settings: Settings, command: tuple[str, ...]
) -> None:
    """Found: a session outlived a password change and token revocation (a signed cookie valid
    12 h), and no command removed a role or disabled a user."""
    browser = TestClient(app)
    login(browser, members["auditor"])
    other = TestClient(app)
    login(other, members["supervisor"])
    assert browser.get(f"{api()}/balances").status_code == 200
    result = cli(api_settings, *command, stdin="a-new-long-passphrase\n")
    assert result.exit_code == 0, result.output
    assert browser.get(f"{api()}/balances").status_code == 401
    assert browser.get(f"/fava/{SLUG}/", follow_redirects=False).status_code == 303
    assert other.get(f"{api()}/balances").status_code == 200  # other users keep theirs


def test_disable_revokes_tokens_and_enable_gives_none_back(
    client: TestClient, members: dict[str, Login], api_settings: Settings
) -> None:
    who = members["auditor"]
    assert cli(api_settings, "user", "disable", who.username).exit_code == 0
    assert client.get(f"{api()}/balances", headers=who.bearer).status_code == 401
    client.headers["Origin"] = ORIGIN
    refused = client.post(
        "/login",
        data={"username": who.username, "password": who.password, "csrf": login_token(client)},
    )
    assert refused.status_code == 401
    assert cli(api_settings, "user", "enable", who.username).exit_code == 0
    login(client, who)
    assert client.get(f"{api()}/balances").status_code == 200
    assert client.get(f"{api()}/balances", headers=who.bearer).status_code == 401


def test_remove_takes_the_role_away(
    client: TestClient, members: dict[str, Login], api_settings: Settings, api_books: Books
) -> None:
    bearer = members["approver"].bearer
    result = cli(
        api_settings, "user", "remove", "approver", "--community", SLUG, "--role", "approver"
    )
    assert result.exit_code == 0, result.output
    assert client.get(f"{api()}/balances", headers=bearer).status_code == 404
    again = cli(
        api_settings, "user", "remove", "approver", "--community", SLUG, "--role", "approver"
    )
    assert again.exit_code == 1 and "does not hold the role approver" in again.output
    with Session(api_books.engine) as session:
        event = session.exec(select(Event).where(Event.action == "remove-member")).one()
    assert event.community_id is not None and event.object_id == "approver"
    assert event.actor.startswith("operator:")


def test_user_list_and_the_audit_trail_of_changes(
    members: dict[str, Login], api_settings: Settings, api_books: Books
) -> None:
    assert cli(api_settings, "user", "disable", "supervisor").exit_code == 0
    assert (
        cli(api_settings, "user", "passwd", "admin", stdin="another-long-passphrase\n").exit_code
        == 0
    )
    listed = cli(api_settings, "user", "list")
    assert listed.exit_code == 0
    lines = {line.split()[0]: line for line in listed.output.splitlines()}
    assert "DISABLED" in lines["supervisor"] and "tokens 0" in lines["supervisor"]
    assert "active" in lines["auditor"] and "tokens 1" in lines["auditor"]
    assert "auditor@maple" in lines["auditor"]
    import json

    rows = {
        r["username"]: r for r in json.loads(cli(api_settings, "user", "list", "--json").output)
    }
    assert rows["both"]["roles"] == [
        {"community": SLUG, "role": "approver"},
        {"community": SLUG, "role": "treasurer"},
    ]
    with Session(api_books.engine) as session:
        actions = {
            e.action: e.community_id
            for e in session.exec(select(Event).where(col(Event.community_id).is_(None)))
        }
    assert "disable-user" in actions and "set-password" in actions


def test_passwords_never_come_from_argv_for_passwd(
    api_settings: Settings, members: dict[str, Login]
) -> None:
    result = cli(api_settings, "user", "passwd", "auditor", "--password", "x")
    assert result.exit_code == 2  # no such option
    weak = cli(api_settings, "user", "passwd", "auditor", stdin="12345678\n")
    assert weak.exit_code == 1 and "at least 10 characters" in weak.output


# --- scoped tokens ----------------------------------------------------------------------------


def test_a_token_scoped_to_one_community_works_only_there(
    client: TestClient, members: dict[str, Login], api_settings: Settings, api_books: Books
) -> None:
    add_member(books=api_books, username="li", slug=OTHER, role=Role.AUDITOR, token=False)
    add_member(books=api_books, username="li", slug=SLUG, role=Role.AUDITOR, token=False)
    result = cli(api_settings, "user", "token", "li", "--community", OTHER)
    assert result.exit_code == 0, result.output
    bearer = {"Authorization": f"Bearer {result.output.strip().splitlines()[-1]}"}
    assert client.get(f"{api(OTHER)}/balances", headers=bearer).status_code == 200
    elsewhere = client.get(f"{api()}/balances", headers=bearer)
    assert elsewhere.status_code == 404
    assert client.get(f"/fava/{SLUG}/", headers=bearer, follow_redirects=False).status_code == 404
    assert client.get(f"/entry/{SLUG}", headers=bearer).status_code == 404
    with Session(api_books.engine) as session:
        row = session.exec(select(ApiToken).where(col(ApiToken.community_id).is_not(None))).one()
    assert row.community_id is not None
    nowhere = cli(api_settings, "user", "token", "auditor", "--community", OTHER)
    assert nowhere.exit_code == 1 and "holds no role in other" in nowhere.output


# --- passwords --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "        ",
        "12345678",
        "          ",
        "1234567890",
        "qwertyuiop",
        "Password123",
        "dragon2024!",
        "li-the-user",
    ],
)
def test_weak_passwords_are_refused(password: str) -> None:
    """Found: passwords of eight spaces or ``12345678`` were accepted."""
    with pytest.raises(ValidationFailed) as refused:
        passwords.check(password, "li-the-user")
    assert refused.value.problems[0].rule == "password"


def test_a_good_password_and_the_demo_ones_pass() -> None:
    passwords.check("correct horse battery staple")
    for username, _role, password in DEMO_USERS:
        passwords.check(password, username)
    assert len(passwords.common_passwords()) > 4000


def test_the_cli_refuses_a_weak_password(api_settings: Settings, members: dict[str, Login]) -> None:
    for weak in ("        ", "12345678", "1234567890"):
        result = cli(
            api_settings, "user", "add", "li", "--community", SLUG, "--role", "auditor",
            "--password-stdin", stdin=weak + "\n",
        )  # fmt: skip
        assert result.exit_code == 1, weak
        assert "(password)" in result.output


# --- the throttle and the audit of failed logins ----------------------------------------------


def _try(client: TestClient, username: str, password: str) -> int:
    client.headers["Origin"] = ORIGIN
    return client.post(
        "/login", data={"username": username, "password": password, "csrf": login_token(client)}
    ).status_code


def test_failed_logins_are_audited_and_the_throttle_survives_a_restart(
    api_settings: Settings, api_books: Books, members: dict[str, Login]
) -> None:
    """Found: failed logins were not audited, and the throttle lived in one process's memory."""
    first = TestClient(create_app(api_settings, books=api_books))
    for _ in range(5):
        assert _try(first, "auditor", "wrong-guess-1") == 401
    restarted = TestClient(create_app(api_settings, books=api_books))
    assert _try(restarted, "auditor", members["auditor"].password) == 429
    with Session(api_books.engine) as session:
        failed = session.exec(select(Event).where(Event.action == "login-failed")).all()
        assert len(session.exec(select(LoginFailure)).all()) == 5
    assert len(failed) == 5
    assert {(e.community_id, e.object_id, e.address) for e in failed} == {
        (None, "auditor", "testclient")
    }


def test_guesses_spread_over_addresses_still_lock_the_account(
    app: FastAPI, members: dict[str, Login], api_books: Books
) -> None:
    throttle = app.state.login_throttle
    for n in range(throttle.per_account):
        throttle.failed(api_books, "auditor", f"10.0.{n}.1")
    verdict = throttle.check(api_books, "auditor", "10.9.9.9")
    assert verdict.wait > 0 and verdict.limit == "account"
    for n in range(throttle.per_address):
        throttle.failed(api_books, f"user{n}", "10.7.7.7")
    assert throttle.check(api_books, "supervisor", "10.7.7.7").limit == "address"
    assert throttle.check(api_books, "supervisor", "10.7.7.8").wait == 0


# --- proxies ---------------------------------------------------------------------------------


def test_forwarded_for_from_localhost_is_not_believed(
    api_settings: Settings, api_books: Books, members: dict[str, Login]
) -> None:
    """Found: uvicorn believed X-Forwarded-For from 127.0.0.1, so a local process (or a proxy
    passing the header through) chose the address the throttle counted and the trail kept."""
    app = create_app(api_settings, books=api_books)
    local = TestClient(app, client=("127.0.0.1", 50000))
    for n in range(5):
        local.headers["X-Forwarded-For"] = f"203.0.113.{n}"
        assert _try(local, "auditor", "wrong-guess-2") == 401
    local.headers["X-Forwarded-For"] = "203.0.113.99"
    assert _try(local, "auditor", members["auditor"].password) == 429
    with Session(api_books.engine) as session:
        addresses = {
            e.address for e in session.exec(select(Event).where(Event.action == "login-failed"))
        }
    assert addresses == {"127.0.0.1"}


def test_a_trusted_proxy_sets_address_scheme_and_host(
    api_settings: Settings, api_books: Books, members: dict[str, Login]
) -> None:
    settings = api_settings.model_copy(update={"forwarded_allow_ips": "10.0.0.0/8"})
    app = create_app(settings, books=api_books)
    proxy = TestClient(app, client=("10.0.0.2", 50000), base_url="http://backend:8000")
    proxy.headers.update(
        {
            "X-Forwarded-For": "198.51.100.7, 10.0.0.9",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "ledger.example",
        }
    )
    token = login_token(proxy)
    ok = proxy.post(
        "/login",
        data={"username": "auditor", "password": members["auditor"].password, "csrf": token},
        headers={"Origin": "https://ledger.example"},
        follow_redirects=False,
    )
    assert ok.status_code == 303, ok.text
    with Session(api_books.engine) as session:
        event = session.exec(select(Event).where(Event.action == "login")).one()
    assert event.address == "198.51.100.7"
    # the backend's own address is not the site's origin behind this proxy
    token = login_token(proxy)
    refused = proxy.post(
        "/login",
        data={"username": "auditor", "password": "x", "csrf": token},
        headers={"Origin": "http://backend:8000"},
    )
    assert refused.status_code == 403
    assert refused.json()["detail"][0]["details"]["expected"] == "https://ledger.example"


def test_serve_turns_uvicorns_proxy_handling_off(
    api_settings: Settings, members: dict[str, Login], monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    seen: dict[str, Any] = {}

    def fake_run(app: Any, **kwargs: Any) -> None:
        seen.update(kwargs, app=app)

    monkeypatch.setattr(uvicorn, "run", fake_run)
    result = cli(api_settings, "serve", "--forwarded-allow-ips", "10.0.0.1, 192.168.0.0/16")
    assert result.exit_code == 0, result.output
    assert seen["proxy_headers"] is False
    assert seen["app"].state.settings.forwarded_allow_ips == "10.0.0.1, 192.168.0.0/16"
    bad = cli(api_settings, "serve", "--forwarded-allow-ips", "localhost")
    assert bad.exit_code == 2 and "not an IP address" in bad.output
    default = cli(api_settings, "serve")
    assert default.exit_code == 0
    assert seen["app"].state.settings.forwarded_allow_ips == ""


def test_the_entry_page_still_shows_what_happened(
    client: TestClient, members: dict[str, Login]
) -> None:
    login(client, members["treasurer"])
    page = client.get(f"/entry/{SLUG}").text
    form = {
        "csrf": field(page),
        "idempotency_key": field(page, "idempotency_key"),
        "preset": "parking",
        "amount": "12.00",
        "date": clock.today().isoformat(),
        "narration": "停车",
    }
    done = client.post(f"/entry/{SLUG}", data=form, follow_redirects=False)
    assert done.status_code == 303
    assert re.search(r"\?done=[0-9a-f-]+$", done.headers["location"])
    assert "已记账 #1" in client.get(done.headers["location"]).text
    assert "已记账" not in client.get(f"/entry/{SLUG}?done=not-an-entry").text
