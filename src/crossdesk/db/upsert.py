"""INSERT ... ON CONFLICT DO NOTHING for SQLite and PostgreSQL.

Duplicates are refused by the database's unique constraints, not by a prior lookup,
so two concurrent deliveries of the same webhook still store one row.
"""

from functools import cache
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.dml import Insert


@cache
def _statement(table: Table, dialect: str) -> Insert:
    """Built once per table and dialect; values travel as parameters, so the compiled
    statement is reused (building it per row cost more than running it)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    key = table.c[next(iter(table.primary_key)).name]
    return insert(table).on_conflict_do_nothing().returning(key)


async def insert_ignore(
    session: AsyncSession, model: type[DeclarativeBase], values: dict[str, Any]
) -> bool:
    """Insert one row; return False (and change nothing) if a unique constraint refused it.

    ``values`` must name every column that has no server default.
    """
    table = cast(Table, model.__table__)
    connection = await session.connection()  # Core, not the ORM: this is a hot path
    statement = _statement(table, connection.dialect.name)
    result = await connection.execute(statement, values)
    return result.first() is not None
