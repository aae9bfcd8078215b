"""SQLite for the asyncio stack without a thread per connection.

SQLAlchemy's aiosqlite dialect runs each SQLite call on a helper thread; every call then
costs a thread hop (60–200 µs measured here) while the call itself takes 2–10 µs, which
capped ingest near 80 messages/s. This module gives the same dialect a driver whose
"async" methods run the sqlite3 call inline on the event loop.

That is safe only because the embedded default uses ONE connection (see
``crossdesk.db.session.make_engine``): the pool hands it to one unit of work at a time,
waiting asynchronously, so no SQLite lock wait can happen inside this process. Another
process (a CLI command) holding the write lock makes a call wait up to ``timeout``
seconds on the loop; such commands are short. Units of work must not keep a session open
across slow awaits (engine calls, HTTP): see docs/adr/0002-sqlite-single-connection.md.
"""

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any


class InlineCursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> "InlineCursor":
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> "InlineCursor":
        self._cursor.execute(sql, parameters or ())
        return self

    async def executemany(
        self, sql: str, seq_of_parameters: Iterable[Sequence[Any]]
    ) -> "InlineCursor":
        self._cursor.executemany(sql, seq_of_parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class _RunNow:
    """Stands in for aiosqlite's request queue: SQLAlchemy's dialect puts
    (future, function) pairs on it to change the isolation level."""

    def put_nowait(self, item: tuple[Any, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except Exception as exc:
            future.set_exception(exc)
        else:
            future.set_result(result)


class InlineConnection:
    """The subset of aiosqlite.Connection that SQLAlchemy's aiosqlite dialect uses."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        self._connection: sqlite3.Connection | None = connection
        self._tx = _RunNow()

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._conn.cursor())

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    def stop(self) -> None:
        self._conn.close()
        self._connection = None


def inline_connector(path: str, timeout: float) -> Callable[[], Any]:
    """An ``async_creator`` for ``create_async_engine``."""

    async def connect() -> InlineConnection:
        # isolation_level=None: SQLAlchemy's "begin" hook issues BEGIN itself.
        return InlineConnection(
            sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
        )

    return connect
