"""Users, memberships and API tokens: the service functions behind ``commons user`` and login.

Passwords are hashed with Argon2 (pwdlib's recommended hasher) and must pass the policy of
``api.passwords``. API tokens are 32 random bytes, shown once when created, stored only as their
SHA-256 (a token is already high-entropy, so a fast hash is enough and lets a lookup be one
indexed query), revocable, with a last-used time, and may be scoped to one community.

Every change is an audit event (in the membership's community where there is one). A password
change, disabling a user, removing one of their roles and revoking their tokens end the user's
browser sessions in the same transaction (``api.sessions``); disabling also revokes the tokens.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any, NamedTuple

from pwdlib import PasswordHash
from sqlalchemy import bindparam, select
from sqlmodel import Session, col

from api import passwords, sessions
from ledger import clock, events
from ledger.books import Books
from ledger.db import writer
from ledger.errors import NotFound, Problem, ValidationFailed
from ledger.messages import msg
from ledger.models import ApiToken, Community, Membership, User
from ledger.prepared import Statements

#: The prefix makes a leaked token recognisable (secret scanners, logs).
TOKEN_PREFIX = "cl_"
#: ``last_used_at`` is written at most this often per token, so reads do not queue for the
#: SQLite write lock on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class Role(StrEnum):
    """A member's role in one community (docs/service.md, "Who may do what")."""

    ADMIN = "admin"
    TREASURER = "treasurer"
    APPROVER = "approver"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"


ROLE_NAMES = frozenset(r.value for r in Role)

#: The audit trail's actor for the operator's own commands: ``operator:<OS user>``.
OPERATOR_PREFIX = "operator:"


def operator_actor() -> str:
    """Who changes users when no member does (``commons user``, scripts on the host): the
    operator, named by the OS user running the process. The operator's commands take no
    ``--as``: whoever can run them holds the database anyway, so the trail says which
    account did."""
    try:
        name = getpass.getuser()
    except OSError:  # no name for this uid (a bare container)
        name = f"uid-{os.getuid()}"
    return (OPERATOR_PREFIX + name)[:100]


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Added:
    username: str
    community: str
    role: Role
    token: str | None
    created_user: bool


def _user(session: Session, username: str) -> User | None:
    query = select(User).where(col(User.username) == username)
    return session.execute(query).scalars().first()


def add_member(
    *,
    books: Books,
    username: str,
    slug: str,
    role: Role,
    password: str | None = None,
    token: bool = True,
    actor: str | None = None,
) -> Added:
    """Create the user if new (setting the password if given), give them ``role`` in ``slug``
    and, unless ``token`` is False, a new API token (returned once, stored as a hash).
    Recorded as ``actor``, by default the operator (``operator_actor``)."""
    username = username.strip()
    if not username or len(username) > 100 or any(c.isspace() for c in username):
        raise ValidationFailed(
            [Problem(msg("users.username-characters-without-spaces"), field="username")]
        )
    if password is not None:
        passwords.check(password, username)
    plain: str | None = None
    with writer(books.engine) as session:
        community = books.community(session, slug)
        user = _user(session, username)
        created = user is None
        if user is None:
            user = User(username=username, created_at=clock.now())
        changed_password = password is not None and user.password_hash is not None
        if password is not None:
            user.password_hash = hash_password(password)
        session.add(user)
        session.flush()
        assert user.id is not None
        if changed_password:
            sessions.end_user_sessions(session, user.id, "password changed")
        held = session.execute(
            select(col(Membership.id))
            .where(col(Membership.user_id) == user.id)
            .where(col(Membership.community_id) == community.id)
            .where(col(Membership.role) == role.value)
        ).first()
        if held is None:
            session.add(Membership(user_id=user.id, community_id=community.id, role=role.value))
        if token:
            plain = new_token()
            session.add(
                ApiToken(
                    user_id=user.id,
                    token_hash=hash_token(plain),
                    label=f"{slug}/{role.value}",
                    created_at=clock.now(),
                )
            )
        events.record(
            session,
            community_id=community.id,
            actor=actor or operator_actor(),
            action="add-member",
            object_type="user",
            object_id=username,
            details={
                "role": role.value,
                "token": plain is not None,
                "password": "changed" if changed_password else password is not None,
            },
        )
    return Added(username, slug, role, plain, created)


def remove_member(
    *, books: Books, username: str, slug: str, role: Role, actor: str | None = None
) -> int:
    """Take ``role`` in ``slug`` away from ``username``; their browser sessions end at once
    and, when they hold no role left there, their tokens scoped to ``slug`` are revoked.
    Returns how many sessions ended. 404 for an unknown user or a role not held."""
    with writer(books.engine) as session:
        community = books.community(session, slug)
        user = _user(session, username)
        if user is None or user.id is None:
            raise NotFound(msg("users.no-user", username=username))
        held = (
            session.execute(
                select(Membership)
                .where(col(Membership.user_id) == user.id)
                .where(col(Membership.community_id) == community.id)
            )
            .scalars()
            .all()
        )
        target = [m for m in held if m.role == role.value]
        if not target:
            roles = ", ".join(sorted(m.role for m in held)) or "no role"
            raise NotFound(
                [
                    Problem(
                        msg(
                            "users.does-hold-role-holds",
                            username=username,
                            value=role.value,
                            slug=slug,
                            roles=roles,
                        ),
                        field="role",
                        rule="membership",
                        details={"held": sorted(m.role for m in held)},
                    )
                ]
            )
        session.delete(target[0])
        revoked = 0
        if len(held) == 1:  # no role left in this community: its scoped tokens go too
            revoked = _revoke(session, user.id, community_id=community.id)
        ended = sessions.end_user_sessions(session, user.id, "role removed")
        events.record(
            session,
            community_id=community.id,
            actor=actor or operator_actor(),
            action="remove-member",
            object_type="user",
            object_id=username,
            details={"role": role.value, "sessions_ended": ended, "tokens_revoked": revoked},
        )
    return ended


def _revoke(session: Session, user_id: int, *, community_id: str | None = None) -> int:
    """Revoke the user's live tokens (only those scoped to ``community_id`` when given)."""
    query = (
        select(ApiToken)
        .where(col(ApiToken.user_id) == user_id)
        .where(col(ApiToken.revoked_at).is_(None))
    )
    if community_id is not None:
        query = query.where(col(ApiToken.community_id) == community_id)
    rows = list(session.execute(query).scalars())
    now = clock.now()
    for row in rows:
        row.revoked_at = now
        session.add(row)
    return len(rows)


def _existing(session: Session, username: str) -> User:
    user = _user(session, username)
    if user is None or user.id is None:
        raise NotFound(
            [Problem(msg("users.no-user", username=username), field="username", rule="user")]
        )
    return user


def set_disabled(*, books: Books, username: str, disabled: bool, actor: str | None = None) -> int:
    """Disable (or enable again) a user. Disabling ends their browser sessions and revokes
    their tokens at once (enabling gives none back); returns how many sessions ended."""
    with writer(books.engine) as session:
        user = _existing(session, username)
        assert user.id is not None
        ended = revoked = 0
        if disabled:
            ended = sessions.end_user_sessions(session, user.id, "user disabled")
            revoked = _revoke(session, user.id)
        was = user.disabled
        user.disabled = disabled
        session.add(user)
        events.record(
            session,
            community_id=None,
            actor=actor or operator_actor(),
            action="disable-user" if disabled else "enable-user",
            object_type="user",
            object_id=username,
            details={"was_disabled": was, "sessions_ended": ended, "tokens_revoked": revoked},
        )
    return ended


def set_password(*, books: Books, username: str, password: str, actor: str | None = None) -> int:
    """Set a user's password (the policy of ``api.passwords``); their browser sessions end.
    Returns how many sessions ended."""
    passwords.check(password, username)
    hashed = hash_password(password)
    with writer(books.engine) as session:
        user = _existing(session, username)
        assert user.id is not None
        user.password_hash = hashed
        session.add(user)
        ended = sessions.end_user_sessions(session, user.id, "password changed")
        events.record(
            session,
            community_id=None,
            actor=actor or operator_actor(),
            action="set-password",
            object_type="user",
            object_id=username,
            details={"sessions_ended": ended},
        )
    return ended


@dataclass(frozen=True)
class UserRow:
    """One line of ``commons user list``."""

    username: str
    disabled: bool
    has_password: bool
    roles: tuple[tuple[str, str], ...]  # (community slug, role)
    tokens: int  # live (unrevoked) tokens
    sessions: int  # live browser sessions


def list_users(books: Books) -> list[UserRow]:
    """Every user with their roles, live tokens and live sessions, by username."""
    with Session(books.engine) as session:
        people = session.execute(select(User).order_by(col(User.username))).scalars().all()
        roles: dict[int, list[tuple[str, str]]] = {}
        for user_id, slug, role in session.execute(
            select(col(Membership.user_id), col(Community.slug), col(Membership.role))
            .join(Community, col(Community.id) == col(Membership.community_id))
            .order_by(col(Community.slug), col(Membership.role))
        ).all():
            roles.setdefault(user_id, []).append((slug, role))
        tokens: dict[int, int] = {}
        for user_id in session.execute(
            select(col(ApiToken.user_id)).where(col(ApiToken.revoked_at).is_(None))
        ).scalars():
            tokens[user_id] = tokens.get(user_id, 0) + 1
        out = []
        for user in people:
            assert user.id is not None
            out.append(
                UserRow(
                    username=user.username,
                    disabled=user.disabled,
                    has_password=bool(user.password_hash),
                    roles=tuple(roles.get(user.id, ())),
                    tokens=tokens.get(user.id, 0),
                    sessions=sessions.live_sessions(session, user.id),
                )
            )
    return out


def issue_token(
    *,
    books: Books,
    username: str,
    label: str = "",
    actor: str | None = None,
    slug: str | None = None,
) -> str:
    """A new API token for an existing user, returned once (recorded as ``actor``, by default
    the operator). With ``slug`` it works only in that community, where the user must hold a
    role (elsewhere it answers 404, as for a non-member)."""
    plain = new_token()
    with writer(books.engine) as session:
        user = _user(session, username)
        if user is None or user.id is None:
            raise NotFound(msg("users.no-user", username=username))
        community_id: str | None = None
        if slug is not None:
            community_id = books.community(session, slug).id
            member = session.execute(
                select(col(Membership.id))
                .where(col(Membership.user_id) == user.id)
                .where(col(Membership.community_id) == community_id)
            ).first()
            if member is None:
                raise NotFound(
                    [
                        Problem(
                            msg("users.holds-no-role-so", username=username, slug=slug),
                            field="community",
                            rule="membership",
                        )
                    ]
                )
        session.add(
            ApiToken(
                user_id=user.id,
                token_hash=hash_token(plain),
                label=label,
                created_at=clock.now(),
                community_id=community_id,
            )
        )
        events.record(
            session,
            community_id=community_id,
            actor=actor or operator_actor(),
            action="issue-token",
            object_type="user",
            object_id=username,
            details={"community": slug} if slug else None,
        )
    return plain


def revoke_tokens(
    *, books: Books, username: str, token: str | None = None, actor: str | None = None
) -> int:
    """Revoke one token of ``username`` (by its plain text) or, without ``token``, all of them;
    the user's browser sessions end too (whoever held the token may have logged in as well).
    Returns how many were revoked (recorded as ``actor``, by default the operator)."""
    with writer(books.engine) as session:
        user = _user(session, username)
        if user is None or user.id is None:
            raise NotFound(msg("users.no-user", username=username))
        query = (
            select(ApiToken)
            .where(col(ApiToken.user_id) == user.id)
            .where(col(ApiToken.revoked_at).is_(None))
        )
        if token is not None:
            query = query.where(col(ApiToken.token_hash) == hash_token(token))
        rows = list(session.execute(query).scalars())
        now = clock.now()
        for row in rows:
            row.revoked_at = now
            session.add(row)
        ended = sessions.end_user_sessions(session, user.id, "token revoked")
        events.record(
            session,
            community_id=None,
            actor=actor or operator_actor(),
            action="revoke-token",
            object_type="user",
            object_id=username,
            details={"count": len(rows), "sessions_ended": ended},
        )
    return len(rows)


def user_by_token(books: Books, token: str) -> tuple[str, str | None] | None:
    """The username an unrevoked token belongs to and the id of the community it is scoped to
    (None: every community of its user), updating its last-used time; None for a bad token.
    Every request asks this, so it is one indexed Core query on a plain connection."""
    with books.engine.connect() as connection:
        row = connection.execute(
            select(
                col(ApiToken.id),
                col(ApiToken.revoked_at),
                col(ApiToken.last_used_at),
                col(User.username),
                col(User.disabled),
                col(ApiToken.community_id),
            )
            .join(User, col(User.id) == col(ApiToken.user_id))
            .where(col(ApiToken.token_hash) == hash_token(token))
        ).first()
    if row is None:
        return None
    token_id, revoked_at, last, username, disabled, scope = row
    if revoked_at is not None or disabled:
        return None
    _touch(books, token_id, last)
    return str(username), scope


def _member_query() -> Any:
    """Built once: token, user, the community of ``:slug`` and the user's roles there."""
    table = Community.__table__  # type: ignore[attr-defined]
    return (
        select(
            col(ApiToken.id).label("token_id"),
            col(ApiToken.revoked_at),
            col(ApiToken.last_used_at),
            col(User.username),
            col(User.disabled),
            col(ApiToken.community_id).label("token_community_id"),
            col(Membership.role),
            table.c.id.label("community_id"),
            table.c.slug.label("community_slug"),
        )
        .join(User, col(User.id) == col(ApiToken.user_id))
        .outerjoin(table, table.c.slug == bindparam("slug"))
        .outerjoin(
            Membership,
            (col(Membership.user_id) == col(User.id))
            & (col(Membership.community_id) == table.c.id),
        )
        .where(col(ApiToken.token_hash) == bindparam("token_hash"))
    )


#: Asked on every bearer request, so run on the driver's cursor (``ledger.prepared``).
SQL = Statements(member=_member_query)


def member_by_token(
    books: Books, token: str, slug: str
) -> tuple[str, tuple[CommunityRef, frozenset[Role]] | None] | None:
    """For a bearer request on ``/communities/{slug}``: the token's username and, if they are
    a member there (and the token is not scoped to another community), the community and
    their roles, in one query; None for a bad token."""
    with books.engine.connect() as connection:
        rows = SQL("member", connection.dialect).rows(
            connection, {"slug": slug, "token_hash": hash_token(token)}
        )
    if not rows:
        return None
    first = rows[0]
    if first["revoked_at"] is not None or first["disabled"]:
        return None
    _touch(books, first["token_id"], first["last_used_at"])
    scope = first["token_community_id"]
    if first["community_id"] is None or (scope is not None and scope != first["community_id"]):
        return str(first["username"]), None
    return str(first["username"]), _membership(rows, "community_")


class CommunityRef(NamedTuple):
    """Which community a membership is in: all a request needs of it (building the full
    ``Community`` row object cost a bearer request a sixth of its authentication)."""

    id: str
    slug: str


def _membership(
    rows: Sequence[Mapping[str, Any]], prefix: str = ""
) -> tuple[CommunityRef, frozenset[Role]] | None:
    """The community (its ``id`` and ``slug`` columns named with ``prefix``) and the roles
    held, from rows of a community joined to memberships; None when no role is held."""
    held = frozenset(Role(row["role"]) for row in rows if row["role"] in ROLE_NAMES)
    if not held:
        return None
    return CommunityRef(rows[0][prefix + "id"], rows[0][prefix + "slug"]), held


def _touch(books: Books, token_id: int | None, last: datetime | None) -> None:
    """Record a token's last use, at most once per ``LAST_USED_RESOLUTION``."""
    now = clock.now()
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=now.tzinfo)
    if last is None or now - last >= LAST_USED_RESOLUTION:
        with writer(books.engine) as session:
            fresh = session.get(ApiToken, token_id)
            if fresh is not None:
                fresh.last_used_at = now
                session.add(fresh)


def is_active(books: Books, username: str) -> bool:
    """The user exists and is not disabled (a browser session is checked on every request)."""
    with Session(books.engine) as session:
        user = _user(session, username)
    return user is not None and not user.disabled


def user_by_password(books: Books, username: str, password: str) -> str | None:
    """The username if the password is right, else None (same answer for an unknown user)."""
    with Session(books.engine) as session:
        user = _user(session, username)
    if user is None or user.disabled or not user.password_hash:
        _hasher().hash(password)  # spend the same time whether or not the user exists
        return None
    valid, updated = _hasher().verify_and_update(password, user.password_hash)
    if not valid:
        return None
    if updated is not None:
        with writer(books.engine) as session:
            fresh = session.get(User, user.id)
            if fresh is not None:
                fresh.password_hash = updated
                session.add(fresh)
    return user.username


def roles_in(books: Books, username: str, slug: str) -> tuple[CommunityRef, frozenset[Role]] | None:
    """The community and the user's roles there; None if either is unknown or no roles.
    Asked on every request: one Core query (the community's row, joined to the roles)."""
    with books.engine.connect() as connection:
        rows = connection.execute(
            select(col(Community.id), col(Community.slug), col(Membership.role))
            .outerjoin(
                Membership,
                (col(Membership.community_id) == col(Community.id))
                & col(Membership.user_id).in_(
                    select(col(User.id))
                    .where(col(User.username) == username)
                    .where(col(User.disabled).is_(False))
                    .scalar_subquery()
                ),
            )
            .where(col(Community.slug) == slug)
        ).all()
    return _membership([dict(row._mapping) for row in rows])


@dataclass(frozen=True)
class Standing:
    """Who ``username`` is in ``slug``, for the command line to say why someone may not act
    there: whether the community and the user exist, whether the user is disabled, and the
    roles they hold there (also when disabled, so a refusal can name them)."""

    username: str
    slug: str
    community_id: str | None
    user_exists: bool
    disabled: bool
    roles: frozenset[Role]


def standing(books: Books, username: str, slug: str) -> Standing:
    """``username``'s standing in ``slug`` (see ``Standing``); no lookup fails."""
    with Session(books.engine) as session:
        community_id = session.execute(
            select(col(Community.id)).where(col(Community.slug) == slug)
        ).scalar()
        user = _user(session, username)
        roles: frozenset[Role] = frozenset()
        if community_id is not None and user is not None:
            held = session.execute(
                select(col(Membership.role))
                .where(col(Membership.user_id) == user.id)
                .where(col(Membership.community_id) == community_id)
            ).scalars()
            roles = frozenset(Role(r) for r in held if r in ROLE_NAMES)
    return Standing(
        username=username,
        slug=slug,
        community_id=community_id,
        user_exists=user is not None,
        disabled=bool(user is not None and user.disabled),
        roles=roles,
    )


def communities_of(books: Books, username: str) -> list[tuple[str, frozenset[Role]]]:
    """Every community the user belongs to, with the roles held there (for the home page)."""
    with Session(books.engine) as session:
        rows = session.execute(
            select(col(Community.slug), col(Membership.role))
            .join(Membership, col(Membership.community_id) == col(Community.id))
            .join(User, col(User.id) == col(Membership.user_id))
            .where(col(User.username) == username)
            .where(col(User.disabled).is_(False))
            .order_by(col(Community.slug))
        ).all()
    out: dict[str, set[Role]] = {}
    for slug, role in rows:
        if role in ROLE_NAMES:
            out.setdefault(slug, set()).add(Role(role))
    return [(slug, frozenset(roles)) for slug, roles in out.items()]
