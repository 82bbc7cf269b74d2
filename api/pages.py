"""What the browser pages share: the templates, who is logged in, and the CSRF token.

Pages answer a missing login with a redirect to ``/login`` (303), a community the user is no
member of with 404 and a missing role with 403, like the API. Every form post carries the
session's CSRF token; the session cookie is also SameSite=Lax, so a cross-site form post does
not even carry it.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api.deps import SESSION_USER, Member, Role, current_username, member_of
from ledger.books import Books


@lru_cache(maxsize=1)
def templates() -> Jinja2Templates:
    """The page templates (``api/templates``), loaded on first use."""
    return Jinja2Templates(directory=str(Path(__file__).with_name("templates")))


#: The session key of the CSRF token for form posts.
SESSION_CSRF = "csrf"
SESSION_FLASH = "flash"


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("username", logged_in(request))
    return templates().TemplateResponse(request, name, context, status_code=status)


def logged_in(request: Request) -> str | None:
    value = request.session.get(SESSION_USER) if "session" in request.scope else None
    return value if isinstance(value, str) and value else None


def csrf_token(request: Request) -> str:
    token = request.session.get(SESSION_CSRF)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


def csrf_ok(request: Request, sent: str | None) -> bool:
    token = request.session.get(SESSION_CSRF)
    return bool(sent and isinstance(token, str) and secrets.compare_digest(token, sent))


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path
    return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)


def browser_member(request: Request, books: Books, slug: str, *roles: Role) -> Member | Response:
    """The logged-in user as a member of ``slug`` with one of ``roles``, or the page to show
    instead (login redirect, 404, 403)."""
    username = current_username(request, books)
    if username is None:
        return login_redirect(request)
    member = member_of(request, books, slug, username)
    if member is None:
        return render(
            request,
            "message.html",
            404,
            heading="404",
            message=f"没有这个小区 No community {slug!r}",
        )
    if roles and not member.has(*roles):
        needed = " / ".join(r.value for r in roles)
        return render(
            request,
            "message.html",
            403,
            heading="403",
            message=f"此页面需要角色 This page needs the role: {needed}",
        )
    return member


def flash(request: Request, message: str, *, error: bool = False) -> None:
    request.session[SESSION_FLASH] = {"message": message, "error": error}


def take_flash(request: Request) -> dict[str, Any] | None:
    value = request.session.pop(SESSION_FLASH, None)
    return value if isinstance(value, dict) else None
