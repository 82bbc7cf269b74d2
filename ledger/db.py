"""Engines and sessions. ``make_engine(url)`` builds everything; nothing happens at import.

SQLite is the embedded default: WAL journal, ``synchronous=FULL`` (an acknowledged post survives
a power cut), foreign keys on, and a busy timeout so concurrent processes wait instead of failing.
pysqlite's own transaction handling is switched off so that SQLAlchemy's ``begin`` emits
``BEGIN`` itself: writers ask for ``BEGIN IMMEDIATE`` (see :func:`writer`), which takes the write
lock before reading the chain head, so two processes can never read the same head.

PostgreSQL needs nothing special: the posting path locks the community row (``FOR UPDATE``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, make_url, text
from sqlalchemy.engine import Connection
from sqlmodel import Session, create_engine

MIGRATIONS = Path(__file__).with_name("migrations")
#: The newest migration. Opening books at this revision skips Alembic (and its import time);
#: a test checks it against Alembic's own idea of the head.
SCHEMA_HEAD = "0010"


#: Pages the WAL grows by between automatic checkpoints (see ``_configure_sqlite``).
WAL_CHECKPOINT_PAGES = 4000


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for another database or an in-memory one."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def create_private(path: Path) -> None:
    """Create the SQLite file (empty: SQLite makes it a database) readable and writable by its
    owner alone, in a directory of its own (0700), unless it exists. SQLite gives the WAL and
    the shared-memory file the database file's mode, so they are private too; without this
    the file would take the process's umask (0644 under the usual 022): every local user
    could read the owners' ids and the members' password hashes."""
    if path.exists():
        return
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return
    os.close(fd)


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """An engine for ``url``, configured for the ledger's durability and locking needs. A
    SQLite file is created private (``create_private``)."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path is not None:
            create_private(path)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def _configure_sqlite(engine: Engine, *, busy_timeout_ms: int = 30000) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        # A checkpoint every 4,000 pages (a WAL of up to 16 MiB) instead of 1,000: a post
        # dirties ~17 pages, mostly the same B-tree tails, so a longer stretch copies each
        # page once for more posts, and fsyncs the database file less often (posting in
        # process: ~12% more a second, measured).
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        # Straight to the driver: through exec_driver_sql this cost a post ~40 µs.
        conn.connection.driver_connection.execute(f"BEGIN {mode}")  # type: ignore[union-attr]


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def writer(engine: Engine) -> Iterator[Session]:
    """A session for one write transaction: on SQLite it begins IMMEDIATE (takes the write
    lock up front); commits on success, rolls back on any exception."""
    bind = engine.execution_options(sqlite_begin="IMMEDIATE") if is_sqlite(engine) else engine
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def write_connection(engine: Engine) -> Iterator[tuple[Connection, Session]]:
    """The posting path's :func:`writer`: a Core connection in one write transaction (BEGIN
    IMMEDIATE on SQLite), committed on success and rolled back on any exception, with an ORM
    session joined to that transaction for the rare reads that want one. Skipping the
    session's own unit of work saves a post about a fifth of a millisecond (profiled).
    The caller may commit earlier itself (``connection.commit()``), e.g. under its own lock."""
    with engine.connect() as connection:  # closing it rolls back an uncommitted transaction
        if is_sqlite(engine):  # on the connection: a new Engine per call cost ~15 µs
            connection.execution_options(sqlite_begin="IMMEDIATE")
        transaction = connection.begin()
        with Session(bind=connection, expire_on_commit=False, autoflush=False) as session:
            yield connection, session
        if transaction.is_active:
            transaction.commit()


@contextmanager
def reader(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


def alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (default: the newest). Safe to call on every start."""
    if revision == "head" and schema_revision(engine) == SCHEMA_HEAD:
        return
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def schema_revision(engine: Engine) -> str | None:
    """The database's Alembic revision, or None for an empty database."""
    with engine.connect() as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except Exception:
            conn.rollback()
            return None
