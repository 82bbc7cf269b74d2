"""The browser's front door: ``/`` (my communities), ``/login`` and ``/logout``."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import users
from api.deps import SESSION_USER, BooksDep, client_address
from api.pages import SESSION_CSRF, logged_in, render
from api.throttle import LoginThrottle
from ledger import events
from ledger.books import Books
from ledger.db import writer

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
        raise HTTPException(404, f"no asset {name!r}")
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


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", next=safe_next(next), error=None, username_value="")


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    books: BooksDep,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    address = client_address(request)
    throttle: LoginThrottle = request.app.state.login_throttle
    wait = throttle.retry_after(username, address)
    if wait:
        response = render(
            request,
            "login.html",
            429,
            next=safe_next(next),
            error=f"登录失败次数过多，请 {wait} 秒后再试。Too many failed logins; try again in "
            f"{wait} seconds.",
            username_value=username,
        )
        response.headers["Retry-After"] = str(wait)
        log.warning("login refused for %r from %s: throttled for %s s", username, address, wait)
        return response
    found = await anyio.to_thread.run_sync(users.user_by_password, books, username, password)
    if found is None:
        throttle.failed(username, address)
        log.warning("login refused for %r from %s: wrong username or password", username, address)
        return render(
            request,
            "login.html",
            401,
            next=safe_next(next),
            error="用户名或密码不正确。Wrong username or password.",
            username_value=username,
        )
    throttle.succeeded(username, address)
    request.session.clear()
    request.session[SESSION_USER] = found
    request.session[SESSION_CSRF] = secrets.token_urlsafe(32)
    await anyio.to_thread.run_sync(_record_login, books, found, address)
    return RedirectResponse(safe_next(next), status_code=303)


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


@router.api_route("/logout", methods=["GET", "POST"], response_class=HTMLResponse)
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
