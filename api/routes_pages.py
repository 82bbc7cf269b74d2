"""The browser's front door: ``/`` (my communities), ``/login`` and ``/logout`` (POST only).

The login form carries a CSRF token bound to a short-lived pre-session cookie
(``commons_login``), and is checked for its origin like every browser write, so another site
cannot log a browser in as someone else. A refused password is an audit event (``login-failed``,
no community) and counts towards the throttle (``api.throttle``, in the database)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import sessions, users
from api.deps import BooksDep, client_address
from api.errors import problem
from api.pages import logged_in, render, words
from api.settings import Settings
from api.throttle import LoginThrottle
from ledger import events
from ledger.books import Books
from ledger.db import writer
from ledger.messages import msg

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

#: The pages' style sheet and script, served as files (the Content-Security-Policy allows no
#: inline script): name -> media type. Nothing else in ``api/static`` is served.
ASSETS = {"app.css": "text/css; charset=utf-8", "entry.js": "text/javascript; charset=utf-8"}
ASSET_DIR = Path(__file__).with_name("static")


@router.get("/assets/{name}")
def asset(name: str) -> Response:
    media_type = ASSETS.get(name)
    if media_type is None:
        raise HTTPException(404, detail=[problem(msg("pages.no-asset", name=name), rule="asset")])
    return Response(
        (ASSET_DIR / name).read_bytes(),
        media_type=media_type,
        headers={"Cache-Control": "public, max-age=300"},
    )


def safe_next(target: str | None) -> str:
    """Only a path on this site: no scheme, no host, no ``//evil`` or ``/\\evil``."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


@router.get("/", response_class=HTMLResponse)
def home(request: Request, books: BooksDep) -> Response:
    username = logged_in(request)
    if username is None:
        return RedirectResponse("/login", status_code=303)
    communities = [
        (slug, sorted(r.value for r in roles))
        for slug, roles in users.communities_of(books, username)
    ]
    return render(request, "home.html", communities=communities)


#: The throttle's limits (``api.throttle``) in the reader's words.
_LIMITS = {
    "account and address": "pages.limit-pair",
    "account": "pages.limit-account",
    "address": "pages.limit-address",
}


def _login_page(
    request: Request, status: int, *, next: str, error: str | None, username_value: str
) -> Response:
    """The login form with a fresh CSRF token bound to a fresh pre-session cookie."""
    settings: Settings = request.app.state.settings
    nonce = sessions.login_nonce()
    response = render(
        request,
        "login.html",
        status,
        next=safe_next(next),
        error=error,
        username_value=username_value,
        csrf=sessions.login_token(request.app.state.secret, nonce),
    )
    response.set_cookie(
        sessions.LOGIN_COOKIE,
        nonce,
        max_age=sessions.LOGIN_COOKIE_MAX_AGE,
        path="/login",
        httponly=True,
        samesite="lax",
        secure=settings.https_only,
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:
    return _login_page(request, 200, next=next or "/", error=None, username_value="")


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    books: BooksDep,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form(max_length=2000)] = "/",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    address = client_address(request)
    nonce = request.cookies.get(sessions.LOGIN_COOKIE, "")
    if not nonce or not sessions.token_ok(
        sessions.login_token(request.app.state.secret, nonce), csrf
    ):
        log.warning("login refused for %r from %s: no valid login form token", username, address)
        return _login_page(
            request,
            403,
            next=next,
            error=words(request, msg("pages.login-expired")),
            username_value=username,
        )
    throttle: LoginThrottle = request.app.state.login_throttle
    verdict = await anyio.to_thread.run_sync(throttle.check, books, username, address)
    if verdict.wait:
        response = _login_page(
            request,
            429,
            next=next,
            error=words(
                request,
                msg(
                    "pages.throttled",
                    wait=verdict.wait,
                    count=verdict.count,
                    limit=msg(_LIMITS.get(verdict.limit or "", "pages.limit-account")),
                    allowed=verdict.allowed,
                    minutes=int(throttle.window.total_seconds()) // 60,
                ),
            ),
            username_value=username,
        )
        response.headers["Retry-After"] = str(verdict.wait)
        log.warning(
            "login refused for %r from %s: throttled for %s s (%s)",
            username,
            address,
            verdict.wait,
            verdict.limit,
        )
        return response
    found = await anyio.to_thread.run_sync(users.user_by_password, books, username, password)
    if found is None:
        await anyio.to_thread.run_sync(_record_failure, books, throttle, username, address)
        log.warning("login refused for %r from %s: wrong username or password", username, address)
        return _login_page(
            request,
            401,
            next=next,
            error=words(request, msg("pages.wrong-password")),
            username_value=username,
        )
    settings: Settings = request.app.state.settings
    await anyio.to_thread.run_sync(throttle.succeeded, books, username, address)
    previous = sessions.of_request(request, books)
    if previous is not None:  # a new login never continues an old session
        await anyio.to_thread.run_sync(sessions.end, books, previous.key, "replaced by login")
    cookie = await anyio.to_thread.run_sync(
        lambda: sessions.start(books, found, address=address, max_age=settings.session_max_age)
    )
    await anyio.to_thread.run_sync(_record_login, books, found, address)
    response = RedirectResponse(safe_next(next), status_code=303)
    sessions.set_cookie(
        response, cookie, max_age=settings.session_max_age, secure=settings.https_only
    )
    response.delete_cookie(sessions.LOGIN_COOKIE, path="/login")
    return response


def _record_login(books: Books, username: str, address: str | None) -> None:
    with writer(books.engine) as session:
        events.record(
            session,
            community_id=None,
            actor=username,
            action="login",
            object_type="user",
            object_id=username,
            address=address,
        )


def _record_failure(
    books: Books, throttle: LoginThrottle, username: str, address: str | None
) -> None:
    """A refused password: counted by the throttle and kept in the audit trail (the actor is
    unknown; the name tried is the object)."""
    throttle.failed(books, username, address)
    with writer(books.engine) as session:
        events.record(
            session,
            community_id=None,
            actor="anonymous",
            action="login-failed",
            object_type="user",
            object_id=username[:100],
            address=address,
        )


@router.post("/logout", response_class=HTMLResponse)
def logout(
    request: Request, books: BooksDep, csrf: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    """End the browser's session (POST with the session's CSRF token; GET is 405)."""
    settings: Settings = request.app.state.settings
    browser = sessions.of_request(request, books)
    if browser is not None:
        if not sessions.token_ok(browser.csrf, csrf or request.headers.get(sessions.CSRF_HEADER)):
            return render(
                request,
                "message.html",
                403,
                heading="403",
                message=words(request, msg("pages.logout-expired")),
            )
        sessions.end(books, browser.key, "logout")
        sessions.forget(request)
    response = RedirectResponse("/login", status_code=303)
    sessions.clear_cookie(response, secure=settings.https_only)
    return response
