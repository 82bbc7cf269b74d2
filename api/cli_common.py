"""What every ``commons`` command shares: the context (settings and books), printing a refusal,
the ``--as`` option and JSON output. The command modules import this, never each other."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from api.books import open_books
from api.settings import Settings
from ledger.books import Books
from ledger.errors import LedgerError

F = TypeVar("F", bound=Callable[..., Any])


class Ctx:
    def __init__(self, data: str | None, db: str | None) -> None:
        overrides: dict[str, Any] = {}
        if data:
            overrides["data"] = Path(data)
        if db:
            overrides["db"] = db
        self.settings = Settings(**overrides)
        self._books: Books | None = None

    @property
    def books(self) -> Books:
        if self._books is None:
            self._books = open_books(self.settings)
        return self._books


pass_ctx = click.make_pass_decorator(Ctx)


@contextmanager
def refusals() -> Iterator[None]:
    """Print a refusal's problems (not a traceback) and exit 1."""
    try:
        yield
    except LedgerError as exc:
        click.echo(f"refused ({exc.status.value} {exc.status.phrase}):", err=True)
        for problem in exc.problems:
            where = f"[{problem.field}] " if problem.field else ""
            rule = f"({problem.rule}) " if problem.rule else ""
            click.echo(f"  - {where}{rule}{problem.message}", err=True)
        sys.exit(1)


def actor_option(func: F) -> F:
    return click.option(
        "--as",
        "actor",
        default=lambda: os.environ.get("COMMONS_ACTOR") or os.environ.get("USER") or "cli",
        show_default="$COMMONS_ACTOR or $USER",
        help="who is acting, for the audit trail",
    )(func)


def dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, default=str)
