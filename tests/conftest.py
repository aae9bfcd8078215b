"""Shared fixtures: databases (SQLite and the real PostgreSQL), services, app and clients.

PostgreSQL and Redis come from CROSSDESK_TEST_POSTGRES_URL / CROSSDESK_TEST_REDIS_URL
(`make test` sets both). When a URL is set but the server is unreachable the tests
fail; they are skipped only when the URL is unset outside CI.
"""

import asyncio
import os
import secrets
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest
from argon2 import PasswordHasher
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.factories import DemoWorld, build_world

from crossdesk.actions.identity import use_password_hasher
from crossdesk.config import Settings
from crossdesk.db.migrate import upgrade
from crossdesk.db.session import make_test_engine
from crossdesk.services import Services, build_services
from crossdesk.web.app import create_app

# Cheap argon2id parameters: the suite hashes many passwords; production keeps the defaults.
use_password_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _required_url(name: str) -> str:
    url = os.environ.get(name)
    if url:
        return url
    if os.environ.get("CI") == "true":
        pytest.fail(f"{name} is not set under CI=true: the suite must run against the real server")
    pytest.skip(f"{name} not set (make test sets it)")


@pytest.fixture(scope="session")
def postgres_base_url() -> str:
    return _required_url("CROSSDESK_TEST_POSTGRES_URL")


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = _required_url("CROSSDESK_TEST_REDIS_URL")
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), 2).close()
    except OSError as exc:
        pytest.fail(f"Redis at {parts.hostname}:{parts.port} is unreachable: {exc}")
    return url


@pytest.fixture(scope="session")
def postgres_database(postgres_base_url: str) -> Iterator[str]:
    """A fresh database on the real server, migrated once for the whole session."""
    parts = urlsplit(postgres_base_url)
    admin_dsn = f"postgresql://{parts.netloc}{parts.path}"
    name = f"crossdesk_test_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL at {parts.netloc} is unreachable: {exc}")
    url = f"postgresql+psycopg://{parts.netloc}/{name}"
    upgrade(url)
    yield url
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _truncate_postgres(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        tables = (
            await conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version'"
                )
            )
        ).scalars()
        names = ", ".join(f'"{t}"' for t in tables)
        await conn.execute(text(f"TRUNCATE {names} CASCADE"))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        upgrade(url)
        return url
    url: str = request.getfixturevalue("postgres_database")
    engine = make_test_engine(url)
    asyncio.run(_truncate_postgres(engine))
    asyncio.run(engine.dispose())
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    upgrade(url)
    return url


def make_settings(tmp_path: Path, database_url: str, **overrides: object) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        secret_key="test-" + secrets.token_hex(16),  # type: ignore[arg-type]
        run_workers=False,
        **overrides,  # type: ignore[arg-type]
    )


@pytest.fixture
async def services(tmp_path: Path, database_url: str) -> AsyncIterator[Services]:
    built = build_services(make_settings(tmp_path, database_url))
    yield built
    await built.close()


@pytest.fixture
async def sqlite_services(tmp_path: Path, sqlite_url: str) -> AsyncIterator[Services]:
    built = build_services(make_settings(tmp_path, sqlite_url))
    yield built
    await built.close()


@pytest.fixture
async def world(services: Services) -> DemoWorld:
    return await build_world(services)


@pytest.fixture
async def app_world(sqlite_services: Services) -> DemoWorld:
    return await build_world(sqlite_services)


@pytest.fixture
def app(sqlite_services: Services) -> object:
    return create_app(sqlite_services.settings, services=sqlite_services)


@pytest.fixture
async def client(app: object) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def redis_services(
    tmp_path: Path, sqlite_url: str, redis_url: str
) -> AsyncIterator[Services]:
    built = build_services(make_settings(tmp_path, sqlite_url, redis_url=redis_url))
    yield built
    await built.close()
