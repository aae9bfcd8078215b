"""The outbox and delivery worker, end to end through the sandbox platform."""

from collections.abc import Callable
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update
from tests.factories import DemoWorld, inbound, receive, supervisor_reply

from crossdesk.actions.accounts import account_context, create_account
from crossdesk.actions.identity import principal_for
from crossdesk.actions.send_reply import send_reply
from crossdesk.channels.base import AccountContext
from crossdesk.channels.registry import get_adapter
from crossdesk.db.base import utcnow
from crossdesk.db.models import (
    ChannelAccount,
    Contact,
    Conversation,
    Message,
    Outbox,
    SandboxMessage,
)
from crossdesk.db.session import transaction
from crossdesk.domain import ChannelKind, OutboundMessage
from crossdesk.risk import audit
from crossdesk.services import Services
from crossdesk.workers.delivery import DeliveryWorker


async def _reply(services: Services, world: DemoWorld, text: str) -> str:
    sent = await supervisor_reply(
        services, world, world.account_a.id, text, allow_untranslated=False
    )
    return sent.message.id


async def _message(services: Services, message_id: str) -> Message:
    async with services.sessionmaker() as session:
        message = await session.get(Message, message_id)
        assert message is not None
        return message


def _app_client_factory(app: FastAPI) -> Callable[[AccountContext], httpx.AsyncClient]:
    def factory(_account: AccountContext) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app))

    return factory


async def test_reply_reaches_the_customer_and_statuses_come_back(
    app: FastAPI, sqlite_services: Services, app_world: DemoWorld
) -> None:
    await app.state.sandbox.customer_says(
        app_world.account_a.external_id, "maria", "Hola", name="María", lang="es"
    )
    message_id = await _reply(sqlite_services, app_world, "Hola María, ¿en qué le ayudo?")
    worker = DeliveryWorker(sqlite_services, _app_client_factory(app))
    assert await worker.run_once() == 1
    assert (await _message(sqlite_services, message_id)).status == "sent"

    await app.state.sandbox.drain()  # the platform reports "delivered"
    assert (await _message(sqlite_services, message_id)).status == "delivered"
    thread = await app.state.sandbox.thread(app_world.account_a.external_id, "maria")
    assert [r.text for r in thread] == ["Hola", "Hola María, ¿en qué le ayudo?"]
    await app.state.sandbox.drain()  # the customer saw it: "read"
    assert (await _message(sqlite_services, message_id)).status == "read"


class FlakyPlatform:
    """A sandbox platform stand-in that answers 429 (Retry-After: 7), then 503, then 200."""

    def __init__(self) -> None:
        self.calls: list[httpx.Request] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        if len(self.calls) == 1:
            return httpx.Response(429, headers={"Retry-After": "7"}, json={"error": "slow down"})
        if len(self.calls) == 2:
            return httpx.Response(503, json={"error": "busy"})
        return httpx.Response(200, json={"id": "sbx_ok"})


async def test_retries_honour_retry_after_then_succeed(
    sqlite_services: Services, app_world: DemoWorld
) -> None:
    await receive(sqlite_services, app_world.account_a, inbound("hola"))
    message_id = await _reply(sqlite_services, app_world, "respuesta")
    platform = FlakyPlatform()
    worker = DeliveryWorker(
        sqlite_services,
        lambda _a: httpx.AsyncClient(transport=httpx.MockTransport(platform.handler)),
    )
    started = utcnow()
    await worker.run_once()
    async with sqlite_services.sessionmaker() as session:
        row = (await session.scalars(select(Outbox))).one()
    assert row.state == "pending" and row.attempts == 1
    assert row.next_attempt_at - started >= timedelta(seconds=7)  # Retry-After honoured
    assert (await _message(sqlite_services, message_id)).status == "queued"

    for _ in range(2):
        async with transaction(sqlite_services.sessionmaker) as session:
            await session.execute(update(Outbox).values(next_attempt_at=utcnow()))
        await worker.run_once()
    message = await _message(sqlite_services, message_id)
    assert message.status == "sent" and message.platform_message_id == "sbx_ok"
    keys = {call.headers["Idempotency-Key"] for call in platform.calls}
    assert len(platform.calls) == 3 and len(keys) == 1  # same key on every attempt


async def test_permanent_rejection_fails_the_message_with_a_reason(
    sqlite_services: Services, app_world: DemoWorld
) -> None:
    await receive(sqlite_services, app_world.account_a, inbound("hola"))
    message_id = await _reply(sqlite_services, app_world, "respuesta")
    worker = DeliveryWorker(
        sqlite_services,
        lambda _a: httpx.AsyncClient(
            transport=httpx.MockTransport(
                lambda r: httpx.Response(404, json={"error": "no contact"})
            )
        ),
    )
    await worker.run_once()
    message = await _message(sqlite_services, message_id)
    assert message.status == "failed" and message.error and "404" in message.error


async def test_messages_leave_in_order_within_a_conversation(
    sqlite_services: Services, app_world: DemoWorld
) -> None:
    await receive(sqlite_services, app_world.account_a, inbound("hola"))
    first = await _reply(sqlite_services, app_world, "Primer mensaje: uno")
    second = await _reply(sqlite_services, app_world, "Segundo mensaje: dos")
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if not sent and b"uno" in request.content and not getattr(handler, "failed", False):
            handler.failed = True  # type: ignore[attr-defined]
            return httpx.Response(503)
        sent.append(request.content.decode())
        return httpx.Response(200, json={"id": f"id-{len(sent)}"})

    worker = DeliveryWorker(
        sqlite_services, lambda _a: httpx.AsyncClient(transport=httpx.MockTransport(handler))
    )
    await worker.run_once()  # "uno" fails and waits; "dos" must not overtake it
    assert sent == []
    assert (await _message(sqlite_services, second)).status == "queued"
    async with transaction(sqlite_services.sessionmaker) as session:
        await session.execute(update(Outbox).values(next_attempt_at=utcnow()))
    await worker.run_once()
    await worker.run_once()
    assert ["uno" in s for s in sent] == [True, False]
    assert (await _message(sqlite_services, first)).status == "sent"
    assert (await _message(sqlite_services, second)).status == "sent"


async def _crash_after_platform_accepted(
    services: Services,
    worker: DeliveryWorker,
    client_factory: Callable[[AccountContext], httpx.AsyncClient],
) -> None:
    """Claim the row and let the platform accept the message, then 'die' before committing."""
    claimed = await worker._claim(10)
    assert len(claimed) == 1
    async with services.read_sessionmaker() as session:
        row = await session.get(Outbox, claimed[0])
        assert row is not None
        message = await session.get(Message, row.message_id)
        conversation = await session.get(Conversation, row.conversation_id)
        account = await session.get(ChannelAccount, row.account_id)
        assert message and conversation and account
        contact = await session.get(Contact, conversation.contact_id)
        assert contact
        context = await account_context(services, session, account)
    # The session is closed: like the worker, hold no connection while the platform works.
    async with client_factory(context) as client:
        await get_adapter(ChannelKind(account.kind)).send(
            client,
            context,
            OutboundMessage(message.id, contact.platform_user_id, "hola", row.idempotency_key),
        )
    async with transaction(services.sessionmaker) as session:  # the lease runs out
        await session.execute(update(Outbox).values(lease_until=utcnow() - timedelta(seconds=1)))


async def test_crash_after_acceptance_resends_once_where_the_platform_dedupes(
    app: FastAPI, sqlite_services: Services, app_world: DemoWorld
) -> None:
    await app.state.sandbox.customer_says(
        app_world.account_a.external_id, "maria", "Hola", name="María", lang="es"
    )
    message_id = await _reply(sqlite_services, app_world, "hola")
    factory = _app_client_factory(app)
    worker = DeliveryWorker(sqlite_services, factory)
    await _crash_after_platform_accepted(sqlite_services, worker, factory)
    await worker.run_once()  # recovery: the sandbox dedupes by key, so resend
    assert (await _message(sqlite_services, message_id)).status == "sent"
    async with sqlite_services.sessionmaker() as session:
        replies = (
            await session.scalars(
                select(SandboxMessage).where(SandboxMessage.direction == "from_business")
            )
        ).all()
    assert len(replies) == 1  # the customer got it exactly once
    await app.state.sandbox.drain()


async def test_crash_after_acceptance_is_unknown_where_the_platform_does_not_dedupe(
    sqlite_services: Services, app_world: DemoWorld
) -> None:
    async with transaction(sqlite_services.sessionmaker) as session:
        telegram = await create_account(
            sqlite_services,
            session,
            app_world.workspace_id,
            kind=ChannelKind.TELEGRAM_BOT,
            name="TG",
            external_id="777",
            team_id=app_world.team_a,
            config={"api_base_url": "http://fake-telegram.invalid"},
            secrets={"bot_token": "777:AAtest", "webhook_secret": "s"},
            actor=audit.SYSTEM,
        )
    await receive(sqlite_services, telegram, inbound("Hola, ¿tienen envío a Madrid?", sender="42"))
    accepted: list[bytes] = []

    def telegram_api(request: httpx.Request) -> httpx.Response:
        accepted.append(request.content)
        result = {"message_id": 9, "date": 0, "chat": {"id": 42, "type": "private"}, "text": "hola"}
        return httpx.Response(200, json={"ok": True, "result": result})

    factory: Callable[[AccountContext], httpx.AsyncClient] = lambda _a: httpx.AsyncClient(  # noqa: E731
        transport=httpx.MockTransport(telegram_api)
    )
    async with sqlite_services.sessionmaker() as session:
        supervisor = await principal_for(session, app_world.users["supervisor"])
        conversation = (
            await session.scalars(
                select(Conversation).where(Conversation.account_id == telegram.id)
            )
        ).one()
        sent = await send_reply(
            sqlite_services,
            session,
            supervisor,
            conversation,
            "hola",
            idempotency_key=None,
            actor=audit.Actor(supervisor.user_id),
        )
    worker = DeliveryWorker(sqlite_services, factory)
    await _crash_after_platform_accepted(sqlite_services, worker, factory)
    await worker.run_once()
    message = await _message(sqlite_services, sent.message.id)
    assert message.status == "unknown"
    assert message.error and "may or may not" in message.error
    assert len(accepted) == 1  # never silently sent twice
