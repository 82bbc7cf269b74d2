"""``commons``: the command line. Every command takes ``--data`` and ``--db`` (or
``$COMMONS_DATA`` / ``$COMMONS_DB``). Refusals print the problems and exit 1; usage errors, and
who may act (``--as``, a member's credentials: ``api.cli_common.member_option``), exit 2."""

from __future__ import annotations

import os
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from api import (
    cli_audit,
    cli_bank,
    cli_contracts,
    cli_disclose,
    cli_objections,
    cli_periods,
    cli_rules,
    cli_users,
    files,
)
from api.cli_common import (
    Ctx,
    invalid,
    member_option,
    operator,
    pass_ctx,
    reader,
    refusals,
    say,
    validated,
)
from api.users import Role
from ledger import journal
from ledger.books import Books
from ledger.messages import LANGS, Lang, msg
from ledger.schemas import TransactionIn


@click.group()
@click.option("--data", envvar="COMMONS_DATA", help="data directory [default: ./data]")
@click.option("--db", envvar="COMMONS_DB", help="database URL [default: SQLite in the data dir]")
@click.option(
    "--lang",
    type=click.Choice(LANGS),
    default=None,
    help="the language of messages: zh or en [default: from LANG, else zh]",
)
@click.version_option("0.1.0", prog_name="commons")
@click.pass_context
def main(ctx: click.Context, data: str | None, db: str | None, lang: Lang | None) -> None:
    """commons-ledger: the books of an owners' committee's common income."""
    # Everything a command creates (the database, backups, exports, projections) is its
    # owner's alone; the umask is put back when the command ends (it matters in-process).
    old_umask = files.private_umask()
    ctx.call_on_close(lambda: os.umask(old_umask))
    ctx.obj = Ctx(data, db, lang)


@main.command()
@click.argument("slug")
@click.option("--name", required=True, help="the community's name, e.g. 枫林苑")
@click.option(
    "--start",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="the first day of the books [default: 1 January of this year]; opening balances "
    "are dated the day before",
)
@pass_ctx
def init(ctx: Ctx, slug: str, name: str, start: Any) -> None:
    """Create a community with the default chart and rules file."""

    from rules.community import create

    with refusals():
        community = create(
            books=ctx.books,
            slug=slug,
            name=name,
            actor=operator(),
            start=start.date() if start else None,
        )
    click.echo(
        say(
            msg(
                "cli.created-books-start-data",
                slug=slug,
                start_date=community.start_date,
                slug_2=ctx.books.community_dir(slug),
            )
        )
    )


@main.command()
@click.argument("slug", default="demo")
@pass_ctx
def demo(ctx: Ctx, slug: str) -> None:
    """Create the demo community (a year of realistic data), unless it exists."""
    from api.demo import build_demo

    with refusals():
        created = build_demo(books=ctx.books, slug=slug)
    click.echo(say(msg("cli.demo-created" if created else "cli.demo-exists", slug=slug)))
    if created:
        _print_demo_statement(ctx.books, slug)


def _print_demo_statement(books: Books, slug: str) -> None:
    """Where the demo's open month's bank statement waits, and the command that imports it."""
    from api.demo_bank import ACCOUNT, open_statement

    path = open_statement(books)
    if path is not None:
        click.echo(
            say(
                msg(
                    "cli.demo-statement",
                    path=str(path),
                    data=str(books.data_dir),
                    slug=slug,
                    account=ACCOUNT,
                )
            )
        )


def _load_drafts(file: Path) -> list[TransactionIn]:
    text = file.read_text(encoding="utf-8")
    lines = (
        [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        if file.suffix == ".jsonl"
        else [(1, text)]
    )
    drafts, problems = [], []
    for number, line in lines:
        try:
            drafts.append(TransactionIn.model_validate_json(line))
        except ValidationError as exc:
            for error in exc.errors():
                where = ".".join(str(p) for p in error["loc"])
                problems.append(f"{file.name}:{number}: {invalid(error, where)}")
    if problems:
        click.echo(say(msg("cli.refused-file-valid")), err=True)
        for problem in problems:
            click.echo(f"  - {problem}", err=True)
        sys.exit(1)
    return drafts


@main.command()
@click.argument("slug")
@click.option("--file", "file", required=True, type=click.Path(exists=True, path_type=Path))
@member_option(Role.TREASURER)
@pass_ctx
def post(ctx: Ctx, slug: str, file: Path, actor: str) -> None:
    """Post a transaction from a JSON file, or many (all or nothing) from a .jsonl file.
    Prints a line per transaction, and on stderr how long reading and posting took."""
    started = time.perf_counter()
    drafts = _load_drafts(file)
    read = time.perf_counter()
    with refusals():
        results = journal.post_many(books=ctx.books, slug=slug, drafts=drafts, actor=actor)
    posted = time.perf_counter()
    lines = []
    for result in results:
        state = "pending approval" if result.pending else f"posted as seq {result.seq}"
        again = "" if result.created else " (already posted with this idempotency key)"
        lines.append(f"{result.id} {result.date} {state}{again}\n")
    click.echo("".join(lines), nl=False)
    click.echo(
        say(
            msg(
                "cli.transaction-s-read-s",
                drafts=len(drafts),
                read=read - started,
                posted=posted - read,
                rate=len(drafts) / max(posted - read, 1e-9),
            )
        ),
        err=True,
    )


@main.command()
@click.argument("slug")
@click.argument("entry_id")
@click.option("--date", "on", type=click.DateTime(["%Y-%m-%d"]), help="default: today")
@click.option("--reason", required=True, help="why the entry is reversed")
@member_option(Role.TREASURER)
@pass_ctx
def reverse(ctx: Ctx, slug: str, entry_id: str, on: Any, reason: str, actor: str) -> None:
    """Enter the reversal of a transaction (it waits for approval like any spending)."""
    from api.routes_transactions import ReverseIn

    day: date | None = on.date() if on else None
    try:  # the API's rule for a reason: one line of plain text
        reason = ReverseIn.model_validate({"date": day, "reason": reason}).reason
    except ValidationError as exc:
        click.echo(say(msg("cli.refused")), err=True)
        for error in exc.errors():
            click.echo(f"  - {invalid(error, 'reason')}", err=True)
        sys.exit(1)
    with refusals():
        result = journal.reverse(
            books=ctx.books, slug=slug, entry_id=entry_id, actor=actor, on=day, reason=reason
        )
    state = "pending approval" if result.pending else f"posted as seq {result.seq}"
    click.echo(say(msg("cli.reverses", id=result.id, entry_id=entry_id, state=state)))


@main.command()
@click.argument("slug")
@click.argument("entry_id")
@member_option(Role.APPROVER, credentials=True)
@pass_ctx
def approve(ctx: Ctx, slug: str, entry_id: str, actor: str) -> None:
    """Approve a pending transaction: it is posted. Four eyes: the approver is a second member
    (never the one who entered it), proved by their own API token ($COMMONS_TOKEN) or password
    (--password-stdin)."""
    with refusals():
        out = journal.approve(books=ctx.books, slug=slug, entry_id=entry_id, actor=actor)
    click.echo(say(msg("cli.approved-by-posted-as", id=out.id, actor=actor, seq=out.seq)))


@main.command()
@click.argument("slug")
@click.argument("entry_id")
@click.option("--reason", required=True, help="why, in words; kept with the entry")
@member_option(Role.APPROVER, credentials=True)
@pass_ctx
def reject(ctx: Ctx, slug: str, entry_id: str, reason: str, actor: str) -> None:
    """Reject a pending transaction for good, with a reason; it never reaches the books. Needs
    the approver's own API token ($COMMONS_TOKEN) or password (--password-stdin)."""
    from api.routes_transactions import RejectIn

    body = validated(RejectIn, {"reason": reason})
    with refusals():
        out = journal.reject(
            books=ctx.books, slug=slug, entry_id=entry_id, actor=actor, reason=body.reason
        )
    click.echo(
        say(msg("cli.rejected-by", id=out.id, actor=actor, rejected_reason=out.rejected_reason))
    )


@main.command()
@click.argument("slug")
@click.option(
    "--head",
    "kept",
    multiple=True,
    metavar="SEQ:HASH",
    help="a chain head kept outside the server; the journal must pass through it (repeatable)",
)
@click.option(
    "--heads",
    "files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="a file of kept heads: 'SEQ:HASH' or 'slug seq hash time' lines "
    "(commons checkpoint), or a notice's or package manifest's JSON",
)
@pass_ctx
def verify(ctx: Ctx, slug: str, kept: tuple[str, ...], files: tuple[Path, ...]) -> None:
    """Hash chain, kept and recorded heads, audit trail, rules, projection against journal,
    beancount load; exit 1 listing problems."""
    from audit.heads import parse_head, read_heads
    from audit.verify import verify as run

    try:
        heads = [parse_head(text) for text in kept]
        heads += [head for file in files for head in read_heads(file, slug)]
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    with refusals():
        report = run(ctx.books, slug, heads)
    click.echo("\n".join(report.lines(reader())))
    sys.exit(0 if report.ok else 1)


@main.command()
@click.argument("slug")
@pass_ctx
def rebuild(ctx: Ctx, slug: str) -> None:
    """Rewrite the projection from the journal."""
    with refusals():
        finding = ctx.books.rebuild_projection(slug)
    click.echo(
        say(msg("cli.rebuilt-up-seq", path=ctx.books.projection(slug).path, head=finding.head))
    )
    if finding.state != "current":
        click.echo(say(msg("cli.file-was", describe=finding.describe())))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    default=None,
    help="the service's log level [default: $COMMONS_LOG_LEVEL or INFO]",
)
@click.option("--access-log/--no-access-log", default=None, help="log every request")
@click.option(
    "--public-docs",
    is_flag=True,
    default=None,
    help="serve /docs, /redoc and /openapi.json to anyone, not only to members "
    "[default: $COMMONS_PUBLIC_DOCS or off]",
)
@click.option(
    "--forwarded-allow-ips",
    default=None,
    metavar="ADDRESSES",
    help="the reverse proxies (addresses or networks, comma-separated; '*' for any) whose "
    "X-Forwarded-For/-Proto/-Host are believed [default: $COMMONS_FORWARDED_ALLOW_IPS or none]",
)
@click.option(
    "--fava-apps-max",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="how many Fava apps (a community's open years or one closed year) to keep loaded; "
    "the least recently used is dropped [default: $COMMONS_FAVA_APPS_MAX or 32]",
)
@click.option(
    "--states-max",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="how many communities' rule states to keep for posting; the least recently used is "
    "dropped and refolded on its next post [default: $COMMONS_STATES_MAX or 256]",
)
@pass_ctx
def serve(
    ctx: Ctx,
    host: str,
    port: int,
    log_level: str | None,
    access_log: bool | None,
    public_docs: bool | None,
    forwarded_allow_ips: str | None,
    fava_apps_max: int | None,
    states_max: int | None,
) -> None:
    """The API, the entry page, Fava and the public pages in one process."""
    import uvicorn

    from api.app import create_app
    from api.logs import configure
    from api.proxy import parse_allowed

    settings = ctx.settings
    if forwarded_allow_ips is not None:
        settings.forwarded_allow_ips = forwarded_allow_ips
    try:
        parse_allowed(settings.forwarded_allow_ips)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--forwarded-allow-ips") from None
    if log_level is not None:
        settings.log_level = log_level.upper()
    if access_log is not None:
        settings.access_log = access_log
    if public_docs:
        settings.public_docs = True
    if fava_apps_max is not None:
        settings.fava_apps_max = fava_apps_max
    if states_max is not None:
        settings.states_max = ctx.books.states_max = states_max
    configure(settings.log_level)
    app = create_app(settings, books=ctx.books)
    base = f"http://{host}:{port}"
    click.echo(say(msg("cli.commons-ledger", base=base)))
    who = "anyone" if settings.public_docs else "members"
    click.echo(say(msg("cli.api-docs-docs-log", who=who, base=base)))
    from audit.disclosure import closed_periods

    for slug in list_slugs(ctx.books):
        click.echo(say(msg("cli.fava-read-only-fava", slug=slug, base=base)))
        click.echo(say(msg("cli.entry-page-entry", slug=slug, base=base)))
        latest = closed_periods(books=ctx.books, slug=slug)[:1]
        if latest:
            period = latest[0].period
            click.echo(
                say(
                    msg(
                        "cli.latest-disclosure-public-disclosures",
                        slug=slug,
                        base=base,
                        period=period,
                    )
                )
            )
    _print_demo_logins(ctx.books, base)
    sys.stdout.flush()
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=None,  # the service's own logging (api.logs) formats uvicorn's lines too
        log_level=settings.log_level.lower(),
        access_log=settings.access_log,
        # the app believes forwarded headers only from --forwarded-allow-ips (api.proxy);
        # uvicorn's own handling would trust 127.0.0.1 by default, so it is off
        proxy_headers=False,
        forwarded_allow_ips=[],
    )


@main.command()
@click.argument("slug")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path))
@pass_ctx
def backup(ctx: Ctx, slug: str, out: Path) -> None:
    """A consistent snapshot of one community (rows and rules file), safe while posting."""
    from ledger.backup import backup as take

    with refusals():
        manifest = take(books=ctx.books, slug=slug, out=out)
    rows = sum(manifest["rows"].values())
    click.echo(
        say(
            msg(
                "cli.backed-up-at-seq", slug=slug, head_seq=manifest["head_seq"], rows=rows, out=out
            )
        )
    )


@main.command()
@click.argument("archive", type=click.Path(exists=True, path_type=Path))
@pass_ctx
def restore(ctx: Ctx, archive: Path) -> None:
    """Restore a community from a backup into these (empty) books, then verify it."""
    from audit.verify import verify as run
    from ledger.backup import restore as load

    with refusals():
        manifest = load(books=ctx.books, archive=archive)
        report = run(ctx.books, manifest["slug"])
    at_snapshot = (report.entries, report.head) == (manifest["head_seq"], manifest["head_hash"])
    click.echo(
        say(
            msg(
                "cli.restored-at-seq",
                slug=manifest["slug"],
                head_seq=manifest["head_seq"],
                summary=report.summary(),
            )
        )
    )
    for line in report.lines(reader())[1:]:
        click.echo(line)
    if not at_snapshot:
        click.echo(say(msg("cli.restored-chain-does-end")))
    sys.exit(0 if report.ok and at_snapshot else 1)


def _print_demo_logins(books: Books, base: str) -> None:
    from api.demo import DEMO_USERS
    from api.users import roles_in

    pages = {
        "treasurer": "/entry/demo (post)  /fava/demo/",
        "approver": "/entry/demo (approve or reject)  /fava/demo/",
        "supervisor": "/fava/demo/",
        "auditor": "/fava/demo/  /docs",
        "admin": "/fava/demo/  /docs",
    }
    rows = [u for u in DEMO_USERS if roles_in(books, u[0], "demo") is not None]
    if not rows:
        return
    click.echo(say(msg("cli.demo-logins-at-login", base=base)))
    for username, role, password in rows:
        click.echo(
            say(
                msg(
                    "cli.password-then",
                    role=role,
                    username=username,
                    password=password,
                    pages=pages[role],
                )
            )
        )
    _print_demo_statement(books, "demo")


def list_slugs(books: Books) -> list[str]:
    from sqlmodel import Session, select

    from ledger.models import Community

    with Session(books.engine) as session:
        return list(session.exec(select(Community.slug).order_by(Community.slug)))


# The other parts' commands (users, audit exports, rules, disclosures) register here.
cli_users.register(main)
cli_audit.register(main)
cli_disclose.register(main)
cli_periods.register(main)
cli_rules.register(main)
cli_contracts.register(main)
cli_bank.register(main)
cli_objections.register(main)

if __name__ == "__main__":  # pragma: no cover
    main()
