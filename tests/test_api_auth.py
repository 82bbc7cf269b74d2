"""Who may ask: API tokens (hashed, revocable, last-used time), the browser login, the CLI
that creates members and tokens, and the wall between communities."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.cli import main
from api.users import hash_token
from ledger.books import Books
from ledger.models import ApiToken, Event, User
from tests.api_helpers import ORIGIN, OTHER, SLUG, Login, api, login, login_token, txn


def test_tokens_are_stored_hashed_and_record_their_use(
    client: TestClient, members: dict[str, Login], api_books: Books
) -> None:
    token = members["auditor"].token
    with Session(api_books.engine) as session:
        rows = list(session.exec(select(ApiToken)))
        assert token not in {r.token_hash for r in rows}
        row = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).one()
        assert row.last_used_at is None
    assert client.get(f"{api()}/balances", headers=members["auditor"].bearer).status_code == 200
    with Session(api_books.engine) as session:
        row = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).one()
        assert row.last_used_at is not None


def test_bad_and_revoked_tokens_are_401(
    client: TestClient, members: dict[str, Login], tmp_path: Path, api_settings: object
) -> None:
    path = f"{api()}/balances"
    assert client.get(path, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get(path, headers={"Authorization": "Basic abc"}).status_code == 401
    response = client.get(path)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"

    who = members["auditor"]
    assert client.get(path, headers=who.bearer).status_code == 200
    result = CliRunner().invoke(
        main,
        ["--lang", "en", "--data", str(tmp_path / "data"), "user", "revoke-token", who.username],
    )
    assert result.exit_code == 0, result.output
    assert "revoked 1 token" in result.output
    assert client.get(path, headers=who.bearer).status_code == 401


def test_cli_user_add_prints_a_working_token_once(
    client: TestClient, members: dict[str, Login], tmp_path: Path, api_books: Books
) -> None:
    data = str(tmp_path / "data")
    result = CliRunner().invoke(
        main,
        [
            "--lang",
            "en",
            "--data",
            data,
            "user",
            "add",
            "li",
            "--community",
            SLUG,
            "--role",
            "treasurer",
            "--password",
            "li-password-1",
        ],
    )
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("cl_")
    posted = client.post(
        f"{api()}/transactions",
        json=txn("10.00", "li"),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert posted.status_code == 201
    assert posted.json()["entered_by"] == "li"
    with Session(api_books.engine) as session:
        user = session.exec(select(User).where(User.username == "li")).one()
        assert user.password_hash and "li-password-1" not in user.password_hash
    refused = CliRunner().invoke(
        main,
        [
            "--lang",
            "zh",
            "--data",
            data,
            "user",
            "add",
            "li",
            "--community",
            "nowhere",
            "--role",
            "auditor",
        ],
    )
    assert refused.exit_code == 1
    assert "没有小区 'nowhere'" in refused.output  # --lang zh


def test_members_of_one_community_see_nothing_of_another(
    client: TestClient, members: dict[str, Login]
) -> None:
    client.headers["Accept-Language"] = "en"  # the words asserted below
    outsider = members["outsider"].bearer
    assert client.get(f"{api(OTHER)}/balances", headers=outsider).status_code == 200
    for path in (f"{api()}/balances", f"{api()}/transactions"):
        response = client.get(path, headers=outsider)
        missing = client.get(path.replace(SLUG, "nowhere"), headers=outsider)
        # the same answer as for a community that does not exist
        assert response.status_code == missing.status_code == 404
        assert response.json()["detail"][0]["message"] == f"no community {SLUG!r}"
        assert missing.json()["detail"][0]["message"] == "no community 'nowhere'"
    posted = client.post(f"{api()}/transactions", json=txn("1.00", "x"), headers=outsider)
    assert posted.status_code == 404


def test_login_session_and_logout(
    client: TestClient, members: dict[str, Login], api_books: Books
) -> None:
    client.headers["Origin"] = ORIGIN
    wrong = client.post(
        "/login",
        data={"username": "auditor", "password": "wrong-password", "csrf": login_token(client)},
    )
    assert wrong.status_code == 401
    assert "用户名或密码不正确。" in wrong.text
    nobody = client.post(
        "/login",
        data={"username": "nobody", "password": "whatever-1", "csrf": login_token(client)},
    )
    assert nobody.status_code == 401

    login(client, members["auditor"])
    cookie = client.cookies.get("commons_session")
    assert cookie
    set_cookie = (
        client.post(
            "/login",
            data={
                "username": "auditor",
                "password": members["auditor"].password,
                "csrf": login_token(client),
            },
            follow_redirects=False,
        )
        .headers["set-cookie"]
        .lower()
    )
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie
    assert client.get(f"{api()}/balances").status_code == 200
    home = client.get("/")
    assert home.status_code == 200 and "/fava/maple/" in home.text
    with Session(api_books.engine) as session:
        logins = session.exec(select(Event).where(Event.action == "login")).all()
        assert logins and logins[-1].address == "testclient"
    csrf = login(client, members["auditor"])
    client.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    assert client.get(f"{api()}/balances").status_code == 401


def test_login_redirects_only_within_the_site(
    client: TestClient, members: dict[str, Login]
) -> None:
    who = members["auditor"]
    client.headers["Origin"] = ORIGIN
    for target, expected in (
        ("/fava/maple/", "/fava/maple/"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
    ):
        response = client.post(
            "/login",
            data={
                "username": who.username,
                "password": who.password,
                "next": target,
                "csrf": login_token(client),
            },
            follow_redirects=False,
        )
        assert response.headers["location"] == expected


def test_a_disabled_user_is_locked_out_of_sessions_and_tokens(
    client: TestClient, members: dict[str, Login], api_books: Books
) -> None:
    who = members["auditor"]
    login(client, who)
    assert client.get(f"{api()}/balances").status_code == 200
    with Session(api_books.engine) as session:
        user = session.exec(select(User).where(User.username == who.username)).one()
        user.disabled = True
        session.add(user)
        session.commit()
    assert client.get(f"{api()}/balances").status_code == 401  # the session no longer counts
    assert client.get(f"{api()}/balances", headers=who.bearer).status_code == 401


def test_repeated_failed_logins_are_throttled(
    client: TestClient, members: dict[str, Login]
) -> None:
    who = members["auditor"]
    client.headers["Origin"] = ORIGIN
    for _ in range(5):
        wrong = client.post(
            "/login",
            data={"username": who.username, "password": "guess-guess", "csrf": login_token(client)},
        )
        assert wrong.status_code == 401
    blocked = client.post(
        "/login",
        data={"username": who.username, "password": who.password, "csrf": login_token(client)},
    )
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "登录失败次数过多" in blocked.text
    other = members["supervisor"]
    login(client, other)  # another user from the same address is not affected


def test_every_response_refuses_framing_and_sniffing(
    client: TestClient, members: dict[str, Login]
) -> None:
    for path in ("/login", f"{api()}/balances", f"/fava/{SLUG}/"):
        headers = client.get(
            path, headers=members["auditor"].bearer, follow_redirects=False
        ).headers
        assert headers["x-frame-options"] == "DENY", path
        assert headers["x-content-type-options"] == "nosniff", path
