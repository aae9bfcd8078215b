"""Custom roles composed from permissions: what they grant, what they may never grant,
archiving, audit, and that conversation scoping keeps following the base role."""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from tests.conftest import make_settings
from tests.factories import bearer, build_world, inbound, receive
from tests.fakes.translation import engines as fake

from crossdesk.actions.custom_roles import check_permissions
from crossdesk.db.models import AuditEvent, User
from crossdesk.domain import Permission, Role
from crossdesk.risk.rbac import ROLE_PERMISSIONS, Principal
from crossdesk.services import Services, build_services
from crossdesk.translation import TranslationConfig
from crossdesk.translation.factory import EngineSpec
from crossdesk.web.app import create_app

COMPARE = {"text": "¿Tienen la talla M?", "source": "es", "target": "en"}


@pytest.fixture
async def role_services(tmp_path: Path, database_url: str) -> AsyncIterator[Services]:
    """Both databases, with one fake OpenAI-compatible engine so a comparison succeeds."""
    state = fake.FakeState()
    with fake.serve(state) as url:
        config = TranslationConfig(
            engines=(
                EngineSpec(
                    "deepseek",
                    "deepseek",
                    {"api_key": fake.OPENAI_KEY, "base_url": f"{url}/openai/v1"},
                ),
            ),
            attempts=1,
            timeout=5.0,
        )
        built = build_services(make_settings(tmp_path, database_url), translation=config)
        yield built
        await built.close()


async def _audit(services: Services, action: str) -> list[AuditEvent]:
    async with services.read_sessionmaker() as session:
        rows = await session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        )
        return list(rows)


async def test_custom_roles_grant_archive_audit_and_keep_scoping(
    role_services: Services,
) -> None:
    services = role_services
    world = await build_world(services)
    await receive(services, world.account_a, inbound("para el equipo A"))
    await receive(services, world.account_b, inbound("para el equipo B", sender="c2"))
    app = create_app(services.settings, services=services)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        owner = bearer(world.tokens["owner"])
        agent_a, agent_b = bearer(world.tokens["agent_a"]), bearer(world.tokens["agent_b"])
        agent_a_id = world.users["agent_a"].id

        # Only user.manage may see or create roles.
        assert (await client.get("/api/v1/roles", headers=agent_a)).status_code == 403
        wanted = sorted({p.value for p in ROLE_PERMISSIONS[Role.AGENT]} | {"translation.compare"})
        created = await client.post(
            "/api/v1/roles",
            json={"name": "Senior agent", "base_role": "agent", "permissions": wanted},
            headers=owner,
        )
        assert created.status_code == 201, created.text
        role = created.json()
        assert role["base_role"] == "agent" and role["permissions"] == wanted
        duplicate = await client.post(
            "/api/v1/roles",
            json={"name": "Senior agent", "base_role": "agent", "permissions": []},
            headers=owner,
        )
        assert duplicate.status_code == 409

        # Scope and admin-only permissions are refused, naming the permission.
        for bad, base in (("conversation.read.all", "agent"), ("user.manage", "supervisor")):
            refused = await client.post(
                "/api/v1/roles",
                json={"name": f"Bad {bad}", "base_role": base, "permissions": [bad]},
                headers=owner,
            )
            assert refused.status_code == 422, refused.text
            assert bad in refused.json()["error"]["message"]
        unknown = await client.post(
            "/api/v1/roles",
            json={"name": "Typo", "base_role": "agent", "permissions": ["message.sned"]},
            headers=owner,
        )
        assert unknown.status_code == 422
        assert "unknown permission: 'message.sned'" in unknown.json()["error"]["message"]
        owner_based = await client.post(
            "/api/v1/roles",
            json={"name": "Boss", "base_role": "owner", "permissions": []},
            headers=owner,
        )
        assert owner_based.status_code == 400 and "base_role" in owner_based.text

        # Before: a plain agent may not compare engines.
        assert (
            await client.post("/api/v1/translation/compare", json=COMPARE, headers=agent_a)
        ).status_code == 403
        assigned = await client.post(
            f"/api/v1/admin/users/{agent_a_id}/role",
            json={"custom_role_id": role["id"]},
            headers=owner,
        )
        assert assigned.status_code == 200, assigned.text
        assert assigned.json()["role"] == "agent"
        assert assigned.json()["custom_role_id"] == role["id"]
        both = await client.post(
            f"/api/v1/admin/users/{agent_a_id}/role",
            json={"role": "agent", "custom_role_id": role["id"]},
            headers=owner,
        )
        assert both.status_code == 422

        compared = await client.post("/api/v1/translation/compare", json=COMPARE, headers=agent_a)
        assert compared.status_code == 200, compared.text
        assert compared.json()["answers"][0]["status"] == "ok"
        plain = await client.post("/api/v1/translation/compare", json=COMPARE, headers=agent_b)
        assert plain.status_code == 403

        # Scoping follows the base role: team A's queue only, never "all" or team B.
        me = (await client.get("/api/v1/me", headers=agent_a)).json()
        assert "translation.compare" in me["permissions"]
        assert "conversation.read.all" not in me["permissions"]
        queue = await client.get("/api/v1/conversations?view=unassigned", headers=agent_a)
        assert queue.status_code == 200 and len(queue.json()) == 1
        assert (
            await client.get("/api/v1/conversations?view=all", headers=agent_a)
        ).status_code == 403
        assert (
            await client.get("/api/v1/conversations?view=team", headers=agent_a)
        ).status_code == 403

        # Edit: rename and narrow; archive falls back to the base role's permissions.
        renamed = await client.patch(
            f"/api/v1/roles/{role['id']}", json={"name": "Comparer"}, headers=owner
        )
        assert renamed.status_code == 200 and renamed.json()["name"] == "Comparer"
        archived = await client.patch(
            f"/api/v1/roles/{role['id']}", json={"archived": True}, headers=owner
        )
        assert archived.status_code == 200 and archived.json()["archived"] is True
        assert (
            await client.post("/api/v1/translation/compare", json=COMPARE, headers=agent_a)
        ).status_code == 403
        me = (await client.get("/api/v1/me", headers=agent_a)).json()
        assert set(me["permissions"]) == {p.value for p in ROLE_PERMISSIONS[Role.AGENT]}
        listed = (await client.get("/api/v1/roles", headers=owner)).json()
        assert listed == []
        listed = (await client.get("/api/v1/roles?include_archived=true", headers=owner)).json()
        assert [r["name"] for r in listed] == ["Comparer"]
        refused = await client.post(
            f"/api/v1/admin/users/{world.users['agent_b'].id}/role",
            json={"custom_role_id": role["id"]},
            headers=owner,
        )
        assert refused.status_code == 400 and "archived" in refused.text

        # A fixed role replaces the custom one.
        fixed = await client.post(
            f"/api/v1/admin/users/{agent_a_id}/role", json={"role": "supervisor"}, headers=owner
        )
        assert fixed.status_code == 200 and fixed.json()["custom_role_id"] is None

    created_events = await _audit(services, "role.create")
    assert [e.data["name"] for e in created_events] == ["Senior agent"]
    assert created_events[0].actor_id == world.users["owner"].id
    updates = await _audit(services, "role.update")
    assert [sorted(e.data) for e in updates] == [["name"], ["archived"]]
    changes = await _audit(services, "user.role_change")
    assert [e.data.get("custom_role_id") for e in changes] == [role["id"], None]
    assert changes[1].data["from_custom_role_id"] == role["id"]
    async with services.read_sessionmaker() as session:
        user = await session.get(User, agent_a_id)
    assert user is not None and user.custom_role_id is None and user.role == "supervisor"


async def test_a_role_cannot_grant_what_its_creator_lacks(role_services: Services) -> None:
    """A user manager holding a custom role (admin-based, without pii.reveal) cannot create,
    widen or hand out a role with pii.reveal; the 422 names the permission."""
    services = role_services
    world = await build_world(services)
    app = create_app(services.settings, services=services)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        owner = bearer(world.tokens["owner"])
        limited = sorted(p.value for p in Permission if p is not Permission.PII_REVEAL)
        manager_role = await client.post(
            "/api/v1/roles",
            json={"name": "People admin", "base_role": "admin", "permissions": limited},
            headers=owner,
        )
        assert manager_role.status_code == 201, manager_role.text
        revealer = await client.post(
            "/api/v1/roles",
            json={"name": "Revealer", "base_role": "agent", "permissions": ["pii.reveal"]},
            headers=owner,
        )
        assert revealer.status_code == 201
        supervisor_id = world.users["supervisor"].id
        made = await client.post(
            f"/api/v1/admin/users/{supervisor_id}/role",
            json={"custom_role_id": manager_role.json()["id"]},
            headers=owner,
        )
        assert made.status_code == 200 and made.json()["role"] == "admin"
        manager = bearer(world.tokens["supervisor"])

        escalate = await client.post(
            "/api/v1/roles",
            json={"name": "Sneaky", "base_role": "agent", "permissions": ["pii.reveal"]},
            headers=manager,
        )
        assert escalate.status_code == 422
        assert escalate.json()["error"]["code"] == "permission_not_grantable"
        assert "pii.reveal" in escalate.json()["error"]["message"]
        own = await client.post(
            "/api/v1/roles",
            json={"name": "Sender", "base_role": "agent", "permissions": ["message.send"]},
            headers=manager,
        )
        assert own.status_code == 201, own.text
        widen = await client.patch(
            f"/api/v1/roles/{own.json()['id']}",
            json={"permissions": ["message.send", "pii.reveal"]},
            headers=manager,
        )
        assert widen.status_code == 422 and "pii.reveal" in widen.text
        hand_out = await client.post(
            f"/api/v1/admin/users/{world.users['agent_b'].id}/role",
            json={"custom_role_id": revealer.json()["id"]},
            headers=manager,
        )
        assert hand_out.status_code == 422 and "pii.reveal" in hand_out.text
    assert [e.data["name"] for e in await _audit(services, "role.create")] == [
        "People admin",
        "Revealer",
        "Sender",
    ]


def test_validation_names_the_first_bad_permission() -> None:
    agent = Principal("u", "w", Role.AGENT, frozenset(), "en", "a")
    with pytest.raises(Exception, match=r"pii\.reveal"):
        check_permissions(agent, Role.AGENT, [Permission.MESSAGE_SEND, Permission.PII_REVEAL])
    assert check_permissions(agent, Role.AGENT, [Permission.MESSAGE_SEND]) == {
        Permission.MESSAGE_SEND
    }
