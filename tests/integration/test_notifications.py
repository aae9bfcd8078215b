"""Notifications (messages in my conversations, mentions, assignments), their API, the
mention refusal, presence and team settings over HTTP, the profile's UI language."""

import re

import httpx
from sqlalchemy import select
from tests.factories import PASSWORD, DemoWorld, bearer, inbound, receive

from crossdesk.actions import conversations as conv_actions
from crossdesk.actions.identity import principal_for
from crossdesk.actions.notes import add_note
from crossdesk.actions.notifications import list_notifications, unread_count
from crossdesk.db.models import Conversation, Notification, User
from crossdesk.errors import InvalidInput
from crossdesk.events import Event
from crossdesk.risk import audit
from crossdesk.risk.rbac import Principal
from crossdesk.services import Services
from crossdesk.web.sse import visible_to


async def _principal(services: Services, user_id: str) -> Principal:
    async with services.read_sessionmaker() as session:
        user = await session.get(User, user_id)
        assert user is not None
        return await principal_for(session, user)


async def _conversation(services: Services, team_id: str) -> Conversation:
    async with services.read_sessionmaker() as session:
        conversation = await session.scalar(
            select(Conversation).where(Conversation.team_id == team_id)
        )
    assert conversation is not None
    return conversation


async def test_mention_notifies_a_colleague_who_can_see_and_refuses_one_who_cannot(
    services: Services, world: DemoWorld
) -> None:
    await receive(services, world.account_a, inbound("Hola"))
    supervisor = await _principal(services, world.users["supervisor"].id)
    conversation = await _conversation(services, world.team_a)
    async with services.sessionmaker() as session:
        await add_note(
            services, session, supervisor, conversation, "@agent_a please call her", audit.SYSTEM
        )
    agent_a = await _principal(services, world.users["agent_a"].id)
    async with services.read_sessionmaker() as session:
        [note] = await list_notifications(session, agent_a)
        assert (note.kind, note.conversation_id) == ("mention", conversation.id)
        assert "please call her" in note.summary and note.actor_id == supervisor.user_id
        assert await unread_count(session, supervisor) == 0  # no self-notification
    # agent_b works in team B: they cannot open this conversation, so the note is refused.
    async with services.sessionmaker() as session:
        try:
            await add_note(
                services, session, supervisor, conversation, "@agent_b look", audit.SYSTEM
            )
        except InvalidInput as exc:
            assert "agent_b cannot see this conversation" in exc.message
        else:
            raise AssertionError("a blind mention was accepted")
    async with services.read_sessionmaker() as session:
        count = len((await session.scalars(select(Notification))).all())
    assert count == 1  # nothing stored by the refused note


async def test_messages_in_my_conversation_notify_me_once_until_read(
    services: Services, world: DemoWorld
) -> None:
    await receive(services, world.account_a, inbound("Hola", sender="n-1"))
    conversation = await _conversation(services, world.team_a)
    supervisor = await _principal(services, world.users["supervisor"].id)
    async with services.sessionmaker() as session:
        loaded = await conv_actions.load_visible(session, supervisor, conversation.id)
        await conv_actions.assign(
            services, session, supervisor, loaded, world.users["agent_a"].id, audit.SYSTEM
        )
    agent = await _principal(services, world.users["agent_a"].id)
    await receive(services, world.account_a, inbound("¿Hay alguien?", sender="n-1"))
    await receive(services, world.account_a, inbound("¿Hola?", sender="n-1"))
    async with services.read_sessionmaker() as session:
        kinds = sorted(n.kind for n in await list_notifications(session, agent))
    assert kinds == ["assignment", "message"]  # two messages, one unread notice
    # Opening the conversation reads its notifications; the next message notifies again.
    await conv_actions.mark_viewed(services, agent, conversation.id, audit.SYSTEM)
    async with services.read_sessionmaker() as session:
        assert await unread_count(session, agent) == 0
    await receive(services, world.account_a, inbound("Gracias", sender="n-1"))
    async with services.read_sessionmaker() as session:
        assert await unread_count(session, agent) == 1


def test_notification_events_reach_only_their_user() -> None:
    def principal(user_id: str, role: str = "auditor") -> Principal:
        from crossdesk.domain import Role

        return Principal(user_id, "ws", Role(role), frozenset(), "en", user_id)

    event = Event("notification.created", "ws", "c1", data={"user_id": "u1", "kind": "mention"})
    assert visible_to(principal("u1", "agent"), event)
    assert not visible_to(principal("u2"), event)  # not even to read.all roles
    assert not visible_to(principal("u2", "owner"), event)


async def _login(client: httpx.AsyncClient, email: str) -> str:
    await client.post("/login", data={"email": email, "password": PASSWORD})
    page = await client.get("/ui/inbox")
    match = re.search(r'data-csrf="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


async def test_notifications_api(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    world = app_world
    await receive(sqlite_services, world.account_a, inbound("Hola", sender="api-1"))
    supervisor, agent = bearer(world.tokens["supervisor"]), bearer(world.tokens["agent_a"])
    [conversation] = (
        await client.get("/api/v1/conversations?view=team", headers=supervisor)
    ).json()
    assigned = await client.post(
        f"/api/v1/conversations/{conversation['id']}/assign",
        json={"assignee_id": world.users["agent_a"].id},
        headers=supervisor,
    )
    assert assigned.status_code == 200
    await receive(sqlite_services, world.account_a, inbound("¿Y mi pedido?", sender="api-1"))
    listed = (await client.get("/api/v1/notifications", headers=agent)).json()
    assert sorted(n["kind"] for n in listed) == ["assignment", "message"]
    assert all(n["conversation_id"] == conversation["id"] for n in listed)
    count = await client.get("/api/v1/notifications/unread-count", headers=agent)
    assert count.json() == {"unread": 2}
    # Someone else cannot read my notifications or mark them read.
    other = bearer(world.tokens["agent_b"])
    assert (await client.get("/api/v1/notifications", headers=other)).json() == []
    theirs = await client.post(
        "/api/v1/notifications/read", json={"ids": [listed[0]["id"]]}, headers=other
    )
    assert theirs.json() == {"marked": 0, "unread": 0}
    one = await client.post(
        "/api/v1/notifications/read", json={"ids": [listed[0]["id"]]}, headers=agent
    )
    assert one.json() == {"marked": 1, "unread": 1}
    rest = await client.post("/api/v1/notifications/read", json={}, headers=agent)
    assert rest.json() == {"marked": 1, "unread": 0}
    unread = await client.get("/api/v1/notifications?unread=true", headers=agent)
    assert unread.json() == []
    bad = await client.post("/api/v1/notifications/read", json={"ids": []}, headers=agent)
    assert bad.status_code == 400 and "ids" in bad.text
    settings = await client.put(
        "/api/v1/notifications/settings", json={"browser": True}, headers=agent
    )
    assert settings.json() == {"browser": True}
    assert (await client.get("/api/v1/notifications/settings", headers=agent)).json() == {
        "browser": True
    }


async def test_presence_and_team_assignment_api(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    world = app_world
    agent, supervisor = bearer(world.tokens["agent_a"]), bearer(world.tokens["supervisor"])
    assert (await client.get("/api/v1/presence", headers=agent)).json()["presence"] == "offline"
    away = await client.put("/api/v1/presence", json={"availability": "away"}, headers=agent)
    assert away.json()["presence"] == "away"
    wrong = await client.put("/api/v1/presence", json={"availability": "busy"}, headers=agent)
    assert wrong.status_code == 422
    policy = await client.put(
        f"/api/v1/teams/{world.team_a}/assignment",
        json={"auto_assign": True, "default_capacity": 3, "offline_return_minutes": 30},
        headers=supervisor,
    )
    assert policy.status_code == 200, policy.text
    body = policy.json()
    assert (body["auto_assign"], body["default_capacity"], body["offline_return_minutes"]) == (
        True,
        3,
        30,
    )
    members = {m["display_name"]: m for m in body["members"]}
    assert members["agent_a"]["presence"] == "away"
    assert members["agent_a"]["effective_capacity"] == 3
    capacity = await client.put(
        f"/api/v1/users/{world.users['agent_a'].id}/capacity",
        json={"capacity": 1},
        headers=supervisor,
    )
    assert capacity.json()["effective_capacity"] == 1
    # Team B is not the supervisor's; agents may not change policies.
    other_team = await client.put(
        f"/api/v1/teams/{world.team_b}/assignment",
        json={"auto_assign": True},
        headers=supervisor,
    )
    assert other_team.status_code == 403
    refused = await client.put(
        f"/api/v1/teams/{world.team_a}/assignment", json={"auto_assign": False}, headers=agent
    )
    assert refused.status_code == 403
    teams = (await client.get("/api/v1/teams/assignment", headers=supervisor)).json()
    assert [t["name"] for t in teams] == ["A"]


async def test_profile_switches_the_ui_language_and_shows_pages(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    csrf = await _login(client, app_world.users["agent_b"].email)  # English by default
    page = await client.get("/ui/profile")
    assert page.status_code == 200 and "Interface language" in page.text
    saved = await client.post(
        "/ui/profile",
        data={
            "csrf_token": csrf,
            "language": "zh-Hans",
            "availability": "away",
            "browser_notifications": "true",
        },
    )
    assert saved.status_code == 303
    page = await client.get("/ui/profile?saved=1")
    assert "界面语言" in page.text and 'id="profile-saved"' in page.text
    assert 'value="away" checked' in page.text
    bell = await client.get("/ui/notifications/bell")
    assert 'data-browser="on"' in bell.text and "新的客户消息" in bell.text
    bad = await client.post("/ui/profile", data={"csrf_token": csrf, "language": "xx"})
    assert bad.status_code == 400 and "unsupported language" in bad.text
    inbox = await client.get("/ui/inbox")
    assert "快捷键" in inbox.text and 'id="bell-slot"' in inbox.text
    assert (await client.get("/ui/team")).status_code == 403  # agents have no team page
    assert (await client.get("/ui/notifications")).status_code == 200


async def test_team_page_for_supervisors(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    csrf = await _login(client, app_world.users["supervisor"].email)
    page = await client.get("/ui/team")
    assert page.status_code == 200 and "agent_a" in page.text
    saved = await client.post(
        f"/ui/team/{app_world.team_a}/policy",
        data={"csrf_token": csrf, "auto_assign": "true", "default_capacity": "2"},
    )
    assert saved.status_code == 303
    bad = await client.post(
        f"/ui/team/{app_world.team_a}/policy",
        data={"csrf_token": csrf, "default_capacity": "many"},
    )
    assert bad.status_code == 400 and "whole number" in bad.text
    capacity = await client.post(
        f"/ui/team/capacity/{app_world.users['agent_a'].id}",
        data={"csrf_token": csrf, "capacity": "4"},
    )
    assert capacity.status_code == 303
    page = await client.get("/ui/team")
    assert 'value="4"' in page.text and "checked" in page.text


async def test_mentions_are_highlighted_in_the_thread(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    await receive(sqlite_services, app_world.account_a, inbound("Hola"))
    csrf = await _login(client, app_world.users["supervisor"].email)
    conversation = await _conversation(sqlite_services, app_world.team_a)
    page = await client.post(
        f"/ui/conversations/{conversation.id}/note",
        data={"text": "@agent_a <b>VIP</b>"},
        headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
    )
    assert '<mark class="mention">@agent_a</mark> &lt;b&gt;VIP&lt;/b&gt;' in page.text
    refused = await client.post(
        f"/ui/conversations/{conversation.id}/note",
        data={"text": "@agent_b hi"},
        headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
    )
    assert refused.status_code == 400 and "cannot see this conversation" in refused.text
