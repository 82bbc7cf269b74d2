"""``commons bank import|proposals|confirm|dismiss|reconcile|layouts`` and
``commons documents add|list``."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click
from pydantic import ValidationError

from api.cli_common import Ctx, dump, invalid, member_option, refusals, say
from api.users import Role
from ledger.messages import msg


@click.group()
def bank() -> None:
    """Bank statements: import, match, confirm, reconcile (银行存款余额调节表)."""


@bank.command("import")
@click.argument("slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--account", required=True, help="the bank account, e.g. Assets:1002-银行存款:01-基本户"
)
@click.option(
    "--format",
    "layout",
    default=None,
    help="a layout: a shipped preset's name (see `commons bank layouts`) or a layout .toml "
    "file [default: the one preset that fits the file]",
)
@member_option(Role.TREASURER)
@click.pass_obj
def import_statement(
    ctx: Ctx, slug: str, file: Path, account: str, layout: str | None, actor: str
) -> None:
    """Import a statement FILE (CSV or XLSX as the bank exports it): lines already imported
    add nothing; new lines are matched to entries; the rest are listed as proposals."""
    from rules.bank import import_file

    with refusals():
        chosen, out = import_file(
            books=ctx.books,
            slug=slug,
            account=account,
            body=file.read_bytes(),
            filename=file.name,
            layout_name=layout,
            actor=actor,
        )
    click.echo(
        say(
            msg(
                "cli_bank.imported-line-s-already",
                imported=out.imported,
                account=account,
                duplicates=out.duplicates,
                matched=out.matched,
                proposals=len(out.proposals),
                layout=chosen,
            )
        )
    )
    for proposal in out.proposals:
        line = proposal.line
        click.echo(
            say(
                msg(
                    "cli_bank.line",
                    id=line.id,
                    date=line.date,
                    amount=line.amount,
                    counterparty=line.counterparty,
                    memo=line.memo,
                    account=proposal.draft.postings[1].account,
                )
            )
        )


@bank.command("layouts")
def layouts() -> None:
    """The shipped statement layouts."""
    from rules.bank import presets

    for name, layout in presets().items():
        click.echo(f"{name}: {layout.description}")


@bank.command("proposals")
@click.argument("slug")
@click.option("--account", default=None)
@click.option("--ids", is_flag=True, help="print only the lines' numbers, one per line")
@click.pass_obj
def list_proposals(ctx: Ctx, slug: str, account: str | None, ids: bool) -> None:
    """The statement lines still to confirm or dismiss, each with its draft entry (JSON), or
    with ``--ids`` their line numbers (for ``confirm`` and ``dismiss`` in a script)."""
    from rules.bank import proposals

    with refusals():
        found = proposals(books=ctx.books, slug=slug, account=account)
    if ids:
        for proposal in found:
            click.echo(proposal.line.id)
        return
    click.echo(dump([p.model_dump(mode="json") for p in found]))


@bank.command("confirm")
@click.argument("slug")
@click.argument("line", type=int)
@click.option(
    "--file",
    "file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="the entry as edited (JSON, a transaction); default: the proposal's draft",
)
@member_option(Role.TREASURER)
@click.pass_obj
def confirm(ctx: Ctx, slug: str, line: int, file: Path | None, actor: str) -> None:
    """Post statement LINE's entry through the ordinary posting path (rules, four eyes)."""
    from ledger.schemas import TransactionIn
    from rules.bank import confirm as run

    draft = None
    if file is not None:
        try:
            draft = TransactionIn.model_validate_json(file.read_bytes())
        except ValidationError as exc:
            click.echo(say(msg("cli_bank.refused-valid-transaction", name=file.name)), err=True)
            for error in exc.errors():
                click.echo(f"  - {invalid(error, '.'.join(map(str, error['loc'])))}", err=True)
            sys.exit(1)
    with refusals():
        out, _created = run(books=ctx.books, slug=slug, line_id=line, draft=draft, actor=actor)
    click.echo(say(msg("cli_bank.line-entry", line=line, id=out.entry.id, status=out.entry.status)))


@bank.command("dismiss")
@click.argument("slug")
@click.argument("line", type=int)
@click.option("--reason", required=True)
@member_option(Role.TREASURER)
@click.pass_obj
def dismiss(ctx: Ctx, slug: str, line: int, reason: str, actor: str) -> None:
    """Set statement LINE aside with a reason (it stays on the reconciliation)."""
    from rules.bank import dismiss as run

    with refusals():
        run(books=ctx.books, slug=slug, line_id=line, reason=reason, actor=actor)
    click.echo(say(msg("cli_bank.line-dismissed", line=line)))


@bank.command("reconcile")
@click.argument("slug")
@click.option("--account", required=True)
@click.option("--date", "day", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--json", "as_json", is_flag=True, help="print the reconciliation as JSON")
@click.pass_obj
def reconcile(ctx: Ctx, slug: str, account: str, day: datetime, as_json: bool) -> None:
    """The bank reconciliation (银行存款余额调节表) of an account on a date."""
    from rules.bank import reconcile as run

    with refusals():
        out = run(books=ctx.books, slug=slug, account=account, day=day.date())
    if as_json:
        click.echo(dump(out.model_dump(mode="json")))
        return
    click.echo(
        say(
            msg(
                "cli_bank.statement-from",
                account=account,
                date=out.date,
                statement_from=out.statement_from,
            )
        )
    )
    click.echo(
        say(
            msg(
                "cli_bank.book-balance-bank-balance",
                book_balance=out.book_balance,
                bank_balance=out.bank_balance,
            )
        )
    )
    for item in out.bank_only:
        click.echo(
            say(
                msg(
                    "cli_bank.bank-only",
                    date=item.date,
                    amount=item.amount,
                    description=item.description,
                    status=item.status,
                )
            )
        )
    for item in out.book_only:
        click.echo(
            say(
                msg(
                    "cli_bank.book-only",
                    date=item.date,
                    amount=item.amount,
                    description=item.description,
                )
            )
        )
    click.echo(
        say(
            msg(
                "cli_bank.adjusted-adjusted",
                adjusted_book_balance=out.adjusted_book_balance,
                adjusted_bank_balance=out.adjusted_bank_balance,
            )
        )
    )
    click.echo(
        say(
            msg(
                "cli_bank.difference-line-s-confirm",
                difference=out.difference,
                open_lines=out.open_lines,
            )
        )
    )
    if out.difference != 0 or out.open_lines:
        sys.exit(1)


@click.group()
def documents() -> None:
    """Documents behind entries, contracts and resolutions (PDF, PNG, JPEG, WebP)."""


@documents.command("add")
@click.argument("slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--entry", default=None, help="the id of the entry it backs")
@click.option("--resolution", default=None, help="the number of the resolution it backs")
@click.option("--contract", default=None, help="the number of the contract it backs")
@member_option(Role.TREASURER, Role.APPROVER, Role.ADMIN)
@click.pass_obj
def add_document(
    ctx: Ctx,
    slug: str,
    file: Path,
    entry: str | None,
    resolution: str | None,
    contract: str | None,
    actor: str,
) -> None:
    """Upload FILE (checked by its content), once per SHA-256, and link it."""
    from rules.documents import MAX_BYTES, add

    with refusals(), open(file, "rb") as handle:
        body = handle.read(MAX_BYTES + 1)
        out, created = add(
            books=ctx.books,
            slug=slug,
            body=body,
            name=file.name,
            actor=actor,
            entry=entry,
            resolution=resolution,
            contract=contract,
        )
    stored = msg(
        "cli_bank.document-stored" if created else "cli_bank.document-already-stored",
        sha256=out.sha256,
        name=out.name,
        type=out.type,
        bytes=out.bytes,
    )
    linked = [
        msg(key, value=value)
        for key, value in (
            ("cli_bank.linked-entry", entry),
            ("cli_bank.linked-resolution", resolution),
            ("cli_bank.linked-contract", contract),
        )
        if value
    ]
    click.echo(
        say(
            msg("cli_bank.document-linked", stored=stored, linked=msg("common.list", items=linked))
            if linked
            else stored
        )
    )


@documents.command("list")
@click.argument("slug")
@click.option("--entry", default=None, help="only those behind this entry")
@click.option("--contract", default=None, help="only those behind this contract")
@click.pass_obj
def list_documents(ctx: Ctx, slug: str, entry: str | None, contract: str | None) -> None:
    """The documents with what each backs (JSON)."""
    from rules.documents import listed

    with refusals():
        found = listed(books=ctx.books, slug=slug, entry=entry, contract=contract)
    click.echo(dump([d.model_dump(mode="json") for d in found]))


def register(main: click.Group) -> None:
    main.add_command(bank)
    main.add_command(documents)
