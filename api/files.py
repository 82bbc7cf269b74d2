"""The service's files are its owner's alone.

The data directory holds the SQLite database (owner ids, members' password hashes, the
books), each community's projection and rules file;
backups and audit packages hold the same. The ``commons`` process runs with umask 077
(:func:`private_umask`), so whatever it creates is 0600 (directories 0700), and the files
that matter most are created with those modes explicitly as well (``ledger.db``,
``ledger.backup``, ``ledger.projection``), for a process that did not
come through the CLI.

Files made before (by an older release, a copy, an editor) keep their modes: at start-up
:func:`warn_loose` logs a WARNING naming every file or directory that its group or others
may read, write or enter, with the ``chmod`` that mends it. It changes nothing itself: the
operator may have reasons (a backup user in the group), and a server that silently changes
modes hides the mistake that loosened them.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from ledger.db import sqlite_path

log = logging.getLogger(__name__)

#: The process's umask: nothing the service creates is for its group or others.
PRIVATE_UMASK = 0o077
#: The permission bits of the group and of others.
SHARED_BITS = 0o077
#: How deep below the data directory to look (data/<slug>/<file>), and how many entries at
#: most: the check runs at every start.
MAX_DEPTH = 2
MAX_ENTRIES = 10_000


def private_umask() -> int:
    """Make this process create files 0600 and directories 0700; return the old umask."""
    return os.umask(PRIVATE_UMASK)


def _walk(root: Path) -> Iterator[Path]:
    """``root`` and what lies below it, down to ``MAX_DEPTH``; links are not followed."""
    yield root
    count = 0
    level = [root]
    for _depth in range(MAX_DEPTH):
        below: list[Path] = []
        for directory in level:
            try:
                children = sorted(directory.iterdir())
            except OSError:
                continue
            for child in children:
                count += 1
                if count > MAX_ENTRIES:
                    return
                yield child
                if child.is_dir() and not child.is_symlink():
                    below.append(child)
        level = below


def loose_files(data: Path, db_url: str | None = None) -> list[tuple[Path, int]]:
    """Every file or directory of the service (the data directory and what it holds, the
    SQLite database with its WAL and shared memory wherever they are) that its group or
    others may use, with its mode."""
    paths: list[Path] = list(_walk(data)) if data.is_dir() else []
    database = sqlite_path(db_url) if db_url else None
    if database is not None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            candidate = database.with_name(database.name + suffix)
            if candidate not in paths:
                paths.append(candidate)
    found = []
    for path in paths:
        try:
            info = path.lstat()
        except OSError:
            continue
        if stat.S_ISLNK(info.st_mode):
            continue
        mode = stat.S_IMODE(info.st_mode)
        if mode & SHARED_BITS:
            found.append((path, mode))
    return found


def warn_loose(data: Path, db_url: str | None = None) -> list[Path]:
    """Log a WARNING for each file or directory of the service its group or others may use;
    return them."""
    found = loose_files(data, db_url)
    for path, mode in found:
        wanted = 0o700 if path.is_dir() else 0o600
        log.warning(
            "%s has mode %04o: its group or others may read it (it may hold the books, owner "
            "ids or password hashes); run: chmod %o %s",
            path,
            mode,
            wanted,
            path,
        )
    return [path for path, _mode in found]
