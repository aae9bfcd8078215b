"""Engines, sessions, and side effects that run only once a transaction commits."""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import AsyncAdaptedQueuePool, NullPool

from crossdesk.db.sqlite_inline import inline_connector

OnCommit = Callable[[], Awaitable[None]]
READ_ONLY_OPTION = "crossdesk_read_only"
_ON_COMMIT_KEY = "crossdesk_on_commit"


SQLITE_LOCK_TIMEOUT = 10.0


def make_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """Create an engine.

    SQLite (the embedded default) gets ONE connection driven inline on the event loop
    (see crossdesk.db.sqlite_inline), WAL and write-locking transactions. Units of work
    wait for that connection asynchronously; they must not hold a session across slow
    awaits. PostgreSQL gets an ordinary pool.
    """
    if url.startswith("sqlite"):
        engine = create_async_engine(
            url,
            echo=echo,
            async_creator=inline_connector(_sqlite_path(url), SQLITE_LOCK_TIMEOUT),
            poolclass=AsyncAdaptedQueuePool,
            pool_size=1,
            max_overflow=0,
            pool_timeout=30,
        )
        _configure_sqlite(engine)
        return engine
    return create_async_engine(url, echo=echo, pool_size=10, max_overflow=20, pool_pre_ping=True)


def make_test_engine(url: str) -> AsyncEngine:
    """An engine without pooling, for migrations and schema set-up."""
    if url.startswith("sqlite"):
        engine = create_async_engine(
            url,
            poolclass=NullPool,
            async_creator=inline_connector(_sqlite_path(url), SQLITE_LOCK_TIMEOUT),
        )
        _configure_sqlite(engine)
        return engine
    return create_async_engine(url, poolclass=NullPool)


def _sqlite_path(url: str) -> str:
    database = make_url(url).database
    return database or ":memory:"


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (below) instead of pysqlite's deferred BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY_OPTION):
            connection.exec_driver_sql("BEGIN")  # a WAL snapshot; never blocks writers
            return
        # BEGIN IMMEDIATE takes the write lock up front: a deferred transaction that reads
        # and then writes would fail at once with "database is locked" (SQLITE_BUSY_SNAPSHOT)
        # whenever another writer committed in between; waiting for the lock is safe.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for units of work that write."""
    return async_sessionmaker(engine, expire_on_commit=False)


def make_read_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that only read. On SQLite they take no write lock; elsewhere they are
    ordinary sessions."""
    return async_sessionmaker(
        engine.execution_options(**{READ_ONLY_OPTION: True}), expire_on_commit=False
    )


def on_commit(session: AsyncSession, callback: OnCommit) -> None:
    """Run ``callback`` after the session's transaction commits; never on rollback."""
    session.info.setdefault(_ON_COMMIT_KEY, []).append(callback)


async def commit(session: AsyncSession) -> None:
    """Commit, then run the side effects scheduled with :func:`on_commit`."""
    callbacks: list[OnCommit] = session.info.pop(_ON_COMMIT_KEY, [])
    await session.commit()
    for callback in callbacks:
        await callback()


async def rollback(session: AsyncSession) -> None:
    session.info.pop(_ON_COMMIT_KEY, None)
    await session.rollback()


@asynccontextmanager
async def transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A unit of work: commits (then runs on-commit effects) or rolls back on error."""
    async with sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await rollback(session)
            raise
        await commit(session)
