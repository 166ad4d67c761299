"""Alembic environment: runs on the connection ``pms.db.upgrade`` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from research_core.pms.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # `alembic` CLI use (e.g. autogenerate): a URL from -x url=...
    url = context.get_x_argument(as_dictionary=True).get("url", "sqlite://")
    with create_engine(url).connect() as conn:
        context.configure(connection=conn, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
