"""Persistence: SQLAlchemy 2.0 typed models, async sessions and Alembic migrations."""
