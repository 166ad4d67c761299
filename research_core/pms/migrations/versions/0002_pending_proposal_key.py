"""One pending proposal per instrument and side, enforced by the database.

``trade_proposals.pending_key`` is ``"<instrument>:<side>"`` while a proposal is pending
(PROPOSED, APPROVED, MODIFIED) and NULL once it is decided for good; a unique index on it
refuses a second pending proposal even from a writer that skipped the check in code.
Existing rows are back-filled from their state. Written by hand.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 09:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("trade_proposals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending_key", sa.String(length=48), nullable=True))
    op.execute(
        "UPDATE trade_proposals SET pending_key = instrument_id || ':' || CAST(side AS VARCHAR) "
        "WHERE state IN ('PROPOSED', 'APPROVED', 'MODIFIED')"
    )
    with op.batch_alter_table("trade_proposals", schema=None) as batch_op:
        batch_op.create_index("ux_trade_proposals_pending", ["pending_key"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("trade_proposals", schema=None) as batch_op:
        batch_op.drop_index("ux_trade_proposals_pending")
        batch_op.drop_column("pending_key")
