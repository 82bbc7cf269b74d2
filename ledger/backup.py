"""Backup and restore of one community: a consistent snapshot taken while the service posts.

The snapshot is logical, so it is the same on SQLite and PostgreSQL and restores into either:
every row that belongs to the community (its entries, postings, events, accounts, members and
their users, units, resolutions, ballots, allocations, closes, the settings of its rules, its
contracts and budget, its documents with their bytes and links, its bank lines, its stored
public notices, its objections and their daily counts), read inside ONE read transaction (a
WAL snapshot on SQLite, REPEATABLE READ on PostgreSQL). The archive is a gzip'd tar holding
``manifest.json``, ``rows.jsonl`` and ``rules.toml`` (the rules text in force, for people to
read; the rows are the record); the manifest records the chain head at the snapshot, and
restore checks the restored chain ends there. A backup from before the rules were kept in the
database has no rules rows: its ``rules.toml`` is restored, and the first read imports it. A
backup from before the documents, bank lines, notices and objections were in it restores
without them; one from before postings, allocation lines, ballots and document links carried
their community's id (revision 0009) gets the backup's community on each.
"""

from __future__ import annotations

import base64
import io
import json
import os
import tarfile
import tempfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Table, insert, select
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from ledger import clock, four_eyes
from ledger.books import Books
from ledger.errors import Conflict, NotFound, ValidationFailed
from ledger.messages import msg

FORMAT = "commons-ledger-backup/1"

#: How each table's rows belong to a community: a column on the table itself, or a parent.
_OWNERSHIP: dict[str, tuple[str, str, str] | str] = {
    "community": "id",
    "account": "community_id",
    "entry": "community_id",
    "event": "community_id",
    "membership": "community_id",
    "unit": "community_id",
    "resolution": "community_id",
    "periodclose": "community_id",
    "rulestext": "community_id",
    "contract": "community_id",
    "budgetline": "community_id",
    "document": "community_id",
    "bankline": "community_id",
    "storednotice": "community_id",
    "objection": "community_id",
    "objectioncount": "community_id",
    "posting": "community_id",
    "allocationline": "community_id",
    "ballot": "community_id",
    "documentlink": "community_id",
    # table: (its column, parent table, parent column)
    "user": ("id", "membership", "user_id"),
    "apitoken": ("user_id", "membership", "user_id"),
}
#: Tables whose rows carry their community's id since revision 0009: a backup taken before
#: has them without it, and restore fills it in (every row of a backup is its community's).
KEYED_SINCE_0009 = frozenset({"posting", "allocationline", "ballot", "documentlink"})
#: The tables that belong to no community, so no backup of one holds them: failed logins, the
#: processes' shared keys and login sessions (a restored member logs in again).
NOT_A_COMMUNITYS = frozenset({"loginfailure", "serverkey", "usersession"})


def _tables() -> list[Table]:
    return [t for t in SQLModel.metadata.sorted_tables if t.name in _OWNERSHIP]


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return {"$t": type(value).__name__, "v": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$t": "decimal", "v": str(value)}
    if isinstance(value, bytes):
        return {"$t": "bytes", "v": base64.b64encode(value).decode()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "$t" in value:
        kind, raw = value["$t"], value["v"]
        if kind == "datetime":
            return datetime.fromisoformat(raw)
        if kind == "date":
            return date.fromisoformat(raw)
        if kind == "decimal":
            return Decimal(raw)
        if kind == "bytes":
            return base64.b64decode(raw)
    return value


def _rows(conn: Connection, table: Table, community_id: str) -> Iterator[dict[str, Any]]:
    owner = _OWNERSHIP[table.name]
    tables = SQLModel.metadata.tables
    if isinstance(owner, str):
        query = select(table).where(table.c[owner] == community_id)
    else:
        column, parent_name, parent_column = owner
        parent = tables[parent_name]
        parent_filter = parent.c["community_id"] if "community_id" in parent.c else parent.c["id"]
        keys = select(parent.c[parent_column]).where(parent_filter == community_id)
        query = select(table).where(table.c[column].in_(keys))
    order: list[Any] = list(table.primary_key.columns)
    if table.name == "entry":  # a reversal references its original: originals first
        order = [table.c.seq.is_(None), table.c.seq, *order]
    for row in conn.execute(query.order_by(*order)).mappings():
        yield dict(row)


def backup(*, books: Books, slug: str, out: Path) -> dict[str, Any]:
    """Write the community's snapshot to ``out``; returns the manifest."""
    engine = books.engine
    options: dict[str, Any] = {}
    if engine.dialect.name == "postgresql":
        options["isolation_level"] = "REPEATABLE READ"
    out.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # The rows go to a temporary file (its owner's alone) as they are read, not into memory:
    # the documents' bytes are in them.
    with tempfile.TemporaryFile(dir=out.parent) as rows:
        with engine.connect().execution_options(**options) as conn, conn.begin():
            community_table = SQLModel.metadata.tables["community"]
            found = (
                conn.execute(select(community_table).where(community_table.c.slug == slug))
                .mappings()
                .first()
            )
            if found is None:
                raise NotFound(msg("backup.no-community", slug=slug))
            counts: dict[str, int] = {}
            rules: bytes | None = None  # the text in force: the last rules row (by number)
            for table in _tables():
                counts[table.name] = 0
                for row in _rows(conn, table, found["id"]):
                    if table.name == "rulestext":
                        rules = str(row["text"]).encode("utf-8")
                    record = {"table": table.name, "row": {k: _encode(v) for k, v in row.items()}}
                    line = json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
                    rows.write(line.encode("utf-8"))
                    counts[table.name] += 1
        manifest = {
            "format": FORMAT,
            "slug": slug,
            "community_id": found["id"],
            "head_seq": found["head_seq"],
            "head_hash": found["head_hash"],
            "taken_at": clock.now().isoformat(),
            "rows": counts,
        }
        if rules is None and books.rules_path(slug).exists():  # books from before the rules rows
            rules = books.rules_path(slug).read_bytes()
        tmp = out.with_suffix(out.suffix + ".tmp")
        # The archive holds owner ids and password hashes: readable by its owner alone (0600),
        # whatever the umask, and so is the file it replaces (a new inode, renamed over it).
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # a leftover temporary file keeps its mode through O_CREAT
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            payload = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            _add(tar, "manifest.json", io.BytesIO(payload), len(payload))
            size = rows.tell()
            rows.seek(0)
            _add(tar, "rows.jsonl", rows, size)
            if rules is not None:
                _add(tar, "rules.toml", io.BytesIO(rules), len(rules))
    tmp.replace(out)
    return manifest


def _add(tar: tarfile.TarFile, name: str, payload: IO[bytes], size: int) -> None:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(clock.now().timestamp())
    tar.addfile(info, payload)


def restore(*, books: Books, archive: Path) -> dict[str, Any]:
    """Load a snapshot into these books (the community must not exist here yet), then rebuild
    its projection. Returns the manifest."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            manifest = json.loads(_read(tar, "manifest.json"))
            rows = _read(tar, "rows.jsonl").decode("utf-8").splitlines()
            names = tar.getnames()
            rules = _read(tar, "rules.toml") if "rules.toml" in names else None
    except (tarfile.TarError, OSError, KeyError, ValueError) as exc:
        raise ValidationFailed(
            msg("backup.commons-ledger-backup", archive=archive, exc=exc)
        ) from None
    if manifest.get("format") != FORMAT:
        raise ValidationFailed(
            msg("backup.unknown-backup-format", archive=archive, format=manifest.get("format"))
        )
    slug = manifest["slug"]
    tables = SQLModel.metadata.tables
    by_table: dict[str, list[dict[str, Any]]] = {}
    for line in rows:
        if line.strip():
            record = json.loads(line)
            item = {k: _decode(v) for k, v in record["row"].items()}
            if record["table"] in KEYED_SINCE_0009:
                item.setdefault("community_id", manifest["community_id"])
            if record["table"] == "entry" and "payee_key" not in item:  # before 0010
                item["payee_key"] = four_eyes.payee_key(item["payee"])
            by_table.setdefault(record["table"], []).append(item)
    with books.engine.begin() as conn:
        community = tables["community"]
        if conn.execute(select(community.c.id).where(community.c.slug == slug)).first():
            raise Conflict(msg("backup.community-already-exists-here", slug=slug))
        user = tables["user"]
        existing_users = {
            r.username: r.id for r in conn.execute(select(user.c.username, user.c.id))
        }
        for item in by_table.get("user", []):
            if existing_users.get(item["username"], item["id"]) != item["id"]:
                raise Conflict(msg("backup.user-exists-here-under", username=item["username"]))
        for table in _tables():
            items = by_table.get(table.name, [])
            if table.name == "user":
                items = [r for r in items if r["username"] not in existing_users]
            if items:
                conn.execute(insert(table), items)
        if conn.dialect.name == "postgresql":
            _advance_sequences(conn)
    directory = books.community_dir(slug)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    settings = sorted(by_table.get("rulestext", []), key=lambda r: int(r["number"]))
    if settings:
        rules = str(settings[-1]["text"]).encode("utf-8")
    if rules is not None:
        path = books.rules_path(slug)
        path.write_bytes(rules)
        path.chmod(0o600)
    books.rebuild_projection(slug)
    return dict(manifest)


def _advance_sequences(conn: Connection) -> None:
    """Rows came with their ids; move PostgreSQL's id sequences past them."""
    for table in _tables():
        primary = list(table.primary_key.columns)
        if (
            len(primary) == 1
            and primary[0].autoincrement is not False
            and primary[0].type.python_type is int
        ):
            name = table.name
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                f'COALESCE((SELECT MAX(id) FROM "{name}"), 0) + 1, false)'
            )


def _read(tar: tarfile.TarFile, name: str) -> bytes:
    member = tar.extractfile(name)
    if member is None:
        raise KeyError(name)
    return member.read()
