"""Alembic environment: the engine comes from ``ledger.db.migrate`` (never from a config file),
so the same migrations run on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import ledger.models  # noqa: F401  (registers the tables on SQLModel.metadata)

engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
