"""What the browser pages share: the templates, who is logged in, and the CSRF checks of form
posts.

Pages answer a missing login with a redirect to ``/login`` (303), a community the user is no
member of with 404 and a missing role with 403, like the API. Every form post comes from this
site (``api.sessions.OriginGuard``) and carries the session's CSRF token in its ``csrf`` field,
or, for a form acting on one object (approving an entry), a token bound to that object
(``bound_csrf``). The session cookie is also SameSite=Lax, so a cross-site form post does not
even carry it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api import lang, sessions
from api.deps import Member, Role, current_username, member_of
from ledger.books import Books
from ledger.messages import Msg, msg


@lru_cache(maxsize=1)
def templates() -> Jinja2Templates:
    """The page templates (``api/templates``), loaded on first use."""
    return Jinja2Templates(directory=str(Path(__file__).with_name("templates")))


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page; ``lang`` (the reader's, :mod:`api.lang`) renders the catalogue messages in it."""
    browser = sessions.of_request(request)
    context.setdefault("lang", lang.of_request(request))
    context.setdefault("username", browser.username if browser else None)
    context.setdefault("logout_csrf", browser.csrf if browser else "")
    return templates().TemplateResponse(request, name, context, status_code=status)


def words(request: Request, text: Msg) -> str:
    """A catalogue message in the reader's language."""
    return text.render(lang.of_request(request))


def logged_in(request: Request) -> str | None:
    """The browser session's user (not a bearer token's), or None."""
    browser = sessions.of_request(request)
    return browser.username if browser else None


def csrf_token(request: Request) -> str:
    """The session's CSRF token for a form ("" for a page shown to a bearer token)."""
    browser = sessions.of_request(request)
    return browser.csrf if browser else ""


def bound_csrf(request: Request, *parts: str) -> str:
    """The CSRF token of a form acting on one object (``parts``: action, community, id)."""
    browser = sessions.of_request(request)
    return sessions.bound_token(browser.csrf, *parts) if browser else ""


def form_refusal(request: Request, sent: str | None, *bound: str) -> Response | None:
    """None when a form post may go on: it was authenticated by a bearer token (no cookie
    involved), or it comes from this site with the session's CSRF token (bound to ``bound``
    when given). Otherwise the 403 page to answer with, having done nothing."""
    if request.headers.get("authorization"):
        return None
    browser = sessions.of_request(request)
    if browser is None:
        return render(
            request, "message.html", 403, heading="403", message=words(request, msg("pages.log-in"))
        )
    if not sessions.same_origin(request.scope):
        return render(
            request,
            "message.html",
            403,
            heading="403",
            message=words(
                request,
                msg(
                    "pages.cross-site-form",
                    why=sessions.origin_refusal(request.scope)["message"],
                ),
            ),
        )
    expected = sessions.bound_token(browser.csrf, *bound) if bound else browser.csrf
    if not sessions.token_ok(expected, sent):
        return render(
            request,
            "message.html",
            403,
            heading="403",
            message=words(request, msg("pages.form-expired")),
        )
    return None


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
            message=words(request, msg("backup.no-community", slug=slug)),
        )
    if roles and not member.has(*roles):
        needed = " / ".join(r.value for r in roles)
        return render(
            request,
            "message.html",
            403,
            heading="403",
            message=words(request, msg("pages.needs-role", needed=needed)),
        )
    return member
