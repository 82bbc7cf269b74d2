"""``commons export SLUG PERIOD --out F.zip``, ``commons verify-export F.zip`` and
``commons checkpoint SLUG``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from api.cli_common import Ctx, member_option, reader, refusals, say
from api.users import Role
from ledger.messages import msg


@click.command("export")
@click.argument("slug")
@click.argument("period")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="the zip to write",
)
@click.option(
    "--with-documents",
    is_flag=True,
    help="also put the files of documents.csv in the zip (documents/<sha256>.<ext>)",
)
@member_option(Role.AUDITOR, Role.SUPERVISOR)
@click.pass_obj
def export_command(
    ctx: Ctx, slug: str, period: str, out: Path, with_documents: bool, actor: str
) -> None:
    """The audit package of PERIOD (2025, 2025Q1 or 2025-01-01..2025-06-30); with
    --with-documents, the documents behind its entries and resolutions too."""
    from audit.export import FILES_PER_EXPORT, expected_entries, export_file, record_export
    from ledger.period import parse_period

    with refusals():
        parsed = parse_period(period)
        total = expected_entries(ctx.books, slug) + FILES_PER_EXPORT + int(with_documents)
        label = say(msg("cli_audit.exporting", slug=slug, label=parsed.label))
        with click.progressbar(length=total, label=label) as bar:
            manifest = export_file(
                books=ctx.books,
                slug=slug,
                period=parsed,
                path=out,
                progress=bar.update,
                with_documents=with_documents,
            )
        record_export(ctx.books, slug, manifest, actor=actor)
    chain = manifest["chain"]
    click.echo(
        say(
            msg(
                "cli_audit.wrote-entries-chain-head",
                out=out,
                entries=manifest["entries"],
                label=parsed.label,
                head_seq=chain["head_seq"],
                head_hash=chain["head_hash"] or "(no entries)",
            )
        )
    )
    documents = manifest["documents"]
    click.echo(
        say(
            msg(
                "cli_audit.documents-with-files"
                if documents["included"]
                else "cli_audit.documents-without-files",
                count=documents["count"],
            )
        )
    )


@click.command("verify-export")
@click.argument("package", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--bean-check/--no-bean-check",
    default=False,
    help="also load the package's ledger with beancount and the rules plugin",
)
def verify_export_command(package: Path, bean_check: bool) -> None:
    """Check an audit package: manifest, file hashes, hash chain, journal. Exit 1 on problems."""
    from audit.verify_export import verify_export

    report = verify_export(package, bean_check=bean_check)
    click.echo("\n".join(report.lines(reader())))
    sys.exit(0 if report.ok else 1)


@click.command("checkpoint")
@click.argument("slug")
@click.pass_obj
def checkpoint_command(ctx: Ctx, slug: str) -> None:
    """Print the journal's head as one line, 'slug seq hash time', for the supervisory
    committee to keep outside the server; 'commons verify SLUG --heads FILE' later checks
    that the journal still passes through it. Refused (exit 1) when the books do not verify."""
    from audit.heads import checkpoint

    with refusals():
        kept = checkpoint(ctx.books, slug)
    click.echo(kept.line())


def register(main: click.Group) -> None:
    main.add_command(export_command)
    main.add_command(verify_export_command)
    main.add_command(checkpoint_command)
