"""Labels, inbox filters, saved views and unread markers through the API, on SQLite and
PostgreSQL: each filter, their combination, and the caller's scope (never widened)."""

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update
from tests.factories import DemoWorld, asgi_client, bearer, inbound, receive

from crossdesk.db.base import utcnow
from crossdesk.db.models import AuditEvent, Contact, Conversation, ConversationLabel
from crossdesk.domain import InboundEvent
from crossdesk.services import Services
from crossdesk.web.app import create_app


@pytest.fixture
async def api(services: Services, world: DemoWorld) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(create_app(services.settings, services=services)) as client:
        yield client


async def _conversations(services: Services) -> dict[str, Conversation]:
    """By the customer's platform id (one per test customer)."""
    async with services.read_sessionmaker() as session:
        rows = await session.execute(
            select(Conversation, Contact.platform_user_id).join(
                Contact, Contact.id == Conversation.contact_id
            )
        )
        return {uid: conversation for conversation, uid in rows}


async def _ids(api: httpx.AsyncClient, token: str, query: str) -> set[str]:
    response = await api.get(f"/api/v1/conversations?{query}", headers=bearer(token))
    assert response.status_code == 200, response.text
    return {row["contact"]["display_name"] for row in response.json()}


async def _audit(services: Services, action: str) -> list[AuditEvent]:
    async with services.read_sessionmaker() as session:
        rows = await session.scalars(select(AuditEvent).where(AuditEvent.action == action))
        return list(rows.all())


def _named(text: str, sender: str) -> InboundEvent:
    return replace(inbound(text, sender=sender), sender_name=sender.capitalize())


async def _seed(services: Services, world: DemoWorld) -> dict[str, Conversation]:
    await receive(services, world.account_a, _named("Hola", "ana"))
    await receive(services, world.account_b, _named("Hello", "ben"))
    await receive(services, world.account_a, _named("Olá", "carla"))
    return await _conversations(services)


async def test_labels_and_every_filter_within_scope(
    api: httpx.AsyncClient, services: Services, world: DemoWorld
) -> None:
    convs = await _seed(services, world)
    owner, supervisor = world.tokens["owner"], world.tokens["supervisor"]
    agent_a, agent_b = world.tokens["agent_a"], world.tokens["agent_b"]

    # Labels: created by a supervisor, validated, unique per workspace.
    vip = await api.post(
        "/api/v1/labels", json={"name": " VIP ", "colour": "red"}, headers=bearer(supervisor)
    )
    assert vip.status_code == 201 and vip.json()["name"] == "VIP"
    vip_id = vip.json()["id"]
    bad = await api.post(
        "/api/v1/labels", json={"name": "x", "colour": "chartreuse"}, headers=bearer(owner)
    )
    assert bad.status_code == 400, bad.text
    assert bad.json()["error"]["fields"]["field"] == "colour", bad.text
    twice = await api.post("/api/v1/labels", json={"name": "VIP"}, headers=bearer(owner))
    assert twice.status_code == 409
    agent_create = await api.post("/api/v1/labels", json={"name": "Z"}, headers=bearer(agent_a))
    assert agent_create.status_code == 403

    # Label a conversation (idempotent), audited; another team's agent cannot see it.
    ana = convs["ana"].id
    put = await api.put(f"/api/v1/conversations/{ana}/labels/{vip_id}", headers=bearer(agent_a))
    assert put.status_code == 200 and [x["name"] for x in put.json()] == ["VIP"]
    again = await api.put(f"/api/v1/conversations/{ana}/labels/{vip_id}", headers=bearer(agent_a))
    assert again.status_code == 200
    hidden = await api.put(f"/api/v1/conversations/{ana}/labels/{vip_id}", headers=bearer(agent_b))
    assert hidden.status_code == 404
    audited = await _audit(services, "conversation.label")
    assert len(audited) == 1 and audited[0].data["label_id"] == vip_id

    everyone = {"Ana", "Ben", "Carla"}
    assert await _ids(api, owner, "view=all") == everyone
    listed = (await api.get("/api/v1/conversations?view=all", headers=bearer(owner))).json()
    assert {r["contact"]["display_name"]: [x["name"] for x in r["labels"]] for r in listed}[
        "Ana"
    ] == ["VIP"]
    # label
    assert await _ids(api, owner, f"view=all&label={vip_id}") == {"Ana"}
    # platform and account
    assert await _ids(api, owner, "view=all&platform=sandbox") == everyone
    assert await _ids(api, owner, "view=all&platform=telegram_bot") == set()
    assert await _ids(api, owner, f"view=all&account_id={world.account_b.id}") == {"Ben"}
    # team, and no leak across teams
    assert await _ids(api, owner, f"view=all&team={world.team_b}") == {"Ben"}
    assert await _ids(api, supervisor, f"view=team&team={world.team_b}") == set()
    assert await _ids(api, supervisor, "view=team") == {"Ana", "Carla"}
    # assignee: an id, me, none
    carla = convs["carla"].id
    assigned = await api.post(
        f"/api/v1/conversations/{carla}/assign",
        json={"assignee_id": world.users["agent_a"].id},
        headers=bearer(supervisor),
    )
    assert assigned.status_code == 200
    assert await _ids(api, owner, f"view=all&assignee={world.users['agent_a'].id}") == {"Carla"}
    assert await _ids(api, agent_a, "view=mine&assignee=me") == {"Carla"}
    assert await _ids(api, owner, "view=all&assignee=none") == {"Ana", "Ben"}
    assert await _ids(api, agent_b, f"view=unassigned&assignee={world.users['agent_a'].id}") == (
        set()
    )
    # language (the prefix matches regional variants)
    async with services.sessionmaker() as session:
        await session.execute(
            update(Contact).where(Contact.platform_user_id == "ben").values(language="de-AT")
        )
        await session.commit()
    assert await _ids(api, owner, "view=all&language=de") == {"Ben"}
    assert await _ids(api, owner, "view=all&language=de-AT") == {"Ben"}

    # unread: per user; reading moves only my marker
    assert await _ids(api, owner, "view=all&unread=true") == everyone
    read = await api.post(f"/api/v1/conversations/{ana}/read", headers=bearer(owner))
    assert read.status_code == 204
    assert await _ids(api, owner, "view=all&unread=true") == {"Ben", "Carla"}
    assert await _ids(api, supervisor, "view=team&unread=true") == {"Ana", "Carla"}
    listed = (await api.get("/api/v1/conversations?view=all", headers=bearer(owner))).json()
    unread = {r["contact"]["display_name"]: r["unread_count"] for r in listed}
    assert unread == {"Ana": 0, "Ben": 1, "Carla": 1}
    await receive(services, world.account_a, _named("¿Hola?", "ana"))
    listed = (await api.get("/api/v1/conversations?view=all", headers=bearer(owner))).json()
    assert {r["contact"]["display_name"]: r["unread_count"] for r in listed}["Ana"] == 1

    # waiting: the customer wrote last, at least this long ago
    two_hours_ago = utcnow() - timedelta(hours=2)
    async with services.sessionmaker() as session:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == convs["ben"].id)
            .values(last_inbound_at=two_hours_ago, last_message_at=two_hours_ago)
        )
        await session.execute(
            update(Conversation)
            .where(Conversation.id == carla)
            .values(last_inbound_at=two_hours_ago, last_message_at=utcnow())  # answered since
        )
        await session.commit()
    assert await _ids(api, owner, "view=all&waiting=1h") == {"Ben"}
    assert await _ids(api, owner, "view=all&waiting=90m") == {"Ben"}
    assert await _ids(api, owner, "view=all&waiting=3h") == set()

    # status
    resolved = await api.post(
        f"/api/v1/conversations/{ana}/status", json={"status": "resolved"}, headers=bearer(owner)
    )
    assert resolved.status_code == 200
    assert await _ids(api, owner, "view=all&status=resolved") == {"Ana"}
    assert await _ids(api, owner, "view=all") == {"Ben", "Carla"}
    assert await _ids(api, owner, "view=all&status=all") == everyone
    # combined
    assert await _ids(api, owner, f"view=all&status=all&label={vip_id}&platform=sandbox") == {"Ana"}
    assert await _ids(api, owner, f"view=all&status=open&label={vip_id}") == set()

    # removing a label keeps the link, marked removed, and is audited
    gone = await api.delete(f"/api/v1/conversations/{ana}/labels/{vip_id}", headers=bearer(owner))
    assert gone.status_code == 200 and gone.json() == []
    assert await _ids(api, owner, f"view=all&status=all&label={vip_id}") == set()
    async with services.read_sessionmaker() as session:
        link = await session.get(ConversationLabel, (ana, vip_id))
    assert link is not None and link.removed_at is not None
    assert len(await _audit(services, "conversation.unlabel")) == 1

    # clear errors naming the parameter
    for query, field in (
        ("waiting=soon", "waiting"),
        ("label=nope", "label"),
        ("assignee=bob", "assignee"),
        ("language=p", "language"),
        ("team=xyz", "team"),
    ):
        response = await api.get(f"/api/v1/conversations?view=all&{query}", headers=bearer(owner))
        assert response.status_code == 400, query
        assert response.json()["error"]["fields"]["field"] == field


async def test_saved_views_crud_sharing_counts_and_validation(
    api: httpx.AsyncClient, services: Services, world: DemoWorld
) -> None:
    await _seed(services, world)
    supervisor, agent_a, agent_b = (
        world.tokens["supervisor"],
        world.tokens["agent_a"],
        world.tokens["agent_b"],
    )
    mine = await api.post(
        "/api/v1/views",
        json={"name": "My unread", "filters": {"view": "unassigned", "unread": "1"}},
        headers=bearer(agent_a),
    )
    assert mine.status_code == 201, mine.text
    assert mine.json()["unread_count"] == 2  # Ana and Carla, team A, unassigned
    assert mine.json()["filters"] == {"view": "unassigned", "unread": "1"}

    # validation, each naming what is wrong
    cases = [
        ({"name": "x", "filters": {"waiting": "forever"}}, 400, "waiting"),
        ({"name": "x", "filters": {"colour": "red"}}, 400, "colour"),
        ({"name": "x", "filters": {"view": "everything"}}, 400, "view"),
        ({"name": "My unread", "filters": {}}, 409, "name"),
        ({"name": "  ", "filters": {}}, 400, "name"),
    ]
    for body, status, field in cases:
        response = await api.post("/api/v1/views", json=body, headers=bearer(agent_a))
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"]["fields"]["field"] == field
    refused = await api.post(
        "/api/v1/views",
        json={"name": "Team", "filters": {}, "team_id": world.team_a},
        headers=bearer(agent_a),
    )
    assert refused.status_code == 403  # agents do not share

    shared = await api.post(
        "/api/v1/views",
        json={"name": "Team A open", "filters": {"view": "all"}, "team_id": world.team_a},
        headers=bearer(supervisor),
    )
    assert shared.status_code == 201
    other_team = await api.post(
        "/api/v1/views",
        json={"name": "B", "filters": {}, "team_id": world.team_b},
        headers=bearer(supervisor),
    )
    assert other_team.status_code == 403

    listed = (await api.get("/api/v1/views", headers=bearer(agent_a))).json()
    assert {v["name"]: v["mine"] for v in listed} == {"My unread": True, "Team A open": False}
    assert [
        v["name"] for v in (await api.get("/api/v1/views", headers=bearer(agent_b))).json()
    ] == []
    # a shared view is applied inside the reader's own scope ("all" is clamped)
    shared_id = shared.json()["id"]
    rows = await api.get(f"/api/v1/views/{shared_id}/conversations", headers=bearer(agent_a))
    assert {r["contact"]["display_name"] for r in rows.json()} == {"Ana", "Carla"}
    missing = await api.get(f"/api/v1/views/{shared_id}/conversations", headers=bearer(agent_b))
    assert missing.status_code == 404
    not_owner = await api.patch(
        f"/api/v1/views/{shared_id}", json={"name": "Mine now"}, headers=bearer(agent_a)
    )
    assert not_owner.status_code == 403

    counts = (await api.get("/api/v1/unread", headers=bearer(agent_a))).json()
    assert counts["tabs"] == {"mine": 0, "unassigned": 2}
    assert counts["views"][mine.json()["id"]] == 2

    renamed = await api.patch(
        f"/api/v1/views/{mine.json()['id']}",
        json={"name": "Unread", "filters": {"view": "unassigned", "unread": "1", "waiting": "60m"}},
        headers=bearer(agent_a),
    )
    assert renamed.status_code == 200
    assert renamed.json()["filters"]["waiting"] == "1h" and renamed.json()["unread_count"] == 0
    deleted = await api.delete(f"/api/v1/views/{mine.json()['id']}", headers=bearer(agent_a))
    assert deleted.status_code == 204
    names = [v["name"] for v in (await api.get("/api/v1/views", headers=bearer(agent_a))).json()]
    assert names == ["Team A open"]
    actions = {e.action for e in await _audit(services, "view.create")} | {
        e.action for e in await _audit(services, "view.archive")
    }
    assert actions == {"view.create", "view.archive"}
