"""The migrations build exactly the schema the models describe, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

import crossdesk.db.models  # noqa: F401  (registers every table)
from crossdesk.db.base import Base
from crossdesk.db.migrate import alembic_config
from crossdesk.db.session import make_test_engine
from crossdesk.search.schema import include_object


def _diff(connection: Connection) -> list[object]:
    # The search index (tsvector column, FTS5 tables) has no portable model: skipped.
    context = MigrationContext.configure(connection, opts={"include_object": include_object})
    return list(compare_metadata(context, Base.metadata))


async def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = make_test_engine(database_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_diff) == []
    finally:
        await engine.dispose()


def test_one_migration_head() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite:///:memory:"))
    assert len(script.get_heads()) == 1
