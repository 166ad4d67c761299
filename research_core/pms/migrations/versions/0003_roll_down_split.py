"""Split roll-down out of carry: ``positions.last_roll`` and ``pnl_history.roll_local``.

Attribution reports carry and roll-down separately; rows marked before this revision get
a roll-down of 0 (their carry keeps the whole amount, so totals are unchanged).
Written by hand.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 09:25:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_roll", sa.Float(), nullable=False, server_default="0"))
    with op.batch_alter_table("pnl_history", schema=None) as batch_op:
        batch_op.add_column(sa.Column("roll_local", sa.Float(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("pnl_history", schema=None) as batch_op:
        batch_op.drop_column("roll_local")
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.drop_column("last_roll")
