"""Dependencies for the routes: the books, who is asking, and what they may do.

A request is authenticated by ``Authorization: Bearer <token>`` (programs) or by the session
cookie set at ``/login`` (browsers; the session is kept on the server, ``api.sessions``). Then,
for the path's ``{slug}``:

- no credentials, or a bad or revoked token             → 401
- a write by a browser session without the session's CSRF token in ``X-CSRF-Token``
  (or from another origin, ``api.sessions.OriginGuard``)  → 403
- unknown community, or one the user is no member of    → 404 (the same answer, so a member of
  one community cannot even learn which other communities exist on this server)
- a member without one of the roles the route asks for  → 403
- a JSON route sent a body that is not ``application/json`` → 415
- a token scoped to another community                    → 404, as for a non-member

Roles are not ranked: ``admin`` manages members and registers but does not enter or approve
money unless also given those roles, so four eyes cannot be bypassed by one powerful account.

Usage in a route module::

    TreasurerDep = Annotated[Member, Depends(require_role(Role.TREASURER))]

    @router.post("/communities/{slug}/transactions")
    def post_transaction(slug: str, body: TransactionIn, books: BooksDep, member: TreasurerDep):
        ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.status import (
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_415_UNSUPPORTED_MEDIA_TYPE,
)

from api import sessions, users
from api.users import Role
from ledger.books import Books
from ledger.messages import Msg, msg

__all__ = [
    "BEARER_SCHEME",
    "AnyMemberDep",
    "BearerDoc",
    "BooksDep",
    "Member",
    "Role",
    "authorize",
    "current_username",
    "get_books",
    "member_of",
    "require_role",
]

#: Where a bearer token scoped to one community leaves its community's id on the request.
_TOKEN_SCOPE = "commons.token_community"


@dataclass(frozen=True)
class Member:
    """The authenticated caller as a member of the path's community."""

    username: str
    community_id: str
    slug: str
    roles: frozenset[Role]
    address: str | None

    def has(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))


async def get_books(request: Request) -> Books:
    """``async`` on purpose: FastAPI runs a plain ``def`` dependency in the thread pool, and
    that hop cost a bearer request about as much as its whole database work (profiled)."""
    books: Books = request.app.state.books
    return books


BooksDep = Annotated[Books, Depends(get_books)]


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def _problem(status: int, message: Msg, rule: str) -> HTTPException:
    return HTTPException(
        status_code=status,
        detail=[{"field": None, "rule": rule, "message": message, "details": {}}],
        headers={"WWW-Authenticate": "Bearer"} if status == HTTP_401_UNAUTHORIZED else None,
    )


def _bearer_token(request: Request) -> str | None:
    """The bearer token of the request, None without an Authorization header; 401 for a
    header of another scheme or an empty token."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _problem(HTTP_401_UNAUTHORIZED, msg("deps.use-authorization-bearer-token"), "auth")
    return token


def current_username(request: Request, books: Books) -> str | None:
    """Who is asking: the bearer token's user, else the session's user, else None.
    A bearer header that does not name a valid token is an error (401), not anonymous."""
    token = _bearer_token(request)
    if token is not None:
        found = users.user_by_token(books, token)
        if found is None:
            raise _problem(HTTP_401_UNAUTHORIZED, msg("deps.token-unknown-revoked"), "auth")
        username, scope = found
        request.scope[_TOKEN_SCOPE] = scope
        return username
    browser = sessions.of_request(request, books)
    return browser.username if browser is not None else None


def member_of(request: Request, books: Books, slug: str, username: str) -> Member | None:
    """``username`` as a member of ``slug``, or None if not a member (or no such community,
    or the request's token is scoped to another community)."""
    membership = users.roles_in(books, username, slug)
    scope = request.scope.get(_TOKEN_SCOPE)
    if membership is not None and scope is not None and membership[0].id != scope:
        return None
    return _member(request, membership, username)


def _member(
    request: Request, membership: tuple[users.CommunityRef, frozenset[Role]] | None, username: str
) -> Member | None:
    if membership is None:
        return None
    community, roles = membership
    return Member(username, community.id, community.slug, roles, client_address(request))


#: Declares the bearer scheme in the OpenAPI document (the "Authorize" button of ``/docs``);
#: the header itself is read by ``current_username``, which also accepts the session cookie.
BEARER_SCHEME = "token"
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name=BEARER_SCHEME,
    description="An API token from `commons user add` or `commons user token`.",
)
BearerDoc = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


def authorize(request: Request, books: Books, slug: str, wanted: frozenset[Role]) -> Member:
    """The caller as a ``Member`` of ``slug`` holding one of ``wanted`` (any role when
    empty); raises 401, 404 or 403. Blocks on the database: call it from a worker thread."""
    token = _bearer_token(request)
    if token is not None:  # the common case for programs: one query answers it all
        found = users.member_by_token(books, token, slug)
        if found is None:
            raise _problem(HTTP_401_UNAUTHORIZED, msg("deps.token-unknown-revoked"), "auth")
        username, membership = found
        member = _member(request, membership, username)
    else:
        browser = sessions.of_request(request, books)
        if browser is None:
            raise _problem(HTTP_401_UNAUTHORIZED, msg("deps.log-send-api-token"), "auth")
        if request.method not in sessions.SAFE_METHODS:
            require_csrf_header(request, browser)
        username = browser.username
        member = member_of(request, books, slug, username)
    if member is None:
        raise _problem(HTTP_404_NOT_FOUND, msg("backup.no-community", slug=slug), "community")
    if wanted and not member.roles & wanted:
        needed = " or ".join(sorted(r.value for r in wanted))
        raise _problem(
            HTTP_403_FORBIDDEN,
            msg(
                "deps.needs-role",
                needed=needed,
                slug=slug,
                username=username,
                held=", ".join(sorted(r.value for r in member.roles)),
            ),
            "role",
        )
    if request.method not in sessions.SAFE_METHODS:
        require_json_body(request)
    return member


def require_csrf_header(request: Request, browser: sessions.BrowserSession) -> None:
    """A browser session's write carries the session's CSRF token in ``X-CSRF-Token`` and
    comes from this site; else 403 (rule ``csrf``)."""
    if not sessions.same_origin(request.scope):
        raise HTTPException(HTTP_403_FORBIDDEN, detail=[sessions.origin_refusal(request.scope)])
    if not sessions.token_ok(browser.csrf, request.headers.get(sessions.CSRF_HEADER)):
        raise _problem(
            HTTP_403_FORBIDDEN,
            msg("deps.write-with-session-cookie", csrf_header=sessions.CSRF_HEADER),
            "csrf",
        )


#: Media types a JSON route accepts.
JSON_TYPES = ("application/json",)


def _declared_types(request: Request) -> tuple[str, ...]:
    """The media types the route's body may have: those its OpenAPI ``requestBody`` names
    (routes reading their body themselves), else JSON."""
    route = request.scope.get("route")
    extra = getattr(route, "openapi_extra", None) or {}
    content = extra.get("requestBody", {}).get("content")
    if content:
        return tuple(content)
    # A route with form or file parameters (a document upload) declares its media type there.
    field = getattr(getattr(route, "body_field", None), "field_info", None)
    media = getattr(field, "media_type", None)
    return (str(media),) if media and media != "application/json" else JSON_TYPES


def require_json_body(request: Request) -> None:
    """A JSON route's body is ``application/json`` (or ``+json``): a body of another type, or
    of none named, is 415 (a form or ``text/plain`` post cannot reach a JSON route, so a
    cross-site "simple request" is refused whatever its cookies). Routes declaring another
    body type (the rules file as text) are not checked."""
    declared = _declared_types(request)
    if not any(t == "application/json" or t.endswith("+json") for t in declared):
        return
    length = request.headers.get("content-length")
    has_body = "transfer-encoding" in request.headers or (
        length is not None and length.strip() not in ("", "0")
    )
    if not has_body:
        return
    sent = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if sent == "application/json" or (sent.startswith("application/") and sent.endswith("+json")):
        return
    raise HTTPException(
        HTTP_415_UNSUPPORTED_MEDIA_TYPE,
        detail=[
            {
                "field": None,
                "rule": "content-type",
                "message": msg("deps.json-only", sent=sent or msg("deps.no-content-type")),
                "details": {"content_type": sent or None, "accepted": list(declared)},
            }
        ],
    )


def require_role(*roles: Role) -> Callable[..., Member]:
    """A dependency answering the caller as a ``Member`` of the path's ``{slug}`` holding one
    of ``roles`` (any role when none are given); 401, 404 or 403 otherwise."""
    wanted = frozenset(roles)

    def dependency(slug: str, request: Request, books: BooksDep, _bearer: BearerDoc) -> Member:
        return authorize(request, books, slug, wanted)

    dependency.__name__ = "require_" + ("_".join(sorted(r.value for r in wanted)) or "member")
    return dependency


AnyMemberDep = Annotated[Member, Depends(require_role())]


def entry_status(status: str) -> int:
    """The HTTP status of an answer carrying an entry: 201 posted, 202 waiting for approval."""
    return {"posted": 201, "pending": 202}.get(status, 200)
