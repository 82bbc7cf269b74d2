"""documents behind contracts: a document link may name a contract (by its number, as entries
cite it) beside an entry or a resolution, and the link's unique constraint covers it

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

String = sqlmodel.sql.sqltypes.AutoString

OLD = ("document_id", "entry_id", "resolution")
NEW = (*OLD, "contract")
#: SQLite keeps 0005's constraint unnamed; batch mode reflects it under this convention's name.
CONVENTION = {"uq": "uq_%(table_name)s_%(column_0_N_name)s"}


def _named(columns: tuple[str, ...]) -> str:
    """The name PostgreSQL gives a unique constraint on ``columns`` of documentlink (batch mode
    on SQLite needs one too)."""
    return "_".join(("documentlink", *columns, "key"))


def _name(columns: tuple[str, ...]) -> str:
    """The unique constraint's name on ``columns``: the database's own (PostgreSQL names it),
    else the convention's (an unnamed SQLite constraint, as batch mode reflects it)."""
    for found in sa.inspect(op.get_bind()).get_unique_constraints("documentlink"):
        if tuple(found["column_names"]) == columns and found["name"]:
            return str(found["name"])
    return CONVENTION["uq"] % {
        "table_name": "documentlink",
        "column_0_N_name": "_".join(columns),
    }


def upgrade() -> None:
    old = _name(OLD)
    with op.batch_alter_table("documentlink", naming_convention=CONVENTION) as batch_op:
        batch_op.add_column(sa.Column("contract", String(length=40), nullable=True))
        batch_op.drop_constraint(old, type_="unique")
        batch_op.create_unique_constraint(_named(NEW), list(NEW))


def downgrade() -> None:
    new = _name(NEW)
    op.execute(sa.text("DELETE FROM documentlink WHERE contract IS NOT NULL"))
    with op.batch_alter_table("documentlink", naming_convention=CONVENTION) as batch_op:
        batch_op.drop_constraint(new, type_="unique")
        batch_op.create_unique_constraint(_named(OLD), list(OLD))
        batch_op.drop_column("contract")
