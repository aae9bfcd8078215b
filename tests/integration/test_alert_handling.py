"""Alerts for supervisors: scoped lists with filters, acknowledge and resolve with a note
(audited), the dashboard's numbers and page, and who receives live alert events."""

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select
from tests.factories import DemoWorld, asgi_client, bearer

from crossdesk.actions.alert_handling import alert_event, alert_event_visible
from crossdesk.actions.identity import principal_for
from crossdesk.db.models import AuditEvent, RiskAlert
from crossdesk.db.session import transaction
from crossdesk.risk import audit
from crossdesk.risk.alerts import raise_alert
from crossdesk.services import Services
from crossdesk.web.app import create_app


@pytest.fixture
async def api(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(create_app(services.settings, services=services)) as client:
        yield client


async def _raise_three(services: Services, world: DemoWorld) -> dict[str, str]:
    """agent_a (team A) diversion, agent_b (team B) abuse, system health of team B's account."""
    async with transaction(services.sessionmaker) as session:
        a = await raise_alert(
            session,
            world.workspace_id,
            kind="guard.diversion",
            severity=4,
            summary="agent_a tried to send: wechat",
            actor_id=world.users["agent_a"].id,
            target_type="conversation",
            target_id=None,
            data={"categories": ["diversion"]},
        )
        b = await raise_alert(
            session,
            world.workspace_id,
            kind="guard.abuse",
            severity=2,
            summary="agent_b: idiot",
            actor_id=world.users["agent_b"].id,
            target_type=None,
            target_id=None,
        )
        c = await raise_alert(
            session,
            world.workspace_id,
            kind="account.health",
            severity=5,
            summary="Account acc-b: unauthorized",
            actor_id=None,
            target_type="channel_account",
            target_id=world.account_b.id,
        )
    return {"a": a.id, "b": b.id, "c": c.id}


async def test_scoped_lists_filters_acknowledge_and_resolve(
    api: httpx.AsyncClient, services: Services, world: DemoWorld
) -> None:
    ids = await _raise_three(services, world)
    owner = bearer(world.tokens["owner"])
    supervisor = bearer(world.tokens["supervisor"])

    every = await api.get("/api/v1/alerts", headers=owner)
    assert every.status_code == 200
    assert {a["id"] for a in every.json()} == set(ids.values())
    # The supervisor of team A sees team A's people only; agents see nothing at all.
    theirs = await api.get("/api/v1/alerts", headers=supervisor)
    assert [a["id"] for a in theirs.json()] == [ids["a"]]
    assert (
        await api.get("/api/v1/alerts", headers=bearer(world.tokens["agent_a"]))
    ).status_code == 403
    auditor = await api.get("/api/v1/alerts", headers=bearer(world.tokens["auditor"]))
    assert len(auditor.json()) == 3

    guard = await api.get("/api/v1/alerts?kind=guard", headers=owner)
    assert {a["kind"] for a in guard.json()} == {"guard.diversion", "guard.abuse"}
    severe = await api.get("/api/v1/alerts?severity=4", headers=owner)
    assert {a["id"] for a in severe.json()} == {ids["a"], ids["c"]}
    by_agent = await api.get(f"/api/v1/alerts?agent={world.users['agent_b'].id}", headers=owner)
    assert [a["id"] for a in by_agent.json()] == [ids["b"]]
    bad = await api.get("/api/v1/alerts?since=yesterday", headers=owner)
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.json()["error"]["message"]

    # Team B's alerts are not the supervisor's to handle (not found for them).
    other = await api.post(
        f"/api/v1/alerts/{ids['b']}/acknowledge", json={"note": "x"}, headers=supervisor
    )
    assert other.status_code == 404
    denied = await api.post(
        f"/api/v1/alerts/{ids['a']}/acknowledge",
        json={"note": "x"},
        headers=bearer(world.tokens["auditor"]),
    )
    assert denied.status_code == 403

    ack = await api.post(
        f"/api/v1/alerts/{ids['a']}/acknowledge",
        json={"note": "talking to agent_a"},
        headers=supervisor,
    )
    assert ack.status_code == 200
    body = ack.json()
    assert body["status"] == "acknowledged"
    assert body["acknowledged_by"] == world.users["supervisor"].id
    assert body["acknowledge_note"] == "talking to agent_a" and body["acknowledged_at"]
    again = await api.post(
        f"/api/v1/alerts/{ids['a']}/acknowledge", json={"note": ""}, headers=supervisor
    )
    assert again.status_code == 409

    no_note = await api.post(
        f"/api/v1/alerts/{ids['a']}/resolve", json={"note": "  "}, headers=supervisor
    )
    assert no_note.status_code == 400 and no_note.json()["error"]["fields"]["field"] == "note"
    resolved = await api.post(
        f"/api/v1/alerts/{ids['a']}/resolve",
        json={"note": "warned; customer kept in the shop"},
        headers=supervisor,
    )
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    assert resolved.json()["resolved_by"] == world.users["supervisor"].id

    status = await api.get("/api/v1/alerts?status=resolved", headers=owner)
    assert [a["id"] for a in status.json()] == [ids["a"]]
    one = await api.get(f"/api/v1/alerts/{ids['a']}", headers=owner)
    assert one.json()["resolve_note"] == "warned; customer kept in the shop"

    async with services.read_sessionmaker() as session:
        events = (
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.target_id == ids["a"], AuditEvent.action.like("risk.alert_%"))
                .order_by(AuditEvent.seq)
            )
        ).all()
    assert [(e.action, e.actor_id, e.data["note"]) for e in events] == [
        ("risk.alert_acknowledge", world.users["supervisor"].id, "talking to agent_a"),
        ("risk.alert_resolve", world.users["supervisor"].id, "warned; customer kept in the shop"),
    ]


async def test_stats_and_dashboard_page(
    api: httpx.AsyncClient, services: Services, world: DemoWorld
) -> None:
    await _raise_three(services, world)
    async with transaction(services.sessionmaker) as session:
        await audit.record(
            session,
            world.workspace_id,
            "guard.hit",
            audit.Actor(world.users["agent_a"].id),
            data={"categories": ["diversion"]},
        )
        await audit.record(
            session,
            world.workspace_id,
            "message.blocked",
            audit.Actor(world.users["agent_b"].id),
            data={"stage": "guard", "categories": ["abuse", "diversion"]},
        )
    owner = bearer(world.tokens["owner"])
    stats = (await api.get("/api/v1/alerts/stats", headers=owner)).json()
    guard = {row["label"]: row["count"] for row in stats["guard_by_category"]}
    assert guard == {"diversion": 2, "abuse": 1}
    assert stats["total"] == 3 and len(stats["per_day"]) == 30
    assert stats["per_day"][-1]["count"] == 3  # all raised today (UTC)
    assert {row["label"]: row["count"] for row in stats["by_kind"]} == {
        "guard.diversion": 1,
        "guard.abuse": 1,
        "account.health": 1,
    }
    assert {row["label"] for row in stats["by_agent"]} == {"agent_a", "agent_b", "system"}
    theirs = (
        await api.get("/api/v1/alerts/stats", headers=bearer(world.tokens["supervisor"]))
    ).json()
    assert theirs["total"] == 1
    assert theirs["guard_by_category"] == [{"label": "diversion", "count": 1}]  # agent_a's

    page = await api.get("/ui/alerts?status=", headers=owner)
    assert page.status_code == 200
    assert 'id="alerts-per-day"' in page.text and "guard.diversion" in page.text
    assert page.text.count('class="alert-row') == 3
    assert 'id="notifications"' in page.text  # owners configure notifications
    supervisor_page = await api.get("/ui/alerts", headers=bearer(world.tokens["supervisor"]))
    assert supervisor_page.text.count('class="alert-row') == 1
    assert 'id="notifications"' not in supervisor_page.text
    listed = await api.get("/ui/alerts/list?status=open&kind=account", headers=owner)
    assert listed.text.count('class="alert-row') == 1
    agent = await api.get("/ui/alerts", headers=bearer(world.tokens["agent_a"]))
    assert agent.status_code == 403


async def test_live_alert_events_reach_the_right_people(
    services: Services, world: DemoWorld
) -> None:
    async with transaction(services.sessionmaker) as session:
        alert = await raise_alert(
            session,
            world.workspace_id,
            kind="guard.diversion",
            severity=4,
            summary="x",
            actor_id=world.users["agent_b"].id,
            target_type=None,
            target_id=None,
        )
        principals = {
            name: await principal_for(session, user) for name, user in world.users.items()
        }
    stored = RiskAlert(
        id=alert.id, workspace_id=world.workspace_id, kind=alert.kind, severity=4, status="open"
    )
    team_b = alert_event(stored, "alert.created", [world.team_b])
    assert alert_event_visible(principals["owner"], team_b)
    assert alert_event_visible(principals["auditor"], team_b)
    assert not alert_event_visible(principals["supervisor"], team_b)  # team A's supervisor
    assert not alert_event_visible(principals["agent_b"], team_b)  # agents never
    team_a = alert_event(stored, "alert.created", [world.team_a])
    assert alert_event_visible(principals["supervisor"], team_a)
    assert "summary" not in team_a.data  # ids and numbers only on the bus
