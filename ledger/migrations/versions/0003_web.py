"""the web: server-side sessions, the login throttle in the database, stored notices, tokens
scoped to a community

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

String = sqlmodel.sql.sqltypes.AutoString
When = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("apitoken", schema=None) as batch_op:
        batch_op.add_column(sa.Column("community_id", String(length=36), nullable=True))
        batch_op.create_foreign_key(
            "fk_apitoken_community_id_community", "community", ["community_id"], ["id"]
        )
    op.create_table(
        "usersession",
        sa.Column("id", String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf", String(length=64), nullable=False),
        sa.Column("created_at", When(), nullable=False),
        sa.Column("last_seen_at", When(), nullable=False),
        sa.Column("expires_at", When(), nullable=False),
        sa.Column("address", String(length=100), nullable=True),
        sa.Column("ended_at", When(), nullable=True),
        sa.Column("ended_why", String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("usersession", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_usersession_user_id"), ["user_id"])
    op.create_table(
        "loginfailure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", String(length=100), nullable=False),
        sa.Column("address", String(length=100), nullable=True),
        sa.Column("at", When(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("loginfailure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loginfailure_username"), ["username"])
        batch_op.create_index(batch_op.f("ix_loginfailure_address"), ["address"])
        batch_op.create_index(batch_op.f("ix_loginfailure_at"), ["at"])
    op.create_table(
        "storednotice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", String(length=36), nullable=False),
        sa.Column("period", String(length=30), nullable=False),
        sa.Column("format", String(length=10), nullable=False),
        sa.Column("lang", String(length=5), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", String(length=64), nullable=False),
        sa.Column("head_seq", sa.Integer(), nullable=False),
        sa.Column("created_at", When(), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("community_id", "period", "format", "lang"),
    )
    with op.batch_alter_table("storednotice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_storednotice_community_id"), ["community_id"])


def downgrade() -> None:
    with op.batch_alter_table("storednotice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_storednotice_community_id"))
    op.drop_table("storednotice")
    with op.batch_alter_table("loginfailure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loginfailure_at"))
        batch_op.drop_index(batch_op.f("ix_loginfailure_address"))
        batch_op.drop_index(batch_op.f("ix_loginfailure_username"))
    op.drop_table("loginfailure")
    with op.batch_alter_table("usersession", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_usersession_user_id"))
    op.drop_table("usersession")
    with op.batch_alter_table("apitoken", schema=None) as batch_op:
        batch_op.drop_constraint("fk_apitoken_community_id_community", type_="foreignkey")
        batch_op.drop_column("community_id")
