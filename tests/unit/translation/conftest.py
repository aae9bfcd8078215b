from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

# The fakes live in tests/fakes/; make the repository root importable under plain `pytest`.
_ROOT = str(Path(__file__).resolve().parents[3])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.fakes.translation.engines import FakeState, serve  # noqa: E402


@pytest.fixture(scope="session")
def _fake_server() -> Iterator[tuple[FakeState, str]]:
    state = FakeState()
    with serve(state) as url:
        yield state, url


@pytest.fixture
def fake_state(_fake_server: tuple[FakeState, str]) -> Iterator[FakeState]:
    state, _url = _fake_server
    state.reset()
    yield state
    state.reset()


@pytest.fixture
def fake_url(_fake_server: tuple[FakeState, str], fake_state: FakeState) -> str:
    return _fake_server[1]


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0) as http:
        yield http
