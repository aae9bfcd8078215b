"""The store on SQLite and on the real PostgreSQL: dedupe, statuses, audit chain, outbox."""

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update
from tests.factories import DemoWorld, inbound, receive

from crossdesk.actions.identity import principal_for
from crossdesk.actions.receive_message import receive_events
from crossdesk.actions.send_reply import send_reply
from crossdesk.channels.meta.events import WatermarkStatus
from crossdesk.db.models import AuditEvent, Contact, Conversation, Message, Outbox, Workspace
from crossdesk.db.session import commit
from crossdesk.domain import MessageStatus, StatusEvent
from crossdesk.errors import IdempotencyMismatch
from crossdesk.risk import audit
from crossdesk.services import Services


async def _count(services: Services, model: type, *where: object) -> int:
    async with services.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_redelivered_webhook_stores_one_message(services: Services, world: DemoWorld) -> None:
    event = inbound("Hola, ¿dónde está mi pedido?", message_id="wamid.1")
    await receive(services, world.account_a, event)
    await receive(services, world.account_a, event)
    assert await _count(services, Message) == 1
    assert await _count(services, Contact) == 1
    assert await _count(services, Conversation) == 1


async def test_concurrent_redeliveries_store_one_message(
    services: Services, world: DemoWorld
) -> None:
    event = inbound("same message delivered twice at once", message_id="dup-concurrent")
    await asyncio.gather(*(receive(services, world.account_a, event) for _ in range(4)))
    assert await _count(services, Message, Message.platform_message_id == "dup-concurrent") == 1


async def test_same_platform_id_on_two_accounts_is_two_messages(
    services: Services, world: DemoWorld
) -> None:
    await receive(services, world.account_a, inbound("uno", message_id="same-id"))
    await receive(services, world.account_b, inbound("dos", message_id="same-id"))
    assert await _count(services, Message) == 2


async def test_inbound_message_is_masked_and_records_stages_truthfully(
    services: Services, world: DemoWorld
) -> None:
    await receive(services, world.account_a, inbound("Mi teléfono es +34 612 345 678"))
    async with services.sessionmaker() as session:
        message = (await session.scalars(select(Message))).one()
        conversation = await session.get(Conversation, message.conversation_id)
    assert message.pii_status == "masked"
    assert "612 345 678" not in message.body_masked
    assert message.body_masked.startswith("Mi teléfono es +34")
    assert [s["type"] for s in message.pii_spans] == ["PHONE"]
    assert message.language == "es"
    assert message.translation is None  # no engine configured in tests: said, not faked
    assert message.translation_status == "not_translated"
    assert message.translation_note is not None
    assert message.translation_note.startswith("not translated")
    assert message.status == "received"
    # The raw body is stored encrypted, not in clear.
    assert message.body_raw_enc is not None
    assert b"612 345" not in message.body_raw_enc
    assert conversation is not None and conversation.unread_count == 1
    assert conversation.team_id == world.team_a


@pytest.mark.parametrize(
    ("sender_id", "sender_name", "raw"),
    [
        ("34612345678", None, "612345678"),  # a WhatsApp id is the phone number without "+"
        ("u-77", "Ana +34 612 345 678", "612 345 678"),  # a profile name holding a phone
        ("u-78", "ana.lopez@example.com", "ana.lopez@example.com"),
    ],
)
async def test_sender_names_are_masked_like_bodies(
    services: Services, world: DemoWorld, sender_id: str, sender_name: str | None, raw: str
) -> None:
    event = replace(inbound("hola", sender=sender_id), sender_name=sender_name)
    await receive(services, world.account_a, event)
    async with services.sessionmaker() as session:
        label = await session.scalar(select(Message.sender_label))
        name = await session.scalar(select(Contact.display_name))
    assert label and name
    assert raw not in label and raw not in name
    assert label == name


async def test_messenger_read_watermark_marks_earlier_replies_read(
    services: Services, world: DemoWorld
) -> None:
    """Messenger reports reads without message ids: everything sent to that contact up to
    the watermark becomes read (forward only); later replies and other contacts stay."""
    await receive(services, world.account_a, inbound("hola", sender="psid-1"))
    await receive(services, world.account_a, inbound("hi", sender="psid-2"))
    t0 = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
    async with services.sessionmaker() as session:
        conversations = {
            c.contact_id: c for c in (await session.scalars(select(Conversation))).all()
        }
        contacts = {
            c.platform_user_id: c.id for c in (await session.scalars(select(Contact))).all()
        }

        def reply(contact: str, minute: int, status: str) -> Message:
            conversation = conversations[contacts[contact]]
            row = Message(
                workspace_id=conversation.workspace_id,
                conversation_id=conversation.id,
                account_id=world.account_a.id,
                direction="outbound",
                sender_label="agent",
                body_masked=f"reply {minute}",
                status=status,
                sent_at=t0.replace(minute=minute),
            )
            session.add(row)
            return row

        early, late, other, already = (
            reply("psid-1", 1, "delivered"),
            reply("psid-1", 9, "sent"),
            reply("psid-2", 1, "sent"),
            reply("psid-1", 0, "read"),
        )
        await commit(session)
        ids = [early.id, late.id, other.id, already.id]

    watermark = WatermarkStatus(
        platform_message_id="", status=MessageStatus.READ, at=t0.replace(minute=5),
        contact_id="psid-1",
    )  # fmt: skip
    async with services.sessionmaker() as session:
        result = await receive_events(services, session, world.account_a, [watermark])
        await commit(session)
    assert result.statuses == 1
    async with services.sessionmaker() as session:
        statuses = {
            m.id: m.status
            for m in (await session.scalars(select(Message).where(Message.id.in_(ids)))).all()
        }
    assert [statuses[i] for i in ids] == ["read", "sent", "sent", "read"]


async def test_status_only_moves_forward(services: Services, world: DemoWorld) -> None:
    await receive(services, world.account_a, inbound("Hola, ¿me ayudan con un pedido?"))
    async with services.sessionmaker() as session:
        supervisor = await principal_for(session, world.users["supervisor"])
        conversation = (await session.scalars(select(Conversation))).one()
        sent = await send_reply(
            services,
            session,
            supervisor,
            conversation,
            "Hola, ya está en camino",
            idempotency_key=None,
            actor=audit.Actor(supervisor.user_id),
        )
        await session.execute(
            update(Message)
            .where(Message.id == sent.message.id)
            .values(platform_message_id="out-1", status="sent")
        )
        await commit(session)
    now = datetime.now(UTC)
    for status in (MessageStatus.READ, MessageStatus.DELIVERED, MessageStatus.SENT):
        async with services.sessionmaker() as session:
            await receive_events(
                services, session, world.account_a, [StatusEvent("out-1", status, now)]
            )
            await commit(session)
    async with services.sessionmaker() as session:
        message = await session.get(Message, sent.message.id)
    assert message is not None and message.status == "read"


async def test_idempotent_send_makes_one_message(services: Services, world: DemoWorld) -> None:
    await receive(services, world.account_a, inbound("Hola, ¿me ayudan con un pedido?"))
    async with services.sessionmaker() as session:
        agent = await principal_for(session, world.users["supervisor"])
        conversation = (await session.scalars(select(Conversation))).one()
        first = await send_reply(
            services,
            session,
            agent,
            conversation,
            "Hola, enseguida le ayudo",
            idempotency_key="k1",
            actor=audit.Actor(agent.user_id),
        )
    async with services.sessionmaker() as session:
        conversation = (await session.scalars(select(Conversation))).one()
        second = await send_reply(
            services,
            session,
            agent,
            conversation,
            "Hola, enseguida le ayudo",
            idempotency_key="k1",
            actor=audit.Actor(agent.user_id),
        )
        assert second.replayed and second.message.id == first.message.id
        with pytest.raises(IdempotencyMismatch):
            await send_reply(
                services,
                session,
                agent,
                conversation,
                "another text",
                idempotency_key="k1",
                actor=audit.Actor(agent.user_id),
            )
    assert await _count(services, Message, Message.direction == "outbound") == 1
    assert await _count(services, Outbox) == 1


async def test_audit_chain_verifies_and_detects_tampering(
    services: Services, world: DemoWorld
) -> None:
    async with services.sessionmaker() as session:
        events = list((await session.scalars(select(AuditEvent).order_by(AuditEvent.seq))).all())
        workspace = await session.get(Workspace, world.workspace_id)
        assert workspace is not None
        head_seq, head_hash = workspace.audit_seq, workspace.audit_head
        assert len(events) > 5
        assert audit.verify_chain(events, head_seq, head_hash) is None

        events[2].data = {**events[2].data, "role": "owner"}  # edit in memory, then check
        problem = audit.verify_chain(events, head_seq, head_hash)
        assert problem is not None and problem.seq == 3 and "edited" in problem.reason

        await session.rollback()
        events = list((await session.scalars(select(AuditEvent).order_by(AuditEvent.seq))).all())
        problem = audit.verify_chain(events[:-1], head_seq, head_hash)
        assert problem is not None and "deleted" in problem.reason
        problem = audit.verify_chain([events[1], events[0], *events[2:]], head_seq, head_hash)
        assert problem is not None and problem.seq == 1
