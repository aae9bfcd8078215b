"""Alembic environment: runs migrations on the async engine given by crossdesk.db.migrate."""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from crossdesk.db import models  # noqa: F401  (registers every table on Base.metadata)
from crossdesk.db.base import Base
from crossdesk.db.session import make_test_engine
from crossdesk.search.schema import include_object

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,  # the search index lives outside the models
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = make_test_engine(context.config.get_main_option("sqlalchemy.url") or "")
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `crossdesk db upgrade`")
asyncio.run(_run_async())
