"""Alembic revisions of the PMS schema (run by ``research_core.pms.db.upgrade``)."""
