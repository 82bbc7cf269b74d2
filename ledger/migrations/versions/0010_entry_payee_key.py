"""entries carry their payee's key (NFKC, case-folded, without white space: the form in which
the four-eyes rule compares payees, ``ledger.four_eyes.payee_key``), indexed with the
community, kind and date, so the approval window's query reads only the spending to the same
payee instead of all spending within the window (one read of thousands of rows per spending
post at 100,000 entries)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

String = sqlmodel.sql.sqltypes.AutoString
INDEX = "ix_entry_community_kind_payee_date"


def _key(payee: str) -> str:
    """``ledger.four_eyes.payee_key`` as it stands at this revision."""
    return "".join(unicodedata.normalize("NFKC", payee).casefold().split())


def upgrade() -> None:
    # A plain ADD COLUMN, also on SQLite (batch mode would copy ``entry``, which other tables
    # reference, with foreign keys enforced)
    op.add_column(
        "entry", sa.Column("payee_key", String(length=200), nullable=False, server_default="")
    )
    bind = op.get_bind()
    entry = sa.table("entry", sa.column("id"), sa.column("payee"), sa.column("payee_key"))
    rows = bind.execute(sa.select(entry.c.id, entry.c.payee)).all()
    keyed: dict[str, list[str]] = {}
    for entry_id, payee in rows:
        keyed.setdefault(_key(payee), []).append(entry_id)
    for key, ids in keyed.items():
        for start in range(0, len(ids), 500):
            bind.execute(
                sa.update(entry)
                .where(entry.c.id.in_(ids[start : start + 500]))
                .values(payee_key=key)
            )
    op.create_index(INDEX, "entry", ["community_id", "kind", "payee_key", "date"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="entry")
    op.drop_column("entry", "payee_key")  # SQLite 3.35 and newer drop a column in place
