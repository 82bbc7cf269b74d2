"""keyed by community: postings, allocation lines, ballots and document links carry their
community's id (filled from the parent row: the entry, the resolution, the document), and the
index that found them by their parent carries it after the parent's key, so every query of the
posting path can name the community (docs/deploy.md, "Distributing by community on Citus").
The parent's key comes first: led by the community, SQLite's planner started the four-eyes
window's query from all of the community's postings instead of from its entries in the window
(a scan per post: bulk posting fell from thousands a second to tens at 100,000 entries)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

String = sqlmodel.sql.sqltypes.AutoString

#: table: (its parent's key column, the parent table, the old indexes by parent: name and
#: column, the new ones: name and columns)
TABLES: dict[str, tuple[str, str, tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]] = {
    "posting": (
        "entry_id",
        "entry",
        (("ix_posting_entry_id", "entry_id"),),
        (("ix_posting_entry_community", "entry_id"),),
    ),
    "allocationline": (
        "entry_id",
        "entry",
        (("ix_allocationline_entry_id", "entry_id"),),
        (("ix_allocationline_entry_community", "entry_id"),),
    ),
    "ballot": (
        "resolution_id",
        "resolution",
        (("ix_ballot_resolution_id", "resolution_id"),),
        (("ix_ballot_resolution_community", "resolution_id"),),
    ),
    "documentlink": (
        "document_id",
        "document",
        (
            ("ix_documentlink_document_id", "document_id"),
            ("ix_documentlink_entry_id", "entry_id"),
        ),
        (
            ("ix_documentlink_document_community", "document_id"),
            ("ix_documentlink_entry_community", "entry_id"),
        ),
    ),
}


def _foreign_key(table: str) -> str:
    """The name PostgreSQL would give the new foreign key (SQLite's batch mode needs one)."""
    return f"{table}_community_id_fkey"


def upgrade() -> None:
    for table, (parent_key, parent, old, new) in TABLES.items():
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("community_id", String(length=36), nullable=True))
        op.execute(
            sa.text(
                f"UPDATE {table} SET community_id = (SELECT {parent}.community_id FROM {parent} "
                f"WHERE {parent}.id = {table}.{parent_key})"
            )
        )
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column("community_id", existing_type=String(length=36), nullable=False)
            batch_op.create_foreign_key(_foreign_key(table), "community", ["community_id"], ["id"])
            for name, _column in old:
                batch_op.drop_index(name)
            for name, column in new:
                batch_op.create_index(name, [column, "community_id"])


def downgrade() -> None:
    for table, (_parent_key, _parent, old, new) in TABLES.items():
        with op.batch_alter_table(table) as batch_op:
            for name, _column in new:
                batch_op.drop_index(name)
            for name, column in old:
                batch_op.create_index(name, [column])
            batch_op.drop_constraint(_foreign_key(table), type_="foreignkey")
            batch_op.drop_column("community_id")
