"""Private notes never reach the customer; quick replies fill their variables."""

import re

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from tests.factories import PASSWORD, DemoWorld, inbound, receive

from crossdesk.db.models import Contact, ContactProfile, Message, Outbox, SandboxMessage
from crossdesk.db.session import commit
from crossdesk.services import Services
from crossdesk.workers.delivery import DeliveryWorker


async def _ui_login(client: httpx.AsyncClient, email: str) -> str:
    await client.post("/login", data={"email": email, "password": PASSWORD})
    page = await client.get("/ui/inbox")
    match = re.search(r'data-csrf="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


async def _conversation_id(client: httpx.AsyncClient) -> str:
    page = await client.get("/ui/inbox?view=team")
    match = re.search(r'data-conversation-id="([0-9a-f]{32})"', page.text)
    assert match is not None
    return match.group(1)


async def test_private_note_is_stored_shown_and_never_delivered(
    app: FastAPI, client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    await app.state.sandbox.customer_says(
        app_world.account_a.external_id, "maria", "Hola, ¿y mi pedido?", name="María", lang="es"
    )
    csrf = await _ui_login(client, app_world.users["supervisor"].email)
    conversation_id = await _conversation_id(client)
    page = await client.post(
        f"/ui/conversations/{conversation_id}/note",
        data={"text": "@agent_a she called twice, phone +34 612 345 678"},
        headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
    )
    assert page.status_code == 200
    assert 'class="msg note' in page.text and "note-chip" in page.text
    assert "612 345 678" not in page.text  # masked too
    worker = DeliveryWorker(
        sqlite_services, lambda _a: httpx.AsyncClient(transport=httpx.ASGITransport(app=app))
    )
    assert await worker.run_once() == 0  # nothing queued for delivery
    async with sqlite_services.sessionmaker() as session:
        note = (await session.scalars(select(Message).where(Message.direction == "note"))).one()
        outbox = await session.scalar(select(func.count()).select_from(Outbox))
        sent = await session.scalar(
            select(func.count())
            .select_from(SandboxMessage)
            .where(SandboxMessage.direction == "from_business")
        )
    assert note.stage_notes["mentions"] == [app_world.users["agent_a"].id]
    assert (outbox, sent) == (0, 0)
    await app.state.sandbox.drain()


async def test_quick_replies_fill_variables_and_respect_teams(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    await receive(sqlite_services, app_world.account_a, inbound("Hola", sender="c9"))
    csrf = await _ui_login(client, app_world.users["supervisor"].email)
    saved = await client.post(
        "/ui/settings/quick-replies",
        data={
            "csrf_token": csrf,
            "shortcut": "/gracias",
            "text": "Gracias {customer_name}, soy {agent_name}. Pedido {order_number} {unknown}.",
        },
    )
    assert saved.status_code == 200 and "/gracias" in saved.text
    bad = await client.post(
        "/ui/settings/quick-replies",
        data={"csrf_token": csrf, "shortcut": "no spaces", "text": "x"},
    )
    assert bad.status_code == 422
    conversation_id = await _conversation_id(client)
    async with sqlite_services.sessionmaker() as session:
        contact = await session.scalar(select(Contact).where(Contact.platform_user_id == "c9"))
        assert contact is not None
        session.add(
            ContactProfile(
                contact_id=contact.id,
                workspace_id=contact.workspace_id,
                attributes={"order_number": "SO-2231"},
            )
        )
        await commit(session)
    menu = await client.get(f"/ui/conversations/{conversation_id}/quick-replies?q=grac")
    # A variable without a value stays visible for the agent to fill by hand.
    assert "Gracias Customer One, soy supervisor. Pedido SO-2231 {unknown}." in menu.text

    # Agents may not add workspace-wide replies; they may add their own team's.
    await client.post("/logout", headers={"X-CSRF-Token": csrf})
    csrf = await _ui_login(client, app_world.users["agent_b"].email)
    refused = await client.post(
        "/ui/settings/quick-replies",
        data={"csrf_token": csrf, "shortcut": "hola", "text": "Hola"},
    )
    assert refused.status_code == 422 and "supervisors" in refused.text
    own = await client.post(
        "/ui/settings/quick-replies",
        data={"csrf_token": csrf, "shortcut": "hola", "text": "Hola", "team_id": app_world.team_b},
    )
    assert own.status_code == 200
    assert "<td>B</td>" in own.text  # the team's name, not its id


async def test_notes_and_quick_replies_through_the_api(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    from tests.factories import bearer

    await receive(sqlite_services, app_world.account_a, inbound("Hola"))
    token = bearer(app_world.tokens["supervisor"])
    [conversation] = (await client.get("/api/v1/conversations?view=team", headers=token)).json()
    note = await client.post(
        f"/api/v1/conversations/{conversation['id']}/notes", json={"text": "VIP"}, headers=token
    )
    assert note.status_code == 201 and note.json()["direction"] == "note"
    put = await client.put("/api/v1/quick-replies/bye", json={"text": "Adiós"}, headers=token)
    assert put.status_code == 200
    listed = await client.get("/api/v1/quick-replies?q=bye", headers=token)
    assert [r["shortcut"] for r in listed.json()] == ["bye"]
    auditor = bearer(app_world.tokens["auditor"])
    refused = await client.post(
        f"/api/v1/conversations/{conversation['id']}/notes", json={"text": "x"}, headers=auditor
    )
    assert refused.status_code == 403
