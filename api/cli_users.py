"""``commons user``: members, roles, passwords and API tokens, in one place. The operator's
bootstrap: no ``--as``; each change is recorded in the audit trail as ``operator:<OS user>``
(in the community of the membership where there is one).

Passwords never come from the command line's arguments: ``--password-stdin`` reads one line from
standard input, or a prompt asks for it on a terminal. (``user add --password`` still exists for
old scripts; it is discouraged: it stays in the shell history and the process list.)"""

from __future__ import annotations

import sys

import click

from api.cli_common import Ctx, dump, operator, pass_ctx, read_secret, refusals, say
from api.passwords import MIN_LENGTH
from api.users import (
    Role,
    add_member,
    issue_token,
    list_users,
    remove_member,
    revoke_tokens,
    set_disabled,
    set_password,
)
from ledger.messages import msg

ROLE_CHOICE = click.Choice([r.value for r in Role])


@click.group()
def user() -> None:
    """Members of a community, their roles, passwords and API tokens."""


@user.command("add")
@click.argument("username")
@click.option("--community", "slug", required=True, help="the community's slug")
@click.option("--role", required=True, type=ROLE_CHOICE, help="the role there")
@click.option(
    "--password-stdin",
    "password_stdin",
    is_flag=True,
    help=f"read a password for the browser login (at least {MIN_LENGTH} characters, not a "
    "common one) from standard input, or a prompt on a terminal",
)
@click.option(
    "--password",
    default=None,
    help="discouraged (it stays in the shell history and the process list): use --password-stdin",
)
@click.option("--no-token", is_flag=True, help="do not create an API token")
@pass_ctx
def add(
    ctx: Ctx,
    username: str,
    slug: str,
    role: str,
    password_stdin: bool,
    password: str | None,
    no_token: bool,
) -> None:
    """Give USERNAME a role in a community (creating the user if new); prints a new API token
    once. Setting the password of an existing user ends their browser sessions."""
    if password_stdin and password is not None:
        click.echo(say(msg("cli_users.refused-give-password-once")), err=True)
        sys.exit(2)
    if password_stdin:
        password = read_secret(f"password of {username}")
    with refusals():
        added = add_member(
            books=ctx.books,
            username=username,
            slug=slug,
            role=Role(role),
            password=password,
            token=not no_token,
            actor=operator(),
        )
    what = msg("cli_users.created-user" if added.created_user else "cli_users.user")
    click.echo(say(msg("cli_users.message", what=what, username=username, role=role, slug=slug)))
    if added.token:
        click.echo(say(msg("cli_users.api-token-shown-once")))
        click.echo(added.token)


@user.command("remove")
@click.argument("username")
@click.option("--community", "slug", required=True, help="the community's slug")
@click.option("--role", required=True, type=ROLE_CHOICE, help="the role to take away")
@pass_ctx
def remove(ctx: Ctx, username: str, slug: str, role: str) -> None:
    """Take a role in a community away from USERNAME; their browser sessions end at once (and
    their tokens scoped to the community, when no role is left there)."""
    with refusals():
        ended = remove_member(
            books=ctx.books, username=username, slug=slug, role=Role(role), actor=operator()
        )
    click.echo(
        say(
            msg(
                "cli_users.no-longer-holds-browser",
                username=username,
                role=role,
                slug=slug,
                ended=ended,
            )
        )
    )


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@pass_ctx
def list_(ctx: Ctx, as_json: bool) -> None:
    """Every user: roles per community, disabled or not, live tokens and browser sessions."""
    rows = list_users(ctx.books)
    if as_json:
        click.echo(
            dump(
                [
                    {
                        "username": r.username,
                        "disabled": r.disabled,
                        "password": r.has_password,
                        "roles": [{"community": c, "role": role} for c, role in r.roles],
                        "tokens": r.tokens,
                        "sessions": r.sessions,
                    }
                    for r in rows
                ]
            )
        )
        return
    for r in rows:
        roles = ", ".join(f"{role}@{c}" for c, role in r.roles) or "no role"
        state = "DISABLED" if r.disabled else "active"
        password = "password" if r.has_password else "no password"
        click.echo(
            say(
                msg(
                    "cli_users.tokens-sessions",
                    username=r.username,
                    state=state,
                    password=password,
                    tokens=r.tokens,
                    sessions=r.sessions,
                    roles=roles,
                )
            )
        )


@user.command("disable")
@click.argument("username")
@pass_ctx
def disable(ctx: Ctx, username: str) -> None:
    """Lock USERNAME out: their browser sessions end and their API tokens are revoked."""
    with refusals():
        ended = set_disabled(books=ctx.books, username=username, disabled=True, actor=operator())
    click.echo(say(msg("cli_users.disabled-browser-session-s", username=username, ended=ended)))


@user.command("enable")
@click.argument("username")
@pass_ctx
def enable(ctx: Ctx, username: str) -> None:
    """Let USERNAME log in again (tokens revoked when disabled stay revoked)."""
    with refusals():
        set_disabled(books=ctx.books, username=username, disabled=False, actor=operator())
    click.echo(say(msg("cli_users.enabled", username=username)))


@user.command("passwd")
@click.argument("username")
@click.option(
    "--password-stdin",
    "password_stdin",
    is_flag=True,
    help="read the new password from standard input (the default when it is not a terminal)",
)
@pass_ctx
def passwd(ctx: Ctx, username: str, password_stdin: bool) -> None:
    """Set USERNAME's password (asked for at a prompt, or read from standard input); their
    browser sessions end."""
    if sys.stdin.isatty() and not password_stdin:
        password = str(
            click.prompt(
                f"new password of {username}",
                hide_input=True,
                confirmation_prompt=True,
                err=True,
            )
        )
    else:
        password = read_secret(f"new password of {username}")
    with refusals():
        ended = set_password(
            books=ctx.books, username=username, password=password, actor=operator()
        )
    click.echo(say(msg("cli_users.password-set-browser-session", username=username, ended=ended)))


@user.command("token")
@click.argument("username")
@click.option("--label", default="", help="a note to tell tokens apart")
@click.option(
    "--community",
    "slug",
    default=None,
    help="scope the token to this community (elsewhere it answers 404)",
)
@pass_ctx
def token(ctx: Ctx, username: str, label: str, slug: str | None) -> None:
    """Issue another API token for USERNAME; prints it once."""
    with refusals():
        plain = issue_token(
            books=ctx.books, username=username, label=label, actor=operator(), slug=slug
        )
    click.echo(plain)


@user.command("revoke-token")
@click.argument("username")
@click.option("--token", "plain", default=None, help="the token to revoke (default: all of them)")
@pass_ctx
def revoke(ctx: Ctx, username: str, plain: str | None) -> None:
    """Revoke one API token of USERNAME, or all of them; their browser sessions end too."""
    with refusals():
        count = revoke_tokens(books=ctx.books, username=username, token=plain, actor=operator())
    click.echo(say(msg("cli_users.revoked-token-s", count=count, username=username)))


def register(main: click.Group) -> None:
    main.add_command(user)
