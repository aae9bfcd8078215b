"""Anti-ban send limits: the delivery worker holds messages over an account's limits (never
drops them), the agent sees why, and changing the limits is audited. Both databases."""

import itertools
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update
from tests.factories import DemoWorld, inbound, receive, supervisor_reply

from crossdesk.actions import account_limits
from crossdesk.actions.identity import principal_for
from crossdesk.db.base import utcnow
from crossdesk.db.models import AuditEvent, Conversation, Message, Outbox
from crossdesk.db.session import transaction
from crossdesk.domain.send_limits import SendLimits, Verdict
from crossdesk.errors import InvalidInput, PermissionDenied
from crossdesk.risk import audit
from crossdesk.risk.rbac import Principal
from crossdesk.services import Services
from crossdesk.workers.delivery import DeliveryWorker

REPLIES = (
    "Hola, su pedido ya salió del almacén esta mañana.",
    "Le enviaremos el número de seguimiento muy pronto.",
    "Gracias por su paciencia, que tenga un buen día.",
)


class Platform:
    """The sandbox platform's send endpoint: accepts everything, counts the sends."""

    def __init__(self) -> None:
        self.sent = 0
        self._ids = itertools.count(1)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        return httpx.Response(200, json={"id": f"sbx_{next(self._ids)}"})


def worker_for(services: Services, platform: Platform) -> DeliveryWorker:
    return DeliveryWorker(
        services, lambda _a: httpx.AsyncClient(transport=httpx.MockTransport(platform.handler))
    )


async def as_user(services: Services, world: DemoWorld, key: str) -> Principal:
    async with services.read_sessionmaker() as session:
        return await principal_for(session, world.users[key])


async def reply(services: Services, world: DemoWorld, text: str) -> str:
    sent = await supervisor_reply(
        services, world, world.account_a.id, text, allow_untranslated=False
    )
    return sent.message.id


async def messages(services: Services) -> list[Message]:
    async with services.read_sessionmaker() as session:
        return list(
            await session.scalars(
                select(Message).where(Message.direction == "outbound").order_by(Message.id)
            )
        )


async def test_over_the_hourly_limit_messages_wait_then_leave(
    services: Services, world: DemoWorld
) -> None:
    owner = await as_user(services, world, "owner")
    await account_limits.set_limits(
        services, owner, world.account_a.id, SendLimits(per_hour=2), audit.Actor(owner.user_id)
    )
    await receive(services, world.account_a, inbound("hola"))
    for text in REPLIES:
        await reply(services, world, text)
    platform = Platform()
    worker = worker_for(services, platform)
    for _ in range(3):
        await worker.run_once()
    assert platform.sent == 2
    first, second, third = await messages(services)
    assert first.status == "sent" and second.status == "sent"
    assert third.status == "queued"
    assert third.error is not None and third.error.startswith("waiting: account send limit")
    assert "2 per hour" in third.error
    async with services.read_sessionmaker() as session:
        row = await session.scalar(select(Outbox).where(Outbox.message_id == third.id))
    assert row is not None and row.state == "pending" and row.attempts == 0
    # It waits about an hour from the first send, not a fixed retry delay.
    assert row.next_attempt_at - utcnow() > timedelta(minutes=55)
    report = await account_limits.limits_report(services, owner, world.account_a.id)
    assert (report.sent_last_hour, report.waiting) == (2, 1)

    # An hour later the first two sends leave the window; the held message goes.
    async with transaction(services.sessionmaker) as session:
        await session.execute(
            update(Message)
            .where(Message.sent_at.is_not(None))
            .values(sent_at=utcnow() - timedelta(minutes=61))
        )
        await session.execute(update(Outbox).values(next_attempt_at=utcnow()))
    assert await worker.run_once() == 1
    assert platform.sent == 3
    last = (await messages(services))[-1]
    assert last.status == "sent" and last.error is None


async def test_warm_up_scales_new_accounts_and_new_chats_are_limited(
    services: Services, world: DemoWorld
) -> None:
    owner = await as_user(services, world, "owner")
    limits = SendLimits(per_hour=10, new_chats_per_day=1, warmup_days=5, warmup_start_percent=20)
    await account_limits.set_limits(
        services, owner, world.account_a.id, limits, audit.SYSTEM, restart_warmup=True
    )
    report = await account_limits.limits_report(services, owner, world.account_a.id)
    assert report.now.per_hour == 2  # 20% of 10 on day one
    assert [s.per_hour for _, s in report.schedule] == [2, 3, 5, 6, 8, 10]
    await receive(services, world.account_a, inbound("hola"))
    for text in REPLIES:
        await reply(services, world, text)
    platform = Platform()
    worker = worker_for(services, platform)
    for _ in range(3):
        await worker.run_once()
    assert platform.sent == 2
    held = (await messages(services))[-1]
    assert held.error is not None and "(warming up)" in held.error

    # A second customer: opening a new chat is over the one-new-chat-a-day limit even
    # though the hourly limit has a free slot once the window moved on.
    async with transaction(services.sessionmaker) as session:
        await session.execute(
            update(Message)
            .where(Message.sent_at.is_not(None))
            .values(sent_at=utcnow() - timedelta(minutes=61))
        )
        await session.execute(update(Outbox).values(next_attempt_at=utcnow()))
    await worker.run_once()
    assert platform.sent == 3  # the held reply into the existing chat left
    verdict_new = await _verdict_for_new_chat(services, world)
    assert not verdict_new.allowed and "new chats per day" in verdict_new.reason


async def _verdict_for_new_chat(services: Services, world: DemoWorld) -> Verdict:
    await receive(services, world.account_a, inbound("hello", sender="someone-else"))
    async with services.read_sessionmaker() as session:
        account = await session.get(type(world.account_a), world.account_a.id)
        assert account is not None
        conversations = (
            await session.scalars(
                select(Conversation)
                .where(Conversation.account_id == account.id)
                .order_by(Conversation.created_at)
            )
        ).all()
        return await account_limits.send_verdict(session, account, conversations[-1].id)


async def test_changing_limits_is_audited_and_managers_only(
    services: Services, world: DemoWorld
) -> None:
    owner = await as_user(services, world, "owner")
    agent = await as_user(services, world, "agent_a")
    with pytest.raises(PermissionDenied):
        await account_limits.set_limits(
            services, agent, world.account_a.id, SendLimits(per_hour=5), audit.SYSTEM
        )
    with pytest.raises(InvalidInput, match="per_hour"):
        account_limits.parse_limits({"per_hour": "0"})
    with pytest.raises(InvalidInput, match="warmup_days"):
        account_limits.parse_limits({"warmup_days": "many"})
    parsed = account_limits.parse_limits({"per_hour": "30", "per_day": "", "warmup_days": "3"})
    assert parsed == SendLimits(per_hour=30, warmup_days=3)
    await account_limits.set_limits(
        services, owner, world.account_a.id, parsed, audit.Actor(owner.user_id)
    )
    async with services.read_sessionmaker() as session:
        event = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == "account.send_limits")
            )
        ).one()
    assert event.actor_id == owner.user_id
    assert event.data["before"]["per_hour"] is None and event.data["before"]["custom"] is False
    assert event.data["after"]["per_hour"] == 30 and event.data["after"]["warmup_days"] == 3


async def test_configured_platform_default_applies_to_accounts_without_their_own(
    services: Services, world: DemoWorld
) -> None:
    services.settings.sessions.send_limit_defaults = {"sandbox": {"per_hour": 1}}
    await receive(services, world.account_a, inbound("hola"))
    for text in REPLIES[:2]:
        await reply(services, world, text)
    platform = Platform()
    worker = worker_for(services, platform)
    for _ in range(2):
        await worker.run_once()
    assert platform.sent == 1
    held = (await messages(services))[-1]
    assert held.error is not None and "1 per hour" in held.error
