"""``commons disclose SLUG PERIOD``: the disclosure statement of a closed period, to a file."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from api.cli_common import Ctx, pass_ctx, refusals


@click.command()
@click.argument("slug")
@click.argument("period")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "pdf", "md", "json"]),
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
@pass_ctx
def disclose(ctx: Ctx, slug: str, period: str, fmt: str, lang: str, out: Path) -> None:
    """The disclosure statement of a closed PERIOD (e.g. 2025Q1) as HTML, PDF, Markdown or JSON."""
    from audit import disclosure
    from audit import disclosure_render as render

    with refusals():
        statement = disclosure.statement(books=ctx.books, slug=slug, period=period)
    body = render.render(statement, fmt=fmt, lang=lang)
    if str(out) == "-":
        sys.stdout.buffer.write(body)
        return
    out.write_bytes(body)
    click.echo(
        f"{slug} {statement.period}: {fmt} ({lang}) written to {out}; "
        f"chain head #{statement.head_seq} {statement.head_hash[:12]}…",
        err=True,
    )


def register(main: click.Group) -> None:
    main.add_command(disclose)
