"""QA: the service's files are its owner's alone. The database (with its WAL and shared
memory), the data directory, each community's directory and projection, backups and audit
packages are 0600 (directories 0700) even under the usual umask 022; ``commons`` runs with
umask 077; and start-up logs a WARNING naming each file or directory that is looser."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from api.app import create_app
from api.books import open_books
from api.cli import main
from api.settings import Settings
from ledger import journal
from ledger.backup import backup
from ledger.books import Books
from rules.community import create
from tests.conftest import BOOKS_START, txn


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask most systems give a service (files 0644, directories 0755)."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def opened(tmp_path: Path) -> Iterator[Books]:
    books = open_books(Settings(data=tmp_path / "data"))
    create(books=books, slug="maple", name="枫林苑", start=BOOKS_START)
    journal.post(books=books, slug="maple", draft=txn("10.00"), actor="treasurer")
    yield books
    books.dispose()


def test_the_database_and_data_directory_are_private(opened: Books, tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert mode(data) == 0o700
    database = data / "commons.db"
    wal = data / "commons.db-wal"
    shm = data / "commons.db-shm"
    assert wal.exists() and shm.exists()  # the engine is open
    assert (mode(database), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)
    community = data / "maple"
    assert mode(community) == 0o700
    for name in ("ledger.beancount", "rules.toml", ".ledger.state.json", ".ledger.lock"):
        assert mode(community / name) == 0o600, name


def test_a_backup_is_private_even_over_an_open_file(opened: Books, tmp_path: Path) -> None:
    out = tmp_path / "backups" / "maple.tar.gz"
    out.parent.mkdir()
    out.write_bytes(b"old")
    out.chmod(0o644)
    backup(books=opened, slug="maple", out=out)
    assert mode(out) == 0o600
    assert out.read_bytes()[:2] == b"\x1f\x8b"  # gzip


def test_commons_runs_with_umask_077(opened: Books, tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    runner = CliRunner()
    out = tmp_path / "out" / "maple.tar.gz"
    done = runner.invoke(
        main, ["--lang", "en", "--data", data, "backup", "maple", "--out", str(out)]
    )
    assert done.exit_code == 0, done.output
    assert (mode(out), mode(out.parent)) == (0o600, 0o700)
    current = os.umask(0o022)
    assert current == 0o022  # put back when the command ended


def test_an_export_from_the_cli_is_private(tmp_path: Path) -> None:
    from api.users import Role, add_member

    data = tmp_path / "data"
    books = open_books(Settings(data=data))
    create(books=books, slug="maple", name="枫林苑", start=BOOKS_START)
    add_member(books=books, username="audrey", slug="maple", role=Role.AUDITOR, token=False)
    books.dispose()
    package = tmp_path / "exports" / "maple-2025.zip"
    done = CliRunner().invoke(
        main,
        ["--lang", "en", "--data", str(data), "export", "maple", "2025", "--out", str(package)],
        env={"COMMONS_ACTOR": "audrey"},
    )
    assert done.exit_code == 0, done.output
    assert mode(package) == 0o600


def test_start_up_warns_of_each_loose_file(
    opened: Books, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    (data / "commons.db").chmod(0o644)
    (data / "maple").chmod(0o755)
    (data / "maple" / "ledger.beancount").chmod(0o640)
    with caplog.at_level(logging.WARNING, logger="api.files"):
        create_app(Settings(data=data, secret="s"))
    warned = {r.getMessage().split(" has mode ")[0] for r in caplog.records}
    assert warned == {
        str(data / "commons.db"),
        str(data / "maple"),
        str(data / "maple" / "ledger.beancount"),
    }
    assert all(r.levelno == logging.WARNING for r in caplog.records)
    assert "chmod 600" in caplog.text and "chmod 700" in caplog.text


def test_private_books_start_without_warnings(
    opened: Books, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="api.files"):
        create_app(Settings(data=tmp_path / "data", secret="s"))
    assert caplog.records == []
