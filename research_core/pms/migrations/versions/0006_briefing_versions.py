"""Briefing versions: a forced re-run of a day stores its Morning Pack as version N+1.

``daily_briefings`` gets ``version`` (1 for every existing row) and ``previous_id`` (the
version it revises); the unique key moves from ``as_of`` to ``(as_of, version)``. Rows are
only added, so the audit's row images of existing briefings stay true. Written by hand.

Revision ID: 0006_briefing_versions
Revises: 0005_alerts
Create Date: 2026-12-07 07:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_briefing_versions"
down_revision = "0005_alerts"
branch_labels = None
depends_on = None

# SQLite reflects the unnamed unique key of 0001 without a name: this names it.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _as_of_key() -> str:
    found = sa.inspect(op.get_bind()).get_unique_constraints("daily_briefings")
    names = [u["name"] for u in found if u["column_names"] == ["as_of"]]
    return names[0] if names and names[0] else "uq_daily_briefings_as_of"


def upgrade() -> None:
    key = _as_of_key()
    with op.batch_alter_table("daily_briefings", naming_convention=NAMING) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("previous_id", sa.Integer(), nullable=True))
        batch_op.drop_constraint(key, type_="unique")
        batch_op.create_unique_constraint("uq_daily_briefings_version", ["as_of", "version"])


def downgrade() -> None:
    with op.batch_alter_table("daily_briefings", naming_convention=NAMING) as batch_op:
        batch_op.drop_constraint("uq_daily_briefings_version", type_="unique")
        batch_op.create_unique_constraint("uq_daily_briefings_as_of", ["as_of"])
        batch_op.drop_column("previous_id")
        batch_op.drop_column("version")
