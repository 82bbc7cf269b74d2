"""``commons user``: members, roles, passwords and API tokens. The operator's bootstrap: no
``--as``; each change is recorded in the audit trail as ``operator:<OS user>``."""

from __future__ import annotations

import sys

import click

from api.cli_common import Ctx, operator, pass_ctx, read_secret, refusals
from api.users import Role, add_member, issue_token, revoke_tokens


@click.group()
def user() -> None:
    """Members of a community, their roles and their API tokens."""


@user.command("add")
@click.argument("username")
@click.option("--community", "slug", required=True, help="the community's slug")
@click.option(
    "--role", required=True, type=click.Choice([r.value for r in Role]), help="the role there"
)
@click.option(
    "--password-stdin",
    "password_stdin",
    is_flag=True,
    help="read a password for the browser login (at least 8 characters) from standard input",
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
    """Add USERNAME to a community with a role; prints a new API token once."""
    if password_stdin and password is not None:
        click.echo("refused: give the password once: --password-stdin or --password", err=True)
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
    what = "created user" if added.created_user else "user"
    click.echo(f"{what} {username}: {role} in {slug}")
    if added.token:
        click.echo("API token (shown once; store it now):")
        click.echo(added.token)


@user.command("token")
@click.argument("username")
@click.option("--label", default="", help="a note to tell tokens apart")
@pass_ctx
def token(ctx: Ctx, username: str, label: str) -> None:
    """Issue another API token for USERNAME; prints it once."""
    with refusals():
        plain = issue_token(books=ctx.books, username=username, label=label, actor=operator())
    click.echo(plain)


@user.command("revoke-token")
@click.argument("username")
@click.option("--token", "plain", default=None, help="the token to revoke (default: all of them)")
@pass_ctx
def revoke(ctx: Ctx, username: str, plain: str | None) -> None:
    """Revoke one API token of USERNAME, or all of them."""
    with refusals():
        count = revoke_tokens(books=ctx.books, username=username, token=plain, actor=operator())
    click.echo(f"revoked {count} token(s) of {username}")


def register(main: click.Group) -> None:
    main.add_command(user)
