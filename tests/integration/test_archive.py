"""No hard deletes: archive instead of delete, refused deletions are audited, and a
platform "message deleted" event hides the message from agents but keeps it, marked, for
supervisors and auditors."""

from datetime import UTC, datetime

import httpx
from sqlalchemy import select
from tests.factories import DemoWorld, bearer, inbound, receive

from crossdesk.actions.identity import principal_for
from crossdesk.db.models import AuditEvent, Conversation, Message
from crossdesk.db.repositories import list_messages
from crossdesk.domain import InboundEvent
from crossdesk.services import Services


async def _conversation(services: Services) -> Conversation:
    async with services.read_sessionmaker() as session:
        conversation = await session.scalar(select(Conversation))
    assert conversation is not None
    return conversation


async def _actions(services: Services, action: str) -> list[AuditEvent]:
    async with services.read_sessionmaker() as session:
        return list(
            (await session.scalars(select(AuditEvent).where(AuditEvent.action == action))).all()
        )


def _deleted(original: str, *, sender: str = "cust-1") -> InboundEvent:
    return InboundEvent(
        platform_message_id=f"delete:{original}",
        sender_id=sender,
        text="",
        sent_at=datetime.now(UTC),
        reply_to_platform_id=original,
        kind="delete",
    )


async def test_agent_archives_own_conversation_and_the_customer_brings_it_back(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    await receive(sqlite_services, app_world.account_a, inbound("hola"))
    conversation = await _conversation(sqlite_services)
    agent = bearer(app_world.tokens["agent_a"])
    path = f"/api/v1/conversations/{conversation.id}"

    refused = await client.post(f"{path}/archive", headers=agent)
    assert refused.status_code == 403  # not theirs yet
    assert (
        await client.post(
            f"{path}/assign", json={"assignee_id": app_world.users["agent_a"].id}, headers=agent
        )
    ).status_code == 200
    assert (await client.post(f"{path}/archive", headers=agent)).status_code == 200

    inbox = await client.get("/api/v1/conversations?view=mine", headers=agent)
    assert inbox.json() == []
    supervisor = bearer(app_world.tokens["supervisor"])
    archived = await client.get("/api/v1/archived-conversations?view=team", headers=supervisor)
    assert [c["id"] for c in archived.json()] == [conversation.id]
    assert (await client.get(path, headers=agent)).status_code == 200  # kept, still readable

    await receive(sqlite_services, app_world.account_a, inbound("¿sigue ahí?"))
    inbox = await client.get("/api/v1/conversations?view=mine", headers=agent)
    assert [c["id"] for c in inbox.json()] == [conversation.id]
    assert len(await _actions(sqlite_services, "conversation.archive")) == 1

    assert (await client.post(f"{path}/archive", headers=agent)).status_code == 200
    assert (await client.post(f"{path}/unarchive", headers=agent)).status_code == 403
    assert (await client.post(f"{path}/unarchive", headers=supervisor)).status_code == 200
    assert len(await _actions(sqlite_services, "conversation.unarchive")) == 1


async def test_there_is_no_delete_and_attempts_are_audited(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    await receive(sqlite_services, app_world.account_a, inbound("hola"))
    conversation = await _conversation(sqlite_services)
    for role in ("agent_a", "owner"):
        for target in (
            f"/api/v1/conversations/{conversation.id}",
            "/api/v1/messages/x1",
            "/api/v1/contacts/x2",
        ):
            response = await client.delete(target, headers=bearer(app_world.tokens[role]))
            assert response.status_code == 405
            assert response.json()["error"]["code"] == "deletion_refused"
    events = await _actions(sqlite_services, "deletion.refused")
    assert len(events) == 6
    assert {e.target_type for e in events} == {"conversation", "message", "contact"}
    assert events[0].actor_id == app_world.users["agent_a"].id
    assert await _conversation(sqlite_services)  # still there


async def test_deleted_message_is_hidden_from_agents_and_marked_for_supervisors(
    services: Services, world: DemoWorld
) -> None:
    await receive(
        services,
        world.account_a,
        inbound("mi número es +34 612 345 678", message_id="pm-1"),
        inbound("gracias", message_id="pm-2"),
    )
    await receive(services, world.account_a, _deleted("pm-1"))
    await receive(services, world.account_a, _deleted("pm-1"))  # redelivered: no second record
    await receive(services, world.account_a, _deleted("pm-unknown"))  # nothing to hide
    conversation = await _conversation(services)
    async with services.read_sessionmaker() as session:
        agent = await principal_for(session, world.users["agent_a"])
        supervisor = await principal_for(session, world.users["supervisor"])
        auditor = await principal_for(session, world.users["auditor"])
        seen_by_agent = await list_messages(session, conversation, viewer=agent)
        seen_by_supervisor = await list_messages(session, conversation, viewer=supervisor)
        seen_by_auditor = await list_messages(session, conversation, viewer=auditor)
        kept = await session.scalar(select(Message).where(Message.platform_message_id == "pm-1"))
        stored = await session.scalar(
            select(Message).where(Message.platform_message_id == "delete:pm-1")
        )
    assert [m.platform_message_id for m in seen_by_agent] == ["pm-2"]
    assert [m.platform_message_id for m in seen_by_supervisor] == ["pm-1", "pm-2"]
    assert [m.platform_message_id for m in seen_by_auditor] == ["pm-1", "pm-2"]
    assert kept is not None and kept.deleted_by_platform and kept.body_raw_enc
    assert stored is None  # the deletion is an event, not a message
    events = await _actions(services, "message.deleted_on_platform")
    assert len(events) == 1 and events[0].target_id == kept.id
    assert events[0].data["by"] == "customer"


async def test_deleted_message_in_the_ui_and_api(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    await receive(sqlite_services, app_world.account_a, inbound("último", message_id="pm-9"))
    await receive(sqlite_services, app_world.account_a, _deleted("pm-9"))
    conversation = await _conversation(sqlite_services)
    assert conversation.last_message_preview == ""  # the deleted text left the list too
    api = f"/api/v1/conversations/{conversation.id}/messages"
    agent = await client.get(api, headers=bearer(app_world.tokens["agent_a"]))
    assert agent.status_code == 200 and agent.json() == []
    supervisor = bearer(app_world.tokens["supervisor"])
    assert len((await client.get(api, headers=supervisor)).json()) == 1
    pane = await client.get(f"/ui/conversations/{conversation.id}/messages", headers=supervisor)
    assert "deleted-mark" in pane.text and "msg inbound deleted" in pane.text
