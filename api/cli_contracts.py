"""``commons contracts add|list``, ``commons receivables`` and ``commons budget set|actual``."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import click
from pydantic import BaseModel, ValidationError

from api.cli_common import Ctx, dump, invalid, member_option, reader, refusals, say
from api.users import Role
from ledger.messages import msg


def _read(model: type[BaseModel], file: Path, what: str) -> Any:
    try:
        return model.model_validate_json(file.read_bytes())
    except ValidationError as exc:
        click.echo(say(msg("cli_contracts.refused-valid", name=file.name, what=what)), err=True)
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"])
            click.echo(f"  - {invalid(error, where)}", err=True)
        sys.exit(1)


@click.group()
def contracts() -> None:
    """Income contracts for common parts (经营合同)."""


@contracts.command("add")
@click.argument("slug")
@click.option("--file", "file", required=True, type=click.Path(exists=True, path_type=Path))
@member_option(Role.ADMIN, Role.TREASURER)
@click.pass_obj
def add_contract(ctx: Ctx, slug: str, file: Path, actor: str) -> None:
    """Register a contract from a JSON file; says whether it is compliant."""
    from rules.contracts import ContractIn, add

    body = _read(ContractIn, file, "contract")
    with refusals():
        out = add(books=ctx.books, slug=slug, body=body, actor=actor, lang=reader())
    state = (
        msg("cli_contracts.compliant")
        if out.compliant
        else msg(
            "cli_contracts.not-compliant",
            issues=[msg("common.text", text=issue) for issue in out.issues],
        )
    )
    click.echo(say(msg("cli_contracts.contract-registered", number=out.number, state=state)))


@contracts.command("list")
@click.argument("slug")
@click.pass_obj
def list_contracts(ctx: Ctx, slug: str) -> None:
    """The contracts (JSON)."""
    from rules.contracts import listing

    with refusals():
        out = listing(books=ctx.books, slug=slug, lang=reader())
    click.echo(dump([c.model_dump(mode="json") for c in out]))


@click.command("receivables")
@click.argument("slug")
@click.option("--date", "on", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.pass_obj
def receivables_command(ctx: Ctx, slug: str, on: Any) -> None:
    """Each contract's due, received and overdue amounts with ageing (JSON)."""
    from rules.contracts import receivables

    day: date | None = on.date() if on is not None else None
    with refusals():
        out = receivables(books=ctx.books, slug=slug, on=day)
    click.echo(dump(out))


@click.group()
def budget() -> None:
    """The annual budget the owners adopted."""


@budget.command("set")
@click.argument("slug")
@click.option("--file", "file", required=True, type=click.Path(exists=True, path_type=Path))
@member_option(Role.ADMIN, Role.APPROVER)
@click.pass_obj
def set_budget(ctx: Ctx, slug: str, file: Path, actor: str) -> None:
    """Adopt a year's budget from a JSON file ({"year", "resolution", "lines"})."""
    from rules.budget import BudgetIn
    from rules.budget import set_budget as store

    body = _read(BudgetIn, file, "budget")
    with refusals():
        out = store(books=ctx.books, slug=slug, body=body, actor=actor)
    click.echo(
        say(
            msg(
                "cli_contracts.budget-version-resolution-lines",
                year=out.year,
                version=out.version,
                resolution=out.resolution,
                lines=len(out.lines),
            )
        )
    )


@budget.command("actual")
@click.argument("slug")
@click.argument("year", type=int)
@click.pass_obj
def budget_actual(ctx: Ctx, slug: str, year: int) -> None:
    """Budget, actual and variance by account and period (JSON)."""
    from rules.budget import actuals

    with refusals():
        out = actuals(books=ctx.books, slug=slug, year=year)
    click.echo(dump(out.model_dump(mode="json")))


def register(main: click.Group) -> None:
    main.add_command(contracts)
    main.add_command(receivables_command)
    main.add_command(budget)
