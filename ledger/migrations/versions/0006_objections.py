"""objections under a published notice (异议), and the daily counters that limit them

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

String = sqlmodel.sql.sqltypes.AutoString
When = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "objection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", String(length=36), nullable=False),
        sa.Column("period", String(length=10), nullable=False),
        sa.Column("unit", String(length=40), nullable=False),
        sa.Column("contact", String(length=100), nullable=True),
        sa.Column("concerns", String(length=200), nullable=False),
        sa.Column("text", String(length=2000), nullable=False),
        sa.Column("status", String(length=10), nullable=False),
        sa.Column("filed_at", When(), nullable=False),
        sa.Column("answer_due", sa.Date(), nullable=False),
        sa.Column("answer", String(length=2000), nullable=True),
        sa.Column("answered_by", String(length=100), nullable=True),
        sa.Column("answered_at", When(), nullable=True),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("contact_until", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("objection", schema=None) as batch_op:
        batch_op.create_index("ix_objection_community_period", ["community_id", "period"])
    op.create_table(
        "objectioncount",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", String(length=36), nullable=False),
        sa.Column("scope", String(length=10), nullable=False),
        sa.Column("key", String(length=100), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("community_id", "scope", "key", "day"),
    )


def downgrade() -> None:
    op.drop_table("objectioncount")
    with op.batch_alter_table("objection", schema=None) as batch_op:
        batch_op.drop_index("ix_objection_community_period")
    op.drop_table("objection")
