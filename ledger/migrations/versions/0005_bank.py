"""bank statements and documents: imported statement lines (matched, proposed or dismissed),
uploaded documents stored by SHA-256, and their links to entries and resolutions

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

String = sqlmodel.sql.sqltypes.AutoString
When = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "bankline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", String(length=36), nullable=False),
        sa.Column("account", String(length=200), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("balance_fen", sa.BigInteger(), nullable=False),
        sa.Column("counterparty", String(length=200), nullable=False),
        sa.Column("reference", String(length=100), nullable=False),
        sa.Column("memo", String(length=500), nullable=False),
        sa.Column("status", String(length=10), nullable=False),
        sa.Column("entry_id", String(length=36), nullable=True),
        sa.Column("dismissed_reason", String(length=1000), nullable=True),
        sa.Column("source", String(length=200), nullable=False),
        sa.Column("imported_by", String(length=100), nullable=False),
        sa.Column("imported_at", When(), nullable=False),
        sa.Column("decided_by", String(length=100), nullable=True),
        sa.Column("decided_at", When(), nullable=True),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.ForeignKeyConstraint(["entry_id"], ["entry.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("community_id", "account", "date", "reference", "amount_fen"),
    )
    with op.batch_alter_table("bankline", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bankline_community_account_date", ["community_id", "account", "date"]
        )
        batch_op.create_index(batch_op.f("ix_bankline_entry_id"), ["entry_id"])
    op.create_table(
        "document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", String(length=36), nullable=False),
        sa.Column("sha256", String(length=64), nullable=False),
        sa.Column("name", String(length=200), nullable=False),
        sa.Column("type", String(length=40), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", String(length=100), nullable=False),
        sa.Column("uploaded_at", When(), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("community_id", "sha256"),
    )
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_community_id"), ["community_id"])
    op.create_table(
        "documentlink",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", String(length=36), nullable=True),
        sa.Column("resolution", String(length=40), nullable=True),
        sa.Column("linked_by", String(length=100), nullable=False),
        sa.Column("linked_at", When(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"]),
        sa.ForeignKeyConstraint(["entry_id"], ["entry.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("document_id", "entry_id", "resolution"),
    )
    with op.batch_alter_table("documentlink", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_documentlink_document_id"), ["document_id"])
        batch_op.create_index(batch_op.f("ix_documentlink_entry_id"), ["entry_id"])


def downgrade() -> None:
    with op.batch_alter_table("documentlink", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documentlink_entry_id"))
        batch_op.drop_index(batch_op.f("ix_documentlink_document_id"))
    op.drop_table("documentlink")
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_community_id"))
    op.drop_table("document")
    with op.batch_alter_table("bankline", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bankline_entry_id"))
        batch_op.drop_index("ix_bankline_community_account_date")
    op.drop_table("bankline")
