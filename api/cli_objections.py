"""``commons objections list|answer``: owners' objections (异议) to the published notices."""

from __future__ import annotations

import click

from api.cli_common import Ctx, dump, member_option, refusals, say, validated
from api.users import Role
from ledger.messages import msg


@click.group()
def objections() -> None:
    """Owners' objections to the published notices."""


@objections.command("list")
@click.argument("slug")
@click.option("--period", default=None, help="one period only, e.g. 2025Q1")
@click.pass_obj
def list_objections(ctx: Ctx, slug: str, period: str | None) -> None:
    """Every objection with its unit, contact (until erased), answer due and answer (JSON)."""
    from rules.objections import listing

    with refusals():
        out = listing(books=ctx.books, slug=slug, period=period)
    click.echo(dump([o.model_dump(mode="json") for o in out]))


@objections.command("answer")
@click.argument("slug")
@click.argument("objection_id", metavar="ID", type=click.IntRange(1, 2**31 - 1))
@click.option("--answer", "text", required=True, help="the committee's answer (public)")
@member_option(Role.APPROVER, Role.ADMIN)
@click.pass_obj
def answer_objection(ctx: Ctx, slug: str, objection_id: int, text: str, actor: str) -> None:
    """Answer an objection; the answer is shown on the notice."""
    from rules.objections import AnswerIn, answer

    body = validated(AnswerIn, {"answer": text}, "answer")
    with refusals():
        out = answer(books=ctx.books, slug=slug, objection_id=objection_id, body=body, actor=actor)
    click.echo(
        say(msg("cli_objections.objection-answered", id=out.id, answered_on=out.answered_on))
    )


def register(main: click.Group) -> None:
    main.add_command(objections)
