"""What every ``commons`` command shares: the context (settings and books), the reader's
language (``--lang``, else ``LANG``; Chinese by default), printing a refusal,
who may act (``member_option``: ``--as`` names a member holding the command's role, with their
own credentials for four-eyes decisions; ``operator`` for the operator's own commands) and JSON
output. The command modules import this, never each other."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http import HTTPStatus
from pathlib import Path
from typing import Any, NoReturn, TypeVar, cast

import click
from pydantic import BaseModel, ValidationError

from api import users
from api.books import open_books
from api.settings import Settings
from api.users import Role
from ledger.books import Books
from ledger.errors import LedgerError
from ledger.messages import DEFAULT_LANG, Lang, Msg, msg, parse_lang, validation_text

F = TypeVar("F", bound=Callable[..., Any])


class Ctx:
    def __init__(self, data: str | None, db: str | None, lang: Lang | None = None) -> None:
        self.lang = lang
        overrides: dict[str, Any] = {}
        if data:
            overrides["data"] = Path(data)
        if db:
            overrides["db"] = db
        self.settings = Settings(**overrides)
        self._books: Books | None = None

    @property
    def books(self) -> Books:
        if self._books is None:
            self._books = open_books(self.settings)
        return self._books


pass_ctx = click.make_pass_decorator(Ctx)


def reader() -> Lang:
    """The language the command prints in: ``--lang``, else the first of ``LC_ALL``,
    ``LC_MESSAGES`` and ``LANG`` that names Chinese or English (``C``/``POSIX`` name neither),
    else the community default, Chinese."""
    context = click.get_current_context(silent=True)
    chosen = context.find_object(Ctx) if context is not None else None
    if chosen is not None and chosen.lang is not None:
        return chosen.lang
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        found = parse_lang(os.environ.get(name))
        if found is not None:
            return found
    return DEFAULT_LANG


def say(text: Msg) -> str:
    """A catalogue message in the command's language."""
    return text.render(reader())


def invalid(error: Any, where: str | None) -> str:
    """A pydantic error, as the API's 422 words it, in the command's language."""
    return say(validation_text(error, where or None))


#: The reason phrase of each status a refusal carries (``ledger.errors`` and its subclasses),
#: in the reader's language; tests/test_messages.py checks every status a refusal declares
#: has one.
PHRASES: dict[HTTPStatus, str] = {
    HTTPStatus.BAD_REQUEST: "http.bad-request",
    HTTPStatus.FORBIDDEN: "http.forbidden",
    HTTPStatus.NOT_FOUND: "http.not-found",
    HTTPStatus.CONFLICT: "http.conflict",
    HTTPStatus.UNPROCESSABLE_ENTITY: "http.unprocessable-entity",
    HTTPStatus.TOO_MANY_REQUESTS: "http.too-many-requests",
}


def phrase(status: HTTPStatus) -> Msg:
    """``Conflict`` (冲突): a status's reason phrase in the reader's language; a status
    without an entry keeps the English phrase."""
    key = PHRASES.get(status)
    return msg(key) if key is not None else msg("common.text", text=status.phrase)


@contextmanager
def refusals() -> Iterator[None]:
    """Print a refusal's problems (not a traceback) and exit 1."""
    try:
        yield
    except LedgerError as exc:
        click.echo(
            say(msg("cli_common.refused", status=exc.status.value, phrase=phrase(exc.status))),
            err=True,
        )
        for problem in exc.problems:
            where = f"[{problem.field}] " if problem.field else ""
            rule = f"({problem.rule}) " if problem.rule else ""
            click.echo(f"  - {where}{rule}{say(problem.text)}", err=True)
        sys.exit(1)


#: The operator's own commands (``commons user``, ``commons init``) take no ``--as`` and are
#: recorded as ``operator:<OS user>``.
operator = users.operator_actor


def refuse(message: Msg) -> NoReturn:
    """A refusal before anything is written (who may act, credentials): exit 2."""
    click.echo(say(msg("cli_common.refused-nothing-was-written", message=message)), err=True)
    sys.exit(2)


def read_secret(what: str) -> str:
    """A password from standard input (``--password-stdin``): prompted without echo on a
    terminal, else the first line of what is piped in. Never from argv (shell history, ps)."""
    if sys.stdin.isatty():
        return str(click.prompt(what, hide_input=True, err=True))
    return sys.stdin.readline().rstrip("\r\n")


def _command_name() -> str:
    path = click.get_current_context().command_path.split(" ", 1)
    return "commons " + (path[1] if len(path) > 1 else path[0])


def _roles_text(roles: frozenset[Role]) -> str:
    return " or ".join(sorted(r.value for r in roles))


def check_member(
    books: Books,
    *,
    actor: str | None,
    slug: str,
    roles: frozenset[Role],
    credentials: bool = False,
    password_stdin: bool = False,
) -> str:
    """``actor`` if they are an active member of ``slug`` holding one of ``roles`` and, with
    ``credentials``, proved it with their own API token (``$COMMONS_TOKEN``) or password
    (``password_stdin``); otherwise print why and exit 2, before anything is written."""
    command, needed = _command_name(), _roles_text(roles)
    if not actor:
        refuse(msg("cli_common.acts-as-member-holding", command=command, slug=slug, needed=needed))
    who = users.standing(books, actor, slug)
    if who.community_id is None:
        refuse(msg("backup.no-community", slug=slug))
    if not who.user_exists:
        refuse(
            msg(
                "cli_common.user-so-member-needs",
                actor=actor,
                slug=slug,
                command=command,
                needed=needed,
            )
        )
    if who.disabled:
        refuse(msg("cli_common.disabled-so-cannot-act", actor=actor, slug=slug))
    if not who.roles & roles:
        held = ", ".join(sorted(r.value for r in who.roles)) or "no role"
        refuse(
            msg(
                "cli_common.needs-role-holds-there",
                command=command,
                needed=needed,
                slug=slug,
                actor=actor,
                held=held,
            )
        )
    if credentials:
        _check_credentials(books, actor=actor, slug=slug, password_stdin=password_stdin)
    return actor


def _check_credentials(books: Books, *, actor: str, slug: str, password_stdin: bool) -> None:
    """Four eyes: the second pair must be the member's own, not whoever types ``--as``."""
    command = _command_name()
    if password_stdin:
        password = read_secret(f"password of {actor}")
        if users.user_by_password(books, actor, password) != actor:
            refuse(msg("cli_common.wrong-password-for-has", actor=actor))
        return
    token = os.environ.get("COMMONS_TOKEN", "").strip()
    if not token:
        refuse(msg("cli_common.records-s-own-decision", command=command, actor=actor))
    found = users.member_by_token(books, token, slug)
    if found is None:
        refuse(msg("cli_common.api-token-commons-token"))
    owner, membership = found
    if owner != actor:
        refuse(msg("cli_common.api-token-commons-token-2", owner=owner, actor=actor))
    if membership is None:  # ``check_member`` found the member: the token is scoped elsewhere
        refuse(msg("cli_common.api-token-commons-token-3", slug=slug))


def member_option(*roles: Role, credentials: bool = False) -> Callable[[F], F]:
    """``--as USER`` (or ``$COMMONS_ACTOR``) for a command that writes as a member of its
    ``slug`` argument: the user must be an active member there holding one of ``roles``, else
    the command exits 2 before writing anything (``check_member``). The command receives the
    checked username as ``actor``. With ``credentials`` (approve, reject, close: four eyes) the
    member must also prove who they are: ``$COMMONS_TOKEN`` or ``--password-stdin``.

    Put it between the arguments and ``pass_ctx``::

        @click.command("set")
        @click.argument("slug")
        @member_option(Role.ADMIN)
        @pass_ctx
        def set_rules(ctx: Ctx, slug: str, actor: str) -> None: ...
    """
    wanted = frozenset(roles)
    needed = _roles_text(wanted)

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def checked(*args: Any, **kwargs: Any) -> Any:
            obj = click.get_current_context().find_object(Ctx)
            assert obj is not None
            kwargs["actor"] = check_member(
                obj.books,
                actor=kwargs["actor"],
                slug=kwargs["slug"],
                roles=wanted,
                credentials=credentials,
                password_stdin=kwargs.pop("password_stdin", False),
            )
            return func(*args, **kwargs)

        wrapped: Any = checked
        if credentials:
            wrapped = click.option(
                "--password-stdin",
                "password_stdin",
                is_flag=True,
                help="read the member's password from standard input "
                "(else their API token in $COMMONS_TOKEN)",
            )(wrapped)
        wrapped = click.option(
            "--as",
            "actor",
            envvar="COMMONS_ACTOR",
            default=None,
            metavar="USER",
            help=f"the member acting (role {needed} in SLUG), for the audit trail "
            "[required; or $COMMONS_ACTOR]",
        )(wrapped)
        return cast(F, wrapped)

    return decorate


def dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, default=str)


M = TypeVar("M", bound=BaseModel)


def validated(model: type[M], data: object, what: str = "") -> M:
    """``data`` (a dict, or JSON bytes) as ``model``; otherwise every problem printed, as the
    API's 422 would list them, and exit 1."""
    try:
        if isinstance(data, bytes | str):
            return model.model_validate_json(data)
        return model.model_validate(data)
    except ValidationError as exc:
        click.echo(
            say(msg("cli_common.refused-what", what=what) if what else msg("cli.refused")), err=True
        )
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"])
            click.echo(f"  - {invalid(error, where)}", err=True)
        sys.exit(1)
