"""Dependencies for the routes: the books, who is asking, and what they may do.

A request is authenticated by ``Authorization: Bearer <token>`` (programs) or by the signed
session cookie set at ``/login`` (browsers). Then, for the path's ``{slug}``:

- no credentials, or a bad or revoked token             → 401
- unknown community, or one the user is no member of    → 404 (the same answer, so a member of
  one community cannot even learn which other communities exist on this server)
- a member without one of the roles the route asks for  → 403

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
from starlette.status import HTTP_401_UNAUTHORIZED, HTTP_403_FORBIDDEN, HTTP_404_NOT_FOUND

from api import users
from api.users import Role
from ledger.books import Books

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

#: The session key holding the logged-in username (see ``api.routes_pages``).
SESSION_USER = "user"


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


def _problem(status: int, message: str, rule: str) -> HTTPException:
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
        raise _problem(HTTP_401_UNAUTHORIZED, "use 'Authorization: Bearer <token>'", "auth")
    return token


def current_username(request: Request, books: Books) -> str | None:
    """Who is asking: the bearer token's user, else the session's user, else None.
    A bearer header that does not name a valid token is an error (401), not anonymous."""
    token = _bearer_token(request)
    if token is not None:
        username = users.user_by_token(books, token)
        if username is None:
            raise _problem(HTTP_401_UNAUTHORIZED, "the token is unknown or revoked", "auth")
        return username
    if "session" in request.scope:
        value = request.session.get(SESSION_USER)
        if isinstance(value, str) and value and users.is_active(books, value):
            return value
    return None


def member_of(request: Request, books: Books, slug: str, username: str) -> Member | None:
    """``username`` as a member of ``slug``, or None if not a member (or no such community)."""
    return _member(request, users.roles_in(books, username, slug), username)


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
            raise _problem(HTTP_401_UNAUTHORIZED, "the token is unknown or revoked", "auth")
        username, membership = found
        member = _member(request, membership, username)
    else:
        session_user = current_username(request, books)
        if session_user is None:
            raise _problem(HTTP_401_UNAUTHORIZED, "log in or send an API token", "auth")
        username = session_user
        member = member_of(request, books, slug, username)
    if member is None:
        raise _problem(HTTP_404_NOT_FOUND, f"no community {slug!r}", "community")
    if wanted and not member.roles & wanted:
        needed = " or ".join(sorted(r.value for r in wanted))
        raise _problem(
            HTTP_403_FORBIDDEN,
            f"this needs the role {needed} in {slug}; {username} holds "
            + ", ".join(sorted(r.value for r in member.roles)),
            "role",
        )
    return member


def require_role(*roles: Role) -> Callable[..., Member]:
    """A dependency answering the caller as a ``Member`` of the path's ``{slug}`` holding one
    of ``roles`` (any role when none are given); 401, 404 or 403 otherwise."""
    wanted = frozenset(roles)

    def dependency(slug: str, request: Request, books: BooksDep, _bearer: BearerDoc) -> Member:
        return authorize(request, books, slug, wanted)

    dependency.__name__ = "require_" + ("_".join(sorted(r.value for r in wanted)) or "member")
    return dependency


AnyMemberDep = Annotated[Member, Depends(require_role())]
