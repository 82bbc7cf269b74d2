"""``commons close SLUG PERIOD``: close a quarter (``2025Q1``) or a year's open quarters."""

from __future__ import annotations

import click

from api.cli_common import Ctx, member_option, refusals, say
from api.users import Role
from ledger.messages import msg


@click.command("close")
@click.argument("slug")
@click.argument("period")
@member_option(Role.APPROVER, credentials=True)
@click.pass_obj
def close_command(ctx: Ctx, slug: str, period: str, actor: str) -> None:
    """Close PERIOD (2025Q1, or 2025 for each of its open quarters): nothing dated in it can be
    posted or reversed afterwards. Refused while entries are pending or the reserve falls short.
    An approver's decision: needs their own API token ($COMMONS_TOKEN) or password
    (--password-stdin)."""
    from rules.periods import close

    with refusals():
        done = close(books=ctx.books, slug=slug, period=period, actor=actor)
    for item in done:
        c, r = item.close, item.reserve
        click.echo(
            say(
                msg(
                    "cli_periods.closed-at-seq-set",
                    slug=slug,
                    period=c.period,
                    start=c.start,
                    end=c.end,
                    head_seq=c.head_seq,
                    head_hash=c.head_hash,
                    set_aside=r.set_aside,
                    net_income=r.net_income,
                )
            )
        )


def register(main: click.Group) -> None:
    main.add_command(close_command)
