"""Offboarding: disabling a person ends their access at once and hands their customers over."""

from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update
from tests.factories import PASSWORD, DemoWorld, bearer, inbound, receive
from typer.testing import CliRunner

from crossdesk.actions.identity import login
from crossdesk.actions.offboarding import offboard_user
from crossdesk.db.base import utcnow
from crossdesk.db.models import (
    AccountSession,
    ApiToken,
    AuditEvent,
    Conversation,
    User,
    WebSession,
)
from crossdesk.db.session import transaction
from crossdesk.errors import InvalidInput
from crossdesk.risk import audit
from crossdesk.services import Services


async def _give_agent_a_two_conversations(services: Services, world: DemoWorld) -> None:
    """One in their team A, one (left over from a past move) in team B."""
    await receive(services, world.account_a, inbound("hola", sender="c-a"))
    await receive(services, world.account_b, inbound("hello", sender="c-b"))
    async with transaction(services.sessionmaker) as session:
        await session.execute(update(Conversation).values(assignee_id=world.users["agent_a"].id))


async def _assignees(services: Services, world: DemoWorld) -> dict[str, str | None]:
    async with services.read_sessionmaker() as session:
        rows = (
            await session.execute(select(Conversation.account_id, Conversation.assignee_id))
        ).all()
    names = {world.account_a.id: "team A", world.account_b.id: "team B"}
    return {names[account]: assignee for account, assignee in rows}


async def test_offboarding_ends_access_and_hands_conversations_over(
    services: Services, world: DemoWorld
) -> None:
    await _give_agent_a_two_conversations(services, world)
    agent = world.users["agent_a"]
    async with transaction(services.sessionmaker) as session:
        await login(session, agent.email, PASSWORD, audit.Actor(None, "10.0.0.9", "test"), days=1)
        now = utcnow()
        session.add(  # a platform account session the agent has checked out
            AccountSession(
                workspace_id=world.workspace_id,
                account_id=world.account_a.id,
                state_enc=b"sealed",
                state_updated_at=now,
                lease_holder_id=agent.id,
                lease_token_hash="0" * 64,
                leased_at=now,
                lease_expires_at=now + timedelta(hours=1),
            )
        )
    async with services.sessionmaker() as session:
        user = await session.get(User, agent.id)
        target = await session.get(User, world.users["supervisor"].id)
        assert user is not None and target is not None
        result = await offboard_user(
            services, session, user, audit.Actor(world.users["owner"].id), reassign_to=target
        )
    assert (result.sessions_ended, result.tokens_revoked) == (1, 1)
    assert result.account_sessions_returned == 1
    assert (result.reassigned, result.returned_to_queue) == (1, 1)
    assert await _assignees(services, world) == {
        "team A": world.users["supervisor"].id,  # the chosen colleague is in team A
        "team B": None,  # not in team B: back to the team queue
    }
    async with services.read_sessionmaker() as session:
        assert (await session.get(User, agent.id)).disabled  # type: ignore[union-attr]
        assert (
            await session.scalar(select(WebSession).where(WebSession.user_id == agent.id)) is None
        )
        tokens = (await session.scalars(select(ApiToken).where(ApiToken.user_id == agent.id))).all()
        assert tokens and all(t.revoked for t in tokens)
        actions = (
            await session.scalars(
                select(AuditEvent.action).where(AuditEvent.seq > 0).order_by(AuditEvent.seq)
            )
        ).all()
        offboard = await session.scalar(
            select(AuditEvent).where(AuditEvent.action == "user.offboard")
        )
    assert actions[-5:] == [
        "user.disable",
        "session.force_checkin",
        "conversation.assign",
        "conversation.assign",
        "user.offboard",
    ]
    assert await session_holder(services) is None
    assert "auth.login" in actions  # what they did stays in the log
    assert offboard is not None and offboard.actor_id == world.users["owner"].id
    assert offboard.data["reassigned_to"] == world.users["supervisor"].id


async def session_holder(services: Services) -> str | None:
    async with services.read_sessionmaker() as session:
        return await session.scalar(select(AccountSession.lease_holder_id))


async def test_offboarding_refuses_a_disabled_or_foreign_colleague(
    services: Services, world: DemoWorld
) -> None:
    async with services.sessionmaker() as session:
        user = await session.get(User, world.users["agent_a"].id)
        assert user is not None
        with pytest.raises(InvalidInput):
            await offboard_user(services, session, user, audit.SYSTEM, reassign_to=user)


async def test_admin_api_offboards_and_guards_who_may(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    await _give_agent_a_two_conversations(sqlite_services, app_world)
    agent_id = app_world.users["agent_a"].id
    owner = bearer(app_world.tokens["owner"])
    path = f"/api/v1/admin/users/{agent_id}/disable"

    denied = await client.post(path, json={}, headers=bearer(app_world.tokens["supervisor"]))
    assert denied.status_code == 403
    own = f"/api/v1/admin/users/{app_world.users['owner'].id}/disable"
    assert (await client.post(own, json={}, headers=owner)).status_code == 400

    done = await client.post(
        path, json={"reassign_to": app_world.users["agent_b"].id}, headers=owner
    )
    assert done.status_code == 200, done.text
    assert done.json() == {
        "user_id": agent_id,
        "sessions_ended": 0,
        "tokens_revoked": 1,
        "account_sessions_returned": 0,
        "reassigned": 1,
        "returned_to_queue": 1,
    }
    assert await _assignees(sqlite_services, app_world) == {
        "team A": None,
        "team B": app_world.users["agent_b"].id,
    }
    gone = await client.get("/api/v1/me", headers=bearer(app_world.tokens["agent_a"]))
    assert gone.status_code == 401
    login_page = await client.post(
        "/login", data={"email": app_world.users["agent_a"].email, "password": PASSWORD}
    )
    assert login_page.status_code == 401

    users = (await client.get("/api/v1/admin/users", headers=owner)).json()
    assert [u["disabled"] for u in users if u["id"] == agent_id] == [True]
    enabled = await client.post(f"/api/v1/admin/users/{agent_id}/enable", headers=owner)
    assert enabled.status_code == 200 and enabled.json()["disabled"] is False


async def test_role_changes_are_audited_and_owners_protected(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    owner = bearer(app_world.tokens["owner"])
    agent_id = app_world.users["agent_b"].id
    changed = await client.post(
        f"/api/v1/admin/users/{agent_id}/role", json={"role": "supervisor"}, headers=owner
    )
    assert changed.status_code == 200 and changed.json()["role"] == "supervisor"
    me = await client.get("/api/v1/me", headers=bearer(app_world.tokens["agent_b"]))
    assert "conversation.assign" in me.json()["permissions"]  # effective at once
    async with sqlite_services.read_sessionmaker() as session:
        event = await session.scalar(
            select(AuditEvent).where(AuditEvent.action == "user.role_change")
        )
    assert event is not None and event.data == {"from": "agent", "to": "supervisor"}
    assert event.actor_id == app_world.users["owner"].id


def test_cli_disable_uses_the_offboarding_action(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crossdesk.cli.main import app

    monkeypatch.setenv("CROSSDESK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CROSSDESK_DATABASE_URL", raising=False)
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    workspace = runner.invoke(app, ["workspace", "create", "Acme"]).output.strip().splitlines()[-1]
    for email in ("li@acme.test", "wang@acme.test"):
        added = runner.invoke(
            app, ["user", "add", email, "-w", workspace], input="long-enough\nlong-enough\n"
        )
        assert added.exit_code == 0, added.output
    missing = runner.invoke(app, ["user", "disable", "li@acme.test", "--reassign-to", "x@y.z"])
    assert missing.exit_code == 1 and "no user with email" in missing.output
    done = runner.invoke(
        app, ["user", "disable", "li@acme.test", "--reassign-to", "wang@acme.test"]
    )
    assert done.exit_code == 0, done.output
    assert "disabled" in done.output and "0 token(s) revoked" in done.output
    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0 and "ok" in verified.output
