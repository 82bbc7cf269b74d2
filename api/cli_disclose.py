"""``commons disclose SLUG PERIOD``: the disclosure statement of a closed period, to a file.

By default the file is the stored notice (:mod:`audit.notices`): the very bytes the public pages
serve, drawn and stored first when nobody has asked for them yet. ``--fresh`` draws the
statement anew without storing it (and without the public pages' links)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from api.cli_common import Ctx, pass_ctx, refusals, say
from ledger.messages import msg


@click.command()
@click.argument("slug")
@click.argument("period")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "pdf", "md", "json", "text"]),
    default="html",
    show_default=True,
)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="the file to write ('-' for standard output)",
)
@click.option(
    "--fresh",
    is_flag=True,
    help="draw the statement anew instead of reading the stored notice (stores nothing)",
)
@pass_ctx
def disclose(ctx: Ctx, slug: str, period: str, fmt: str, lang: str, out: Path, fresh: bool) -> None:
    """The disclosure statement of a closed PERIOD (e.g. 2025Q1) as HTML, PDF, Markdown, JSON
    or a plain-text summary for a chat group."""
    import hashlib

    from audit import disclosure, notices
    from audit import disclosure_render as render

    with refusals():
        if fresh:
            statement = disclosure.statement(books=ctx.books, slug=slug, period=period)
            body = render.render(statement, fmt=fmt, lang=lang)
            what = msg("cli_disclose.drawn-anew", head_seq=statement.head_seq)
        else:
            found = notices.notice(
                books=ctx.books,
                slug=slug,
                period=period,
                fmt=fmt,
                lang=lang,
                site=ctx.settings.public_url,
            )
            body = found.body
            what = msg("cli_disclose.stored", head_seq=found.head_seq)
    if str(out) == "-":
        sys.stdout.buffer.write(body)
        return
    out.write_bytes(body)
    click.echo(
        say(
            msg(
                "cli_disclose.written-sha",
                slug=slug,
                period=period,
                fmt=fmt,
                lang=lang,
                out=out,
                what=what,
                hexdigest=hashlib.sha256(body).hexdigest(),
            )
        ),
        err=True,
    )


def register(main: click.Group) -> None:
    main.add_command(disclose)
