"""An engine that is down never blocks a message: stored as pending, translated later.

The engine is the OpenAI-compatible client against the local fake server, which first does
not listen at all (connection refused) and then comes up on the same port.
"""

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import select, update
from tests.conftest import make_settings
from tests.factories import build_world, inbound, receive
from tests.fakes.translation import engines as fake

from crossdesk.actions.translation_usage import set_quota
from crossdesk.db.models import Conversation, Message, TranslationUsage
from crossdesk.db.session import transaction
from crossdesk.events import Event
from crossdesk.pipeline.translation_store import TranslationStore, month_start, today
from crossdesk.risk import audit
from crossdesk.services import Services, build_services
from crossdesk.translation import TranslationConfig
from crossdesk.translation.factory import EngineSpec
from crossdesk.workers.translation import TranslationWorker

SPANISH = "Hola, ¿dónde está mi pedido? Lo compré hace dos semanas y todavía no llegó."


@contextmanager
def fake_server_on(port: int) -> Iterator[fake.FakeState]:
    state = fake.FakeState()
    config = uvicorn.Config(
        fake.create_app(state), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "fake engine server did not start"
        time.sleep(0.01)
    try:
        yield state
    finally:
        server.should_exit = True
        thread.join(timeout=5)


@pytest.fixture
def engine_port() -> int:
    return fake.free_port()


@pytest.fixture
async def engine_services(
    tmp_path: Path, database_url: str, engine_port: int
) -> AsyncIterator[Services]:
    config = TranslationConfig(
        engines=(
            EngineSpec(
                "deepseek",
                "deepseek",
                {
                    "api_key": fake.OPENAI_KEY,
                    "base_url": f"http://127.0.0.1:{engine_port}/openai/v1",
                },
            ),
        ),
        attempts=1,
        timeout=5.0,
    )
    built = build_services(make_settings(tmp_path, database_url), translation=config)
    yield built
    await built.close()


async def _message(services: Services) -> Message:
    async with services.read_sessionmaker() as session:
        message: Message | None = await session.scalar(select(Message))
        assert message is not None
        return message


async def test_engine_down_stores_pending_then_worker_translates_when_it_is_back(
    engine_services: Services, engine_port: int
) -> None:
    services = engine_services
    world = await build_world(services)
    await receive(services, world.account_a, inbound(SPANISH))

    message = await _message(services)
    assert message.translation_status == "pending"
    assert message.translation is None
    assert message.translation_language == "zh-Hans"
    assert message.translation_note is not None
    assert message.translation_note.startswith("translation pending, retried automatically")

    now = [0.0]
    worker = TranslationWorker(services, base_delay=10.0, max_delay=40.0, clock=lambda: now[0])
    assert await worker.run_once() == 0  # still down: backs off
    assert worker.backoff_of(message.id) == 1
    assert (await _message(services)).translation_status == "pending"
    assert await worker.run_once() == 0  # not due yet: the engine is not even asked
    assert worker.backoff_of(message.id) == 1

    events: list[Event] = []

    async def listen() -> None:
        async for event in services.bus.subscribe(world.workspace_id):
            events.append(event)

    listener = asyncio.create_task(listen())
    await asyncio.sleep(0)
    try:
        with fake_server_on(engine_port) as state:
            now[0] = 11.0
            assert await worker.run_once() == 1
            assert state.calls("openai") == 1
            # Engines see the tokenized text, never the raw body's personal data.
            assert "pedido" in str(state.requests["openai"][0]["body"])
        for _ in range(100):
            if events:
                break
            await asyncio.sleep(0.01)
    finally:
        listener.cancel()
        with pytest.raises(asyncio.CancelledError):
            await listener

    message = await _message(services)
    assert message.translation_status == "translated"
    assert message.translation_engine == "deepseek"
    assert message.translation is not None and "谢谢" in message.translation
    assert message.stage_notes["translate"] == "translated by deepseek"
    assert worker.backoff_of(message.id) == 0
    assert [e.type for e in events] == ["message.updated"]
    assert events[0].data == {"message_id": message.id, "translation_status": "translated"}
    async with services.read_sessionmaker() as session:
        conversation = await session.get(Conversation, message.conversation_id)
        assert conversation is not None
        assert conversation.last_message_preview == message.translation[:200]
    assert await worker.run_once() == 0  # nothing pending any more


async def test_no_engine_for_the_pair_is_not_pending(services: Services) -> None:
    world = await build_world(services)
    await receive(services, world.account_a, inbound(SPANISH))
    message = await _message(services)
    assert message.translation_status == "not_translated"
    assert message.translation_note is not None and "no engine" in message.translation_note
    assert await TranslationWorker(services).run_once() == 0


async def test_messages_skipped_for_the_quota_wait_and_translate_when_it_resets(
    engine_services: Services, engine_port: int
) -> None:
    services = engine_services
    world = await build_world(services)
    month = month_start(today())
    async with transaction(services.sessionmaker) as session:
        await set_quota(session, world.workspace_id, 10, audit.SYSTEM)
        session.add(
            TranslationUsage(
                workspace_id=world.workspace_id,
                day=today(),
                engine="deepseek",
                user_id="",
                characters=50,
                requests=1,
            )
        )
    with fake_server_on(engine_port) as state:
        await receive(services, world.account_a, inbound(SPANISH))
        message = await _message(services)
        assert state.calls("openai") == 0  # the quota skipped the paid engine
        assert message.translation_status == "pending"
        assert message.translation_note is not None
        assert "monthly translation quota reached" in message.translation_note

        now = [0.0]
        worker = TranslationWorker(services, base_delay=10.0, max_delay=40.0, clock=lambda: now[0])
        assert await worker.run_once() == 0  # still over the quota: waits, no engine call
        assert state.calls("openai") == 0
        assert worker.backoff_of(message.id) == 1
        assert (await _message(services)).translation_status == "pending"

        # The month turns: this month's usage becomes last month's.
        async with transaction(services.sessionmaker) as session:
            await session.execute(update(TranslationUsage).values(day=month - timedelta(days=1)))
        store = getattr(services.translator, "store", None)
        assert isinstance(store, TranslationStore)
        store.forget_quota(world.workspace_id)  # the verdict is re-read every 10 s anyway
        now[0] = 11.0
        assert await worker.run_once() == 1
        assert state.calls("openai") == 1

    message = await _message(services)
    assert message.translation_status == "translated"
    assert message.translation_engine == "deepseek"
    assert message.translation_note is None or "quota" not in message.translation_note
    assert worker.backoff_of(message.id) == 0


class _NotedMeanwhile(TranslationWorker):
    """A worker during whose engine call another worker notes something on the message."""

    async def _retranslate(self, row: Any) -> Any:
        draft = await super()._retranslate(row)
        async with transaction(self._services.sessionmaker) as session:
            message = await session.get(Message, row.id)
            assert message is not None
            message.stage_notes = {
                **(message.stage_notes or {}),
                "attachments": {"att1": "refused: the file has 99 bytes; the limit is 10"},
            }
        return draft


async def test_storing_a_late_translation_keeps_notes_written_meanwhile(
    engine_services: Services, engine_port: int
) -> None:
    services = engine_services
    world = await build_world(services)
    await receive(services, world.account_a, inbound(SPANISH))
    worker = _NotedMeanwhile(services, base_delay=10.0, max_delay=40.0, clock=lambda: 0.0)
    with fake_server_on(engine_port):
        assert await worker.run_once() == 1
    message = await _message(services)
    assert message.translation_status == "translated"
    assert message.stage_notes["translate"] == "translated by deepseek"
    # the give-up noted while the engine was busy is not overwritten by the worker's copy
    assert message.stage_notes["attachments"] == {
        "att1": "refused: the file has 99 bytes; the limit is 10"
    }
