"""sealed books: a start date per community, the audit trail's hash chain, rules in the database

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30

Existing communities start on the first day of the year of their first entry (or of their
creation when they have none). Existing events of each community are chained in the order
they were written (by id), as new ones are chained when written.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("community", schema=None) as batch_op:
        batch_op.add_column(sa.Column("start_date", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("event_seq", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("event_head", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("prev_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(
            sa.Column("hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.create_unique_constraint("uq_event_community_id_seq", ["community_id", "seq"])
    op.create_table(
        "rulestext",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("set_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("set_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("community_id", "number"),
    )
    with op.batch_alter_table("rulestext", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rulestext_community_id"), ["community_id"])
    _start_dates()
    _chain_events()


def _start_dates() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT c.id, c.created_at, MIN(e.date) FROM community c "
            "LEFT JOIN entry e ON e.community_id = c.id GROUP BY c.id, c.created_at"
        )
    ).all()
    for community_id, created_at, first in rows:
        year = int(str(first or created_at)[:4])
        connection.execute(
            sa.text("UPDATE community SET start_date = :start WHERE id = :id"),
            {"start": f"{year:04d}-01-01", "id": community_id},
        )


def _chain_events() -> None:
    """Chain each community's existing events, in id order (the order they were written), and
    set the community's event head. This uses the running code's rule (``ledger.events.link``
    and ``text``) rather than a copy frozen here: that is acceptable because the rule itself is
    frozen, specified in docs/chain.md for verifiers outside this code; changing it would
    break every chain already written, not only the ones this step writes."""
    from ledger import events

    connection = op.get_bind()
    event = sa.table(
        "event",
        sa.column("id", sa.Integer()),
        sa.column("community_id", sa.String()),
        sa.column("at", sqlmodel.sql.sqltypes.UTCDateTime()),
        sa.column("actor", sa.String()),
        sa.column("action", sa.String()),
        sa.column("object_type", sa.String()),
        sa.column("object_id", sa.String()),
        sa.column("address", sa.String()),
        sa.column("details", sa.Text()),
        sa.column("seq", sa.Integer()),
        sa.column("prev_hash", sa.String()),
        sa.column("hash", sa.String()),
    )
    community = sa.table(
        "community",
        sa.column("id", sa.String()),
        sa.column("event_seq", sa.Integer()),
        sa.column("event_head", sa.String()),
    )
    link = (
        sa.update(event)
        .where(event.c.id == sa.bindparam("b_id"))
        .values(
            seq=sa.bindparam("b_seq"),
            prev_hash=sa.bindparam("b_prev_hash"),
            hash=sa.bindparam("b_hash"),
        )
    )
    for (community_id,) in connection.execute(sa.select(community.c.id)).all():
        rows = [
            dict(found._mapping)
            for found in connection.execute(
                sa.select(event).where(event.c.community_id == community_id).order_by(event.c.id)
            )
        ]
        head = events.link(rows, community_id, 0, None)
        if rows:
            connection.execute(
                link,
                [
                    {
                        "b_id": r["id"],
                        "b_seq": r["seq"],
                        "b_prev_hash": r["prev_hash"],
                        "b_hash": r["hash"],
                    }
                    for r in rows
                ],
            )
        connection.execute(
            sa.update(community)
            .where(community.c.id == community_id)
            .values(event_seq=head, event_head=rows[-1]["hash"] if rows else None)
        )


def downgrade() -> None:
    with op.batch_alter_table("rulestext", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rulestext_community_id"))
    op.drop_table("rulestext")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_constraint("uq_event_community_id_seq", type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
    with op.batch_alter_table("community", schema=None) as batch_op:
        batch_op.drop_column("event_head")
        batch_op.drop_column("event_seq")
        batch_op.drop_column("start_date")
