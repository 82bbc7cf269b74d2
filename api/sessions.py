"""Browser sessions, kept on the server, and what guards a browser's writes against CSRF.

**Sessions.** ``/login`` creates a ``UserSession`` row and gives the browser a cookie
(``commons_session``: HttpOnly, SameSite=Lax, Secure with ``COMMONS_HTTPS_ONLY``) holding a random
id; the row's key is only that id's SHA-256. Every request looks the row up: ended, expired or
belonging to a disabled user, the cookie counts for nothing. Logout ends the session; a password
change, disabling the user, removing one of their roles and revoking their tokens end all of
the user's sessions at once (``end_user_sessions``, in the same transaction as the change).

**CSRF.** A state-changing request (POST, PUT, PATCH, DELETE) that a browser's cookies
authenticate must

- come from this site: its ``Origin`` (or, without one, its ``Referer``) is the request's own
  ``scheme://host`` (``OriginGuard``, for every such request carrying the session cookie, and for
  ``/login``);
- carry the session's CSRF token: the ``X-CSRF-Token`` header (JSON API, ``api.deps``) or the
  form's ``csrf`` field (pages, ``api.pages``). A form acting on one object carries a token
  bound to it (``bound_token``: an HMAC of the session's token and the object), so a token read
  from one form cannot be used on another object.

Requests with ``Authorization: Bearer`` are exempt: a browser never adds that header by itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api import lang
from ledger import clock
from ledger.books import Books
from ledger.db import reader, writer
from ledger.messages import msg
from ledger.models import ServerKey, User, UserSession

SESSION_COOKIE = "commons_session"
#: The login form's pre-session cookie: a random nonce the form's CSRF token is bound to.
LOGIN_COOKIE = "commons_login"
LOGIN_COOKIE_MAX_AGE = 3600
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
#: Paths whose writes are checked for their origin even without a session cookie.
ORIGIN_CHECKED_PATHS = frozenset({"/login", "/logout"})
#: ``last_seen_at`` is written at most this often per session.
TOUCH_RESOLUTION = timedelta(minutes=1)
#: Rows of sessions that expired or ended longer ago than this are deleted at the next login.
KEEP_ENDED = timedelta(days=90)

_SCOPE_KEY = "commons.browser_session"
_NONE = object()


@dataclass(frozen=True)
class BrowserSession:
    """A live browser session: whose it is and its CSRF token."""

    key: str  # the row's id: the SHA-256 of the cookie's value
    user_id: int
    username: str
    csrf: str


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def start(books: Books, username: str, *, address: str | None, max_age: int) -> str:
    """A new session for ``username``; returns the cookie's value (never stored)."""
    plain = secrets.token_urlsafe(32)
    now = clock.now()
    with writer(books.engine) as session:
        user_id = session.execute(
            select(col(User.id)).where(col(User.username) == username)
        ).scalar_one()
        session.add(
            UserSession(
                id=_digest(plain),
                user_id=user_id,
                csrf=secrets.token_urlsafe(32),
                created_at=now,
                last_seen_at=now,
                expires_at=now + timedelta(seconds=max_age),
                address=address[:100] if address else None,
            )
        )
        session.execute(delete(UserSession).where(col(UserSession.expires_at) < now - KEEP_ENDED))
    return plain


def lookup(books: Books, plain: str | None) -> BrowserSession | None:
    """The live session of a cookie's value, or None (unknown, ended, expired, user disabled).
    Records when it was last seen, at most once per ``TOUCH_RESOLUTION``."""
    if not plain or len(plain) > 200:
        return None
    key = _digest(plain)
    with books.engine.connect() as connection:
        row = connection.execute(
            select(
                col(UserSession.user_id),
                col(UserSession.csrf),
                col(UserSession.expires_at),
                col(UserSession.ended_at),
                col(UserSession.last_seen_at),
                col(User.username),
                col(User.disabled),
            )
            .join(User, col(User.id) == col(UserSession.user_id))
            .where(col(UserSession.id) == key)
        ).first()
    if row is None:
        return None
    user_id, csrf, expires_at, ended_at, last_seen, username, disabled = row
    now = clock.now()
    if ended_at is not None or disabled or _aware(expires_at, now) <= now:
        return None
    if now - _aware(last_seen, now) >= TOUCH_RESOLUTION:
        with writer(books.engine) as session:
            session.execute(
                update(UserSession).where(col(UserSession.id) == key).values(last_seen_at=now)
            )
    return BrowserSession(key=key, user_id=user_id, username=str(username), csrf=str(csrf))


def _aware(moment: Any, now: Any) -> Any:
    return moment.replace(tzinfo=now.tzinfo) if moment.tzinfo is None else moment


def end(books: Books, key: str, why: str) -> None:
    """End one session (by its row's key)."""
    with writer(books.engine) as session:
        session.execute(
            update(UserSession)
            .where(col(UserSession.id) == key)
            .where(col(UserSession.ended_at).is_(None))
            .values(ended_at=clock.now(), ended_why=why[:40])
        )


def end_user_sessions(session: Session, user_id: int, why: str) -> int:
    """End every live session of a user, in the caller's transaction; returns how many."""
    result = session.execute(
        update(UserSession)
        .where(col(UserSession.user_id) == user_id)
        .where(col(UserSession.ended_at).is_(None))
        .where(col(UserSession.expires_at) > clock.now())
        .values(ended_at=clock.now(), ended_why=why[:40])
    )
    return int(getattr(result, "rowcount", 0) or 0)


def live_sessions(session: Session, user_id: int) -> int:
    """How many live sessions a user has (for ``commons user list``)."""
    rows = session.execute(
        select(col(UserSession.id))
        .where(col(UserSession.user_id) == user_id)
        .where(col(UserSession.ended_at).is_(None))
        .where(col(UserSession.expires_at) > clock.now())
    ).all()
    return len(rows)


def of_request(request: Request, books: Books | None = None) -> BrowserSession | None:
    """The request's live browser session (looked up once per request), or None."""
    cached = request.scope.get(_SCOPE_KEY, _NONE)
    if cached is not _NONE:
        return cached  # type: ignore[no-any-return]
    plain = request.cookies.get(SESSION_COOKIE)
    found = None
    if plain:
        found = lookup(books or request.app.state.books, plain)
    request.scope[_SCOPE_KEY] = found
    return found


def forget(request: Request) -> None:
    """Drop the request's cached session (after it was ended)."""
    request.scope[_SCOPE_KEY] = None


def set_cookie(response: Response, value: str, *, max_age: int, secure: bool) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure,
    )


def clear_cookie(response: Response, *, secure: bool) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure)


# --- CSRF tokens ------------------------------------------------------------------------------


def bound_token(secret: str, *parts: str) -> str:
    """A token bound to ``parts`` (an action and an object) by an HMAC keyed with ``secret``
    (a session's CSRF token, or the server's key for the login form)."""
    mac = hmac.new(secret.encode(), "\x1f".join(parts).encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def token_ok(expected: str, sent: str | None) -> bool:
    return bool(sent) and secrets.compare_digest(expected.encode(), (sent or "").encode())


def login_nonce() -> str:
    return secrets.token_urlsafe(24)


def login_token(secret: str, nonce: str) -> str:
    """The login form's CSRF token, bound to the pre-session cookie's nonce."""
    return bound_token(secret, "login", nonce)


#: The ``ServerKey`` row of the login form's key.
LOGIN_KEY = "login-form"


def login_key(books: Books) -> str:
    """The key signing the login form's CSRF tokens when none is configured
    (``COMMONS_SECRET``): one random key in the database, made by the first process that asks,
    so a form served by one node is accepted by every node on the same database. Two nodes
    starting at once both try to insert it; the loser reads the winner's."""
    with reader(books.engine) as session:
        found = session.get(ServerKey, LOGIN_KEY)
        if found is not None:
            return found.value
    made = secrets.token_urlsafe(48)
    try:
        with writer(books.engine) as session:
            if (existing := session.get(ServerKey, LOGIN_KEY)) is not None:
                return existing.value
            session.add(ServerKey(name=LOGIN_KEY, value=made, created_at=clock.now()))
    except IntegrityError:
        with reader(books.engine) as session:
            return session.get_one(ServerKey, LOGIN_KEY).value
    return made


# --- origin -----------------------------------------------------------------------------------

_DEFAULT_PORTS = {"http": "80", "https": "443"}


def _origin_of(scheme: str, netloc: str) -> str:
    scheme, netloc = scheme.lower(), netloc.lower()
    host, sep, port = netloc.rpartition(":")
    if sep and port.isdigit() and _DEFAULT_PORTS.get(scheme) == port:
        netloc = host
    return f"{scheme}://{netloc}"


def own_origin(scope: Scope) -> str:
    host = ""
    for name, value in scope.get("headers", ()):
        if name == b"host":
            host = value.decode("latin-1")
            break
    if not host and scope.get("server"):
        server_host, server_port = scope["server"]
        host = f"{server_host}:{server_port}" if server_port else str(server_host)
    return _origin_of(str(scope.get("scheme", "http")), host)


def sent_origin(scope: Scope) -> str | None:
    """The request's ``Origin``, else the origin of its ``Referer``; None without either."""
    wanted = {b"origin", b"referer"}
    headers: dict[bytes, bytes] = {
        name: value for name, value in scope.get("headers", ()) if name in wanted
    }
    if b"origin" in headers:
        return headers[b"origin"].decode("latin-1").strip()
    if b"referer" in headers:
        parts = urlsplit(headers[b"referer"].decode("latin-1").strip())
        if parts.scheme and parts.netloc:
            return _origin_of(parts.scheme, parts.netloc)
        return "null"
    return None


def same_origin(scope: Scope) -> bool:
    sent = sent_origin(scope)
    if sent is None or sent == "null":
        return False
    parts = urlsplit(sent)
    return bool(parts.scheme and parts.netloc) and (
        _origin_of(parts.scheme, parts.netloc) == own_origin(scope)
    )


def origin_refusal(scope: Scope) -> dict[str, Any]:
    sent = sent_origin(scope)
    what = msg("sessions.no-origin") if sent is None else msg("sessions.the-origin", origin=sent)
    text = msg("sessions.cross-site", own=own_origin(scope), what=what)
    return {
        "field": None,
        "rule": "csrf",
        "message": text.render(lang.of_scope(scope)),
        "details": {"origin": sent, "expected": own_origin(scope)},
    }


def _has_cookie(scope: Scope, name: str) -> bool:
    for header, value in scope.get("headers", ()):
        if header == b"cookie" and f"{name}=".encode() in value:
            return True
    return False


def _has_authorization(scope: Scope) -> bool:
    return any(name == b"authorization" for name, _ in scope.get("headers", ()))


def needs_origin_check(scope: Scope) -> bool:
    """A write that a browser's cookie may authenticate (or a login): it must be same-origin."""
    return (
        scope["type"] == "http"
        and scope.get("method", "GET") not in SAFE_METHODS
        and not _has_authorization(scope)
        and (_has_cookie(scope, SESSION_COOKIE) or scope.get("path") in ORIGIN_CHECKED_PATHS)
    )


class OriginGuard:
    """Refuse (403, rule ``csrf``) a browser's write from another origin, before any route
    runs: every POST, PUT, PATCH or DELETE carrying the session cookie (or to ``/login`` or
    ``/logout``) and no ``Authorization`` header must name this site in ``Origin`` (or, without
    it, ``Referer``). Another port of the same host is another origin."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if needs_origin_check(scope) and not same_origin(scope):
            import json

            body = json.dumps({"detail": [origin_refusal(scope)]}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 403,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)
