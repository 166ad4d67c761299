"""The people who may use the served pages: ``users`` (name, salt, token hash, KDF).

Only a salted hash of each token is stored (``research_core/pms/users.py``). Written by
hand.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("name", sa.String(length=32), primary_key=True),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=128), nullable=False),
        sa.Column("kdf", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("users")
