"""Database translation cache, translation memory, character usage and quotas.

The engine is the OpenAI-compatible client against the local fake server.
"""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from tests.conftest import make_settings
from tests.factories import DemoWorld, bearer, build_world, inbound, receive
from tests.fakes.translation import engines as fake

from crossdesk.actions.compose import preview_reply
from crossdesk.actions.identity import principal_for
from crossdesk.actions.send_reply import send_reply
from crossdesk.db.models import (
    Conversation,
    Message,
    TranslationCacheEntry,
    TranslationMemory,
    TranslationQuota,
    TranslationUsage,
)
from crossdesk.db.session import commit
from crossdesk.domain import new_id
from crossdesk.pipeline.engines import RouterTranslator
from crossdesk.risk import audit
from crossdesk.services import Services, build_services
from crossdesk.translation import TranslationConfig
from crossdesk.translation.factory import EngineSpec
from crossdesk.vault.crypto import associated_data
from crossdesk.web.app import create_app
from crossdesk.workers.translation import TranslationWorker

SPANISH = "Hola, ¿dónde está mi pedido? Lo compré hace dos semanas y todavía no llegó."
REPLY = "您的订单已经发货了，星期一到。如果有问题，请随时告诉我们。"
EDITED = "Su pedido ya salió y llega el lunes. Si tiene dudas, escríbanos cuando quiera."


@pytest.fixture(scope="module")
def fake_state() -> fake.FakeState:
    return fake.FakeState()


@pytest.fixture(scope="module")
def fake_url(fake_state: fake.FakeState) -> Iterator[str]:
    with fake.serve(fake_state) as url:
        yield url


def config(url: str) -> TranslationConfig:
    spec = EngineSpec(
        "deepseek", "deepseek", {"api_key": fake.OPENAI_KEY, "base_url": f"{url}/openai/v1"}
    )
    return TranslationConfig(engines=(spec,), attempts=1, timeout=5.0)


@pytest.fixture
async def tm_services(
    tmp_path: Path, database_url: str, fake_url: str, fake_state: fake.FakeState
) -> AsyncIterator[Services]:
    fake_state.reset()
    built = build_services(make_settings(tmp_path, database_url), translation=config(fake_url))
    yield built
    await built.close()


async def _count(services: Services, model: type) -> int:
    async with services.read_sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _messages(services: Services) -> list[Message]:
    async with services.read_sessionmaker() as session:
        return list(await session.scalars(select(Message).order_by(Message.id)))


async def test_cache_is_kept_in_the_database_and_failures_are_not(
    tm_services: Services, tmp_path: Path, database_url: str, fake_url: str,
    fake_state: fake.FakeState,
) -> None:  # fmt: skip
    world = await build_world(tm_services)
    await receive(tm_services, world.account_a, inbound(SPANISH))
    assert fake_state.calls("openai") == 1
    assert await _count(tm_services, TranslationCacheEntry) == 1

    # A restarted process (empty LRU) finds the translation in the database.
    restarted = build_services(make_settings(tmp_path, database_url), translation=config(fake_url))
    try:
        await receive(restarted, world.account_a, inbound(SPANISH))
        assert fake_state.calls("openai") == 1
        assert isinstance(restarted.translator, RouterTranslator)
        store = restarted.translator.store
        assert store is not None and store.cache.db_hits == 1
    finally:
        await restarted.close()
    first, second = await _messages(tm_services)
    assert first.translation == second.translation and second.translation_engine == "deepseek"

    # A failed translation is never cached.
    fake_state.fail("openai", fake.Scripted(500, {"error": {"message": "boom"}}))
    await receive(tm_services, world.account_a, inbound("¿Tienen este modelo en color azul?"))
    assert (await _messages(tm_services))[-1].translation_status == "pending"
    assert await _count(tm_services, TranslationCacheEntry) == 1


async def _reply(
    services: Services, world: DemoWorld, text: str, override: str | None = None
) -> Message:
    async with services.sessionmaker() as session:
        supervisor = await principal_for(session, world.users["supervisor"])
        conversation = (await session.scalars(select(Conversation))).one()
        sent = await send_reply(
            services,
            session,
            supervisor,
            conversation,
            text,
            idempotency_key=None,
            actor=audit.Actor(supervisor.user_id),
            translation_override=override,
        )
        return sent.message


async def test_agent_correction_becomes_the_preferred_translation(
    tm_services: Services, fake_state: fake.FakeState
) -> None:
    services = tm_services
    world = await build_world(services)
    await receive(services, world.account_a, inbound(SPANISH))
    edited = await _reply(services, world, REPLY, override=EDITED)
    assert edited.translation_engine == "agent"

    worker = TranslationWorker(services)
    assert await worker.run_once() == 0
    async with services.read_sessionmaker() as session:
        entry = (await session.scalars(select(TranslationMemory))).one()
    assert (entry.source, entry.target, entry.translation) == ("zh-Hans", "es", EDITED)
    assert await worker.learn() == 0  # already learnt

    # Next time: the memory, not the engine.
    calls = fake_state.calls("openai")
    async with services.sessionmaker() as session:
        supervisor = await principal_for(session, world.users["supervisor"])
        conversation = (await session.scalars(select(Conversation))).one()
        preview = await preview_reply(services, session, supervisor, conversation, REPLY)
    draft = preview.draft
    assert draft.translation_engine == "memory"
    assert draft.outgoing_translation == EDITED
    assert fake_state.calls("openai") == calls
    sent = await _reply(services, world, REPLY)
    assert sent.translation_engine == "memory"
    async with services.read_sessionmaker() as session:
        assert await session.scalar(select(TranslationMemory.uses)) == 2


async def test_usage_is_counted_and_the_quota_skips_paid_engines(
    tm_services: Services, fake_state: fake.FakeState
) -> None:
    services = tm_services
    world = await build_world(services)
    await receive(services, world.account_a, inbound(SPANISH))
    await receive(services, world.account_a, inbound(SPANISH))  # cache hit: costs nothing
    async with services.read_sessionmaker() as session:
        usage = (await session.scalars(select(TranslationUsage))).one()
    assert (usage.workspace_id, usage.engine, usage.requests) == (world.workspace_id, "deepseek", 1)
    assert usage.characters == len(SPANISH)

    app = create_app(services.settings, services=services)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        owner = bearer(world.tokens["owner"])
        body = (await client.get("/api/v1/translation/usage", headers=owner)).json()
        assert body["scope"] == "workspace"
        assert body["by_engine"] == [
            {"key": "deepseek", "characters": len(SPANISH), "requests": 1, "cost": None}
        ]
        assert body["cost_total"] is None and body["currency"] == "USD"
        assert body["monthly_quota"] is None and body["quota_exceeded"] is False
        agent = bearer(world.tokens["agent_a"])
        mine = (await client.get("/api/v1/translation/usage", headers=agent)).json()
        assert mine["scope"] == "own" and mine["by_engine"] == []
        denied = await client.put(
            "/api/v1/translation/quota", json={"monthly_characters": 10}, headers=agent
        )
        assert denied.status_code == 403
        response = await client.put(
            "/api/v1/translation/quota", json={"monthly_characters": 10}, headers=owner
        )
        assert response.status_code == 200, response.text
        assert response.json()["quota_exceeded"] is True

    calls = fake_state.calls("openai")
    await receive(services, world.account_a, inbound("¿Tienen este modelo en color azul?"))
    message = (await _messages(services))[-1]
    assert fake_state.calls("openai") == calls
    # Waits for the quota to reset (tests/integration/test_translation_pending.py).
    assert message.translation_status == "pending"
    assert message.translation_note is not None
    assert "monthly translation quota reached" in message.translation_note

    async with services.sessionmaker() as session:
        await session.delete(await session.get(TranslationQuota, world.workspace_id))
        await commit(session)


async def _agent_message(
    services: Services, conversation: Conversation, text: str, outgoing: str
) -> None:
    message_id = new_id()
    async with services.sessionmaker() as session:
        session.add(
            Message(
                id=message_id,
                workspace_id=conversation.workspace_id,
                conversation_id=conversation.id,
                account_id=conversation.account_id,
                direction="outbound",
                body_masked=text,
                body_raw_enc=services.envelope.seal(
                    text.encode(),
                    associated_data(conversation.workspace_id, message_id, "message.body"),
                ),
                outgoing_enc=services.envelope.seal(
                    outgoing.encode(),
                    associated_data(conversation.workspace_id, message_id, "message.outgoing"),
                ),
                language="en",
                translation=outgoing,
                translation_language="es",
                translation_engine="agent",
                translation_status="translated",
                status="sent",
            )
        )
        await commit(session)


async def test_memory_keeps_personal_data_as_tokens_and_skips_edits_that_add_some(
    tm_services: Services,
) -> None:
    services = tm_services
    world = await build_world(services)
    await receive(services, world.account_a, inbound(SPANISH))
    async with services.read_sessionmaker() as session:
        conversation = (await session.scalars(select(Conversation))).one()
    await _agent_message(
        services,
        conversation,
        "Please call us back on +34 612 345 678 today",
        "Llámenos al +34 612 345 678 hoy, por favor",
    )
    await _agent_message(
        services,
        conversation,
        "Please write to us today",
        "Escríbanos hoy a ventas.privadas@example.com, por favor",
    )
    assert await TranslationWorker(services).learn() == 1
    async with services.read_sessionmaker() as session:
        entry = (await session.scalars(select(TranslationMemory))).one()
    assert "612" not in entry.source_text and "612" not in entry.translation
    assert "⟦PHONE_1⟧" in entry.source_text and "⟦PHONE_1⟧" in entry.translation


async def test_outbound_translation_usage_is_attributed_to_the_agent(
    tm_services: Services, fake_state: fake.FakeState
) -> None:
    world = await build_world(tm_services)
    await receive(tm_services, world.account_a, inbound(SPANISH))
    await _reply(tm_services, world, REPLY)
    async with tm_services.read_sessionmaker() as session:
        rows = (await session.scalars(select(TranslationUsage))).all()
    by_user = {row.user_id: row.characters for row in rows}
    assert by_user.get(world.users["supervisor"].id, 0) > 0  # the reply, counted for its agent
    assert by_user.get("", 0) == len(SPANISH)  # the inbound message, counted for the workspace
