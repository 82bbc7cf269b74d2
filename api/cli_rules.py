"""``commons units import``, ``commons resolutions add|show``, ``commons allocate`` and
``commons rules set|show``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from api.cli_common import Ctx, dump, member_option, reader, refusals, say, validated
from api.users import Role
from ledger.messages import msg


@click.group()
def units() -> None:
    """The unit register (unit, owner id, area m², developer-unsold flag)."""


@units.command("import")
@click.argument("slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@member_option(Role.ADMIN)
@click.pass_obj
def import_units(ctx: Ctx, slug: str, file: Path, actor: str) -> None:
    """Add the units of a CSV (header unit,owner,area,developer_unsold), all or none."""
    from rules.units import import_units as store
    from rules.units import parse_csv

    with refusals():
        rows = parse_csv(file.read_bytes(), name=file.name)
        summary = store(books=ctx.books, slug=slug, units=rows, actor=actor, source=file.name)
    click.echo(
        say(
            msg(
                "cli_rules.imported-units-into-register",
                added=summary.added,
                slug=slug,
                units=summary.units,
                total_area=summary.total_area,
            )
        )
    )


@click.group()
def resolutions() -> None:
    """Owners' resolutions (民法典 art. 278)."""


@resolutions.command("add")
@click.argument("slug")
@click.option("--file", "file", required=True, type=click.Path(exists=True, path_type=Path))
@member_option(Role.ADMIN, Role.APPROVER)
@click.pass_obj
def add_resolution(ctx: Ctx, slug: str, file: Path, actor: str) -> None:
    """Enter a resolution from a JSON file (with its ballots); prints whether it passed."""
    from rules.resolution_register import ResolutionIn, create

    body = validated(ResolutionIn, file.read_bytes(), f"{file.name} is not a valid resolution")
    with refusals():
        out = create(books=ctx.books, slug=slug, body=body, actor=actor, lang=reader())
    click.echo(
        say(msg("cli_rules.passed" if out.passed else "cli_rules.not-passed", number=out.number))
    )
    click.echo(out.arithmetic)


@resolutions.command("show")
@click.argument("slug")
@click.argument("number")
@click.pass_obj
def show_resolution(ctx: Ctx, slug: str, number: str) -> None:
    """A resolution with its figures (JSON, without the ballots)."""
    from rules.resolution_register import get

    with refusals():
        out = get(books=ctx.books, slug=slug, number=number, lang=reader())
    click.echo(dump(out.model_dump(mode="json", exclude={"ballots"})))


@click.command("allocate")
@click.argument("slug")
@click.argument("resolution")
@click.option("--date", "day", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--kind", type=click.Choice(["dividend", "subsidy"]), default="dividend")
@click.option("--total", help="the amount to split (total mode only), e.g. 20000.00")
@click.option("--key", "key", help="an idempotency key")
@click.option(
    "--again",
    is_flag=True,
    help="allocate again under a resolution already allocated on this date or beyond its budget",
)
@click.option("--reason", help="why (required with --again)")
@member_option(Role.TREASURER)
@click.pass_obj
def allocate(
    ctx: Ctx,
    slug: str,
    resolution: str,
    day: datetime,
    kind: str,
    total: str | None,
    key: str | None,
    again: bool,
    reason: str | None,
    actor: str,
) -> None:
    """Create the dividend or subsidy RESOLUTION allows, with its per-unit schedule."""
    from rules.allocate import AllocationIn
    from rules.allocate import allocate as run

    body = validated(
        AllocationIn,
        {
            "date": day.date(),
            "kind": kind,
            "total": total,
            "idempotency_key": key,
            "again": again,
            "reason": reason,
        },
    )
    with refusals():
        out, _ = run(books=ctx.books, slug=slug, number=resolution, body=body, actor=actor)
    entry = out.entry
    click.echo(
        say(
            msg(
                "cli_rules.cny-over-units-resolution",
                kind=entry.kind,
                id=entry.id,
                status=entry.status,
                total=out.total,
                schedule=len(out.schedule),
                resolution=out.resolution,
            )
        )
    )
    for line in out.schedule[:5]:
        click.echo(say(msg("cli_rules.m", unit=line.unit, area=line.area, amount=line.amount)))
    if len(out.schedule) > 5:
        click.echo(say(msg("cli_rules.more", count=len(out.schedule) - 5)))


@click.group("rules")
def rules_group() -> None:
    """The community's rules file, kept in the database (rules.toml is written from it and
    never read back: edit a copy, then set it)."""


@rules_group.command("set")
@click.argument("slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@member_option(Role.ADMIN)
@click.pass_obj
def set_rules_command(ctx: Ctx, slug: str, file: Path, actor: str) -> None:
    """Make FILE (TOML: [[version]]s with effective_from) the rules in force from the next
    post on. Refused: a broken file (the version and the key are named) and a change of the
    rules in force on any day of a closed period."""
    from ledger.errors import ValidationFailed
    from rules.rules_store import set_rules

    with refusals():
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationFailed(msg("units.utf-text", name=file.name, exc=exc)) from None
        out, changed = set_rules(books=ctx.books, slug=slug, text=text, actor=actor)
    if not changed:
        click.echo(
            say(
                msg(
                    "cli_rules.rules-unchanged-sha-force",
                    slug=slug,
                    number=out.number,
                    sha256=out.sha256,
                )
            )
        )
        return
    click.echo(
        say(
            msg(
                "cli_rules.rules-force-sha-set",
                slug=slug,
                number=out.number,
                sha256=out.sha256,
                set_by=out.set_by,
                isoformat=out.set_at.isoformat(timespec="seconds"),
            )
        )
    )


@rules_group.command("show")
@click.argument("slug")
@click.pass_obj
def show_rules(ctx: Ctx, slug: str) -> None:
    """Print the rules in force (the text as set; which setting, by whom and when on stderr)."""
    from rules.rules_store import in_force

    with refusals():
        out = in_force(books=ctx.books, slug=slug)
    click.echo(
        say(
            msg(
                "cli_rules.rules-sha-set-by",
                slug=slug,
                number=out.number,
                sha256=out.sha256,
                set_by=out.set_by,
                isoformat=out.set_at.isoformat(timespec="seconds"),
            )
        ),
        err=True,
    )
    click.echo(out.text, nl=False)


@click.command("payout")
@click.argument("slug")
@click.argument("resolution")
@click.option("--date", "day", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option(
    "--units",
    "units_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="a file of unit codes, one a line [default: every unit still owed]",
)
@click.option("--method", type=click.Choice(["bank", "fee_offset"]), default="bank")
@click.option("--key", "key", help="an idempotency key")
@member_option(Role.TREASURER)
@click.pass_obj
def payout(
    ctx: Ctx,
    slug: str,
    resolution: str,
    day: datetime,
    units_file: Path | None,
    method: str,
    key: str | None,
    actor: str,
) -> None:
    """Pay out what RESOLUTION's dividend still owes, unit by unit (it waits for approval like
    any spending at or over the threshold)."""
    from rules.payout import PayoutIn
    from rules.payout import payout as run

    units = None
    if units_file is not None:
        units = [line.strip() for line in units_file.read_text("utf-8").splitlines()]
        units = [u for u in units if u]
    body = validated(
        PayoutIn,
        {"date": day.date(), "units": units, "method": method, "idempotency_key": key},
    )
    with refusals():
        out, _ = run(books=ctx.books, slug=slug, number=resolution, body=body, actor=actor)
    entry = out.entry
    click.echo(
        say(
            msg(
                "cli_rules.payout-cny-units-resolution",
                id=entry.id,
                status=entry.status,
                total=out.total,
                lines=len(out.lines),
                resolution=out.resolution,
                method=out.method,
            )
        )
    )


def register(main: click.Group) -> None:
    main.add_command(units)
    main.add_command(resolutions)
    main.add_command(allocate)
    main.add_command(payout)
    main.add_command(rules_group)
