"""INSERT ... ON CONFLICT DO NOTHING for SQLite and PostgreSQL.

Duplicates are refused by the database's unique constraints, not by a prior lookup,
so two concurrent deliveries of the same webhook still store one row.
"""

from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase


async def insert_ignore(
    session: AsyncSession, model: type[DeclarativeBase], values: dict[str, Any]
) -> bool:
    """Insert one row; return False (and change nothing) if a unique constraint refused it."""
    dialect = session.get_bind().dialect.name
    table = cast(Table, model.__table__)
    if dialect == "postgresql":
        statement: Any = postgresql.insert(table).values(**values).on_conflict_do_nothing()
    else:
        statement = sqlite.insert(table).values(**values).on_conflict_do_nothing()
    result = await session.execute(statement.returning(table.c[next(iter(table.primary_key)).name]))
    return result.first() is not None
