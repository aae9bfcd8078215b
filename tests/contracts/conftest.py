"""Fixtures for the channel adapter contract suite: the fake platform servers."""

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # make ``tests.fakes`` importable whatever the import mode
    sys.path.insert(0, str(ROOT))

from tests.fakes.platforms.graph import FakeGraphApi  # noqa: E402
from tests.fakes.platforms.line import FakeLineApi  # noqa: E402
from tests.fakes.platforms.server import RunningServer  # noqa: E402
from tests.fakes.platforms.telegram import FakeTelegramBotApi  # noqa: E402


@pytest.fixture(scope="session")
def fake_servers() -> Iterator[dict[str, tuple[Any, str]]]:
    """The three fake platforms, each served on its own 127.0.0.1 port for the session."""
    fakes: dict[str, Any] = {
        "graph": FakeGraphApi(),
        "telegram": FakeTelegramBotApi(),
        "line": FakeLineApi(),
    }
    servers = {name: RunningServer(fake.app).start() for name, fake in fakes.items()}
    try:
        yield {name: (fakes[name], servers[name].base_url) for name in fakes}
    finally:
        for server in servers.values():
            server.stop()


@pytest.fixture
def platforms(fake_servers: dict[str, tuple[Any, str]]) -> Iterator[dict[str, tuple[Any, str]]]:
    """The fakes, reset to an empty state for each test."""
    for fake, _ in fake_servers.values():
        fake.reset()
    yield fake_servers


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10.0) as http:
        yield http
