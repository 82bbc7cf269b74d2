"""income contracts, the contract a receipt cites, and the budget's lines

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

String = sqlmodel.sql.sqltypes.AutoString
When = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contract", String(length=40), nullable=True))
    op.create_table(
        "contract",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", String(length=36), nullable=False),
        sa.Column("number", String(length=40), nullable=False),
        sa.Column("counterparty", String(length=200), nullable=False),
        sa.Column("space", String(length=200), nullable=False),
        sa.Column("kind", String(length=20), nullable=False),
        sa.Column("resolution", String(length=40), nullable=True),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("deposit_fen", sa.BigInteger(), nullable=False),
        sa.Column("every", String(length=10), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("due_day", sa.Integer(), nullable=False),
        sa.Column("in_advance", sa.Boolean(), nullable=False),
        sa.Column("income_account", String(length=200), nullable=False),
        sa.Column("manager_share", String(length=10), nullable=True),
        sa.Column("created_by", String(length=100), nullable=False),
        sa.Column("created_at", When(), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("community_id", "number"),
    )
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contract_community_id"), ["community_id"])
    op.create_table(
        "budgetline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", String(length=36), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("resolution", String(length=40), nullable=False),
        sa.Column("account", String(length=200), nullable=False),
        sa.Column("period", String(length=10), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("set_by", String(length=100), nullable=False),
        sa.Column("set_at", When(), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("community_id", "year", "version", "account", "period"),
    )
    with op.batch_alter_table("budgetline", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_budgetline_community_id"), ["community_id"])


def downgrade() -> None:
    with op.batch_alter_table("budgetline", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_budgetline_community_id"))
    op.drop_table("budgetline")
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_community_id"))
    op.drop_table("contract")
    with op.batch_alter_table("entry", schema=None) as batch_op:
        batch_op.drop_column("contract")
