"""Risk rules live: the worker fires once (also across restarts), each action takes effect
(approval gate, suspended sessions, locked checkout), supervisors approve and unlock."""

import contextlib
import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, update
from tests.factories import PASSWORD, DemoWorld, bearer, inbound, receive
from tests.integration.test_sessions import captured, principal

from crossdesk.actions import sessions
from crossdesk.actions.reports import export_report
from crossdesk.actions.reveal_pii import reveal_pii
from crossdesk.actions.risk_actions import approve, store_rules, unlock_account
from crossdesk.db.models import (
    AuditEvent,
    Message,
    RiskAccountLock,
    RiskAlert,
    RiskApproval,
    RiskRuleCursor,
    RiskRuleFiring,
)
from crossdesk.db.session import transaction
from crossdesk.errors import Conflict, PermissionDenied
from crossdesk.risk import audit
from crossdesk.risk.periods import Period
from crossdesk.risk.reports import ReportScope
from crossdesk.services import Services
from crossdesk.web.app import create_app
from crossdesk.workers.risk_rules import RiskRulesWorker

RULES = """
[[rules]]
id = "diversion"
description = "diversion attempts"
severity = 4
match.events = ["guard.hit", "message.blocked"]
match.where = [{ field = "data.categories", op = "contains", value = "diversion" }]
group_by = ["user"]
window = "1h"
threshold = ">= 2"
actions = ["alert", "ACTION"]
"""


def rules_with(action: str) -> str:
    return RULES.replace(', "ACTION"', "" if action == "alert" else f', "{action}"')


async def use_rules(services: Services, world: DemoWorld, text: str) -> None:
    async with transaction(services.sessionmaker) as session:
        await store_rules(session, world.workspace_id, text, audit.SYSTEM)


async def diversion_hit(services: Services, world: DemoWorld, who: str) -> None:
    async with transaction(services.sessionmaker) as session:
        await audit.record(
            session,
            world.workspace_id,
            "message.blocked",
            audit.Actor(world.users[who].id),
            target_type="conversation",
            target_id="c1",
            data={"categories": ["diversion"], "terms": ["wechat"]},
        )


async def count(services: Services, model: type, **where: object) -> int:
    async with services.read_sessionmaker() as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return int(await session.scalar(query) or 0)


async def test_worker_fires_once_and_not_again_after_a_restart(
    services: Services, world: DemoWorld
) -> None:
    await use_rules(services, world, rules_with("alert"))
    worker = RiskRulesWorker(services)
    assert await worker.run_once() == 0
    await diversion_hit(services, world, "agent_a")
    assert await worker.run_once() == 0  # N-1: nothing
    await diversion_hit(services, world, "agent_a")
    await diversion_hit(services, world, "agent_b")  # another person's window
    assert await worker.run_once() == 1  # N
    async with services.read_sessionmaker() as session:
        alert = (await session.scalars(select(RiskAlert))).one()
        evidence = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.id.in_(alert.data["evidence"]))
            )
        ).all()
    assert alert.kind == "rule.diversion" and alert.severity == 4
    assert alert.actor_id == world.users["agent_a"].id and alert.target_type == "user"
    assert [e.action for e in evidence] == ["message.blocked"] * 2
    assert {e.actor_id for e in evidence} == {world.users["agent_a"].id}

    # A restart: a new worker warms up from the stored cursor and fires nothing twice,
    # even on a third hit in the same window period.
    restarted = RiskRulesWorker(services)
    await diversion_hit(services, world, "agent_a")
    assert await restarted.run_once() == 0
    # Even a cursor rewound to the start (a crash between evaluation and commit, two
    # workers) acts at most once per rule, group and period: the firing key is unique.
    async with transaction(services.sessionmaker) as session:
        await session.execute(update(RiskRuleCursor).values(last_seq=0))
    assert await RiskRulesWorker(services).run_once() == 0
    assert await count(services, RiskAlert) == 1
    assert await count(services, RiskRuleFiring) == 1
    assert await count(services, AuditEvent, action="risk.alert") == 1


async def test_rules_reload_without_restart(services: Services, world: DemoWorld) -> None:
    worker = RiskRulesWorker(services)
    await worker.run_once()  # the shipped defaults: 3 hits needed
    await diversion_hit(services, world, "agent_a")
    await diversion_hit(services, world, "agent_a")
    assert await worker.run_once() == 0
    await use_rules(services, world, rules_with("alert"))  # 2 hits needed now
    await diversion_hit(services, world, "agent_a")
    assert await worker.run_once() == 1
    async with services.read_sessionmaker() as session:
        changed = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == "risk.rules_change")
            )
        ).one()
    assert changed.data["rules"] == ["diversion"] and changed.data["version"] == 1


async def _revealable_message(services: Services, world: DemoWorld) -> str:
    await receive(services, world.account_a, inbound("Llámame al +34 612 345 678"))
    async with services.read_sessionmaker() as session:
        return (await session.scalars(select(Message.id))).one()


async def test_approval_gate_blocks_the_reveal_until_a_supervisor_approves(
    services: Services, world: DemoWorld
) -> None:
    await use_rules(services, world, rules_with("require_approval"))
    worker = RiskRulesWorker(services)
    await worker.run_once()
    message_id = await _revealable_message(services, world)
    supervisor = await principal(services, world.users["supervisor"])
    owner = await principal(services, world.users["owner"])
    actor = audit.Actor(supervisor.user_id)
    value, _ = await reveal_pii(services, supervisor, message_id, 0, "courier call", actor)
    assert value == "+34 612 345 678"
    await diversion_hit(services, world, "supervisor")
    await diversion_hit(services, world, "supervisor")
    assert await worker.run_once() == 1
    with pytest.raises(Conflict, match="a supervisor must approve this pii reveal first"):
        await reveal_pii(services, supervisor, message_id, 0, "courier call", actor)
    # checkouts are held back too
    await captured(services, world)
    with pytest.raises(Conflict, match="must approve this session checkout"):
        await sessions.checkout_session(services, supervisor, world.account_a.id, actor)
    # and so are exports
    today = datetime.now(UTC).date()
    with pytest.raises(Conflict, match="must approve this export"):
        await export_report(
            services, ReportScope.of(supervisor), "agents", Period(today, today), actor
        )
    async with services.read_sessionmaker() as session:
        pending = (await session.scalars(select(RiskApproval))).one()
        refused = list(
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "risk.gate_refused")
                .order_by(AuditEvent.seq)
            )
        )
        checkout_refused = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == "session.checkout_refused")
            )
        ).one()
    assert pending.status == "pending" and pending.user_id == supervisor.user_id
    assert [e.data["for"] for e in refused] == ["pii.reveal", "export"]
    assert checkout_refused.data["reason"] == "approval_required"
    with pytest.raises(PermissionDenied, match="another supervisor"):
        await approve(services, supervisor, pending.id, "me", actor)
    agent = await principal(services, world.users["agent_a"])
    with pytest.raises(PermissionDenied):
        await approve(services, agent, pending.id, None, audit.Actor(agent.user_id))
    granted = await approve(
        services, owner, pending.id, "talked to them", audit.Actor(owner.user_id)
    )
    assert granted.status == "approved"
    value, _ = await reveal_pii(services, supervisor, message_id, 0, "courier call", actor)
    assert value == "+34 612 345 678"
    async with services.read_sessionmaker() as session:
        row = await session.get(RiskApproval, pending.id)
        actions = list(
            await session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.action.like("risk.approval%"))
                .order_by(AuditEvent.seq)
            )
        )
    assert row is not None and row.status == "used" and row.used_for == "pii.reveal"
    assert actions == ["risk.approval_required", "risk.approval_granted", "risk.approval_used"]


async def test_suspended_users_token_gets_401(services: Services, world: DemoWorld) -> None:
    await use_rules(services, world, rules_with("suspend_sessions"))
    worker = RiskRulesWorker(services)
    await worker.run_once()
    app = create_app(services.settings, services=services)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        me = await client.get("/api/v1/me", headers=bearer(world.tokens["agent_a"]))
        assert me.status_code == 200
        await diversion_hit(services, world, "agent_a")
        await diversion_hit(services, world, "agent_a")
        assert await worker.run_once() == 1
        me = await client.get("/api/v1/me", headers=bearer(world.tokens["agent_a"]))
        assert me.status_code == 401
        other = await client.get("/api/v1/me", headers=bearer(world.tokens["agent_b"]))
        assert other.status_code == 200
    async with services.read_sessionmaker() as session:
        event = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == "risk.sessions_suspended")
            )
        ).one()
    assert event.target_id == world.users["agent_a"].id and event.data["tokens_revoked"] == 1


async def test_checkout_outside_the_team_locks_the_account_until_unlocked(
    services: Services, world: DemoWorld
) -> None:
    worker = RiskRulesWorker(services)
    await worker.run_once()  # the shipped rules: checkout-outside-team locks the account
    await captured(services, world)
    owner = await principal(services, world.users["owner"])  # in no team: "outside"
    agent = await principal(services, world.users["agent_a"])  # team A, the account's team
    held = await sessions.checkout_session(
        services, agent, world.account_a.id, audit.Actor(agent.user_id)
    )
    await sessions.checkin_session(
        services, agent, world.account_a.id, held.lease_token, None, audit.Actor(agent.user_id)
    )
    assert await worker.run_once() == 0  # inside the team: no rule
    held = await sessions.checkout_session(
        services, owner, world.account_a.id, audit.Actor(owner.user_id)
    )
    await sessions.checkin_session(
        services, owner, world.account_a.id, held.lease_token, None, audit.Actor(owner.user_id)
    )
    assert await worker.run_once() == 1
    with pytest.raises(Conflict, match="checkout is locked"):
        await sessions.checkout_session(
            services, agent, world.account_a.id, audit.Actor(agent.user_id)
        )
    # the other account is not locked
    await sessions.capture_session(
        services, owner, world.account_b.id, b'{"cookies": [], "origins": []}', audit.SYSTEM
    )
    agent_b = await principal(services, world.users["agent_b"])
    await sessions.checkout_session(
        services, agent_b, world.account_b.id, audit.Actor(agent_b.user_id)
    )
    async with services.read_sessionmaker() as session:
        lock = (await session.scalars(select(RiskAccountLock))).one()
        refused = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == "session.checkout_refused")
            )
        ).one()
    assert lock.account_id == world.account_a.id and lock.rule_id == "checkout-outside-team"
    assert refused.data["reason"] == "risk_locked"
    supervisor = await principal(services, world.users["supervisor"])
    await unlock_account(
        services, supervisor, lock.id, "owner was testing", audit.Actor(supervisor.user_id)
    )
    again = await sessions.checkout_session(
        services, agent, world.account_a.id, audit.Actor(agent.user_id)
    )
    assert again.lease_token
    assert await count(services, AuditEvent, action="risk.account_unlocked") == 1
    assert await count(services, AuditEvent, action="risk.account_locked") == 1


async def test_same_handle_sent_to_several_customers(services: Services, world: DemoWorld) -> None:
    """Replies carry keyed fingerprints of the handles they contain (never the handle)."""
    from crossdesk.actions.conversations import load_visible
    from crossdesk.actions.send_reply import send_reply
    from crossdesk.db.models import Conversation
    from crossdesk.errors import BlockedByPolicy

    worker = RiskRulesWorker(services)
    await worker.run_once()
    for sender in ("cust-1", "cust-2", "cust-3"):
        await receive(services, world.account_a, inbound("hola", sender=sender))
    agent = await principal(services, world.users["agent_a"])
    async with transaction(services.sessionmaker) as session:
        await session.execute(update(Conversation).values(assignee_id=agent.user_id))
    async with services.read_sessionmaker() as session:
        conversation_ids = list(await session.scalars(select(Conversation.id)))
    texts = ["add me +86 138 0013 8000", "my number 13800138000", "call +86 13800138000"]
    for conversation_id, text in zip(conversation_ids, texts, strict=True):
        async with services.sessionmaker() as session:
            conversation = await load_visible(session, agent, conversation_id)
            with contextlib.suppress(BlockedByPolicy):  # blocked attempts count as well
                await send_reply(
                    services, session, agent, conversation, text, idempotency_key=None,
                    actor=audit.Actor(agent.user_id), allow_untranslated=True,
                    confirm_warnings=True,
                )  # fmt: skip
    assert await worker.run_once() >= 1
    async with services.read_sessionmaker() as session:
        alert = (
            await session.scalars(
                select(RiskAlert).where(RiskAlert.kind == "rule.handle-to-many-customers")
            )
        ).one()
        sends = list(
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action.in_(("message.send", "message.blocked")))
            )
        )
    assert alert.data["value"] == 3
    assert len({e.data["contact_id"] for e in sends}) == 3
    assert len({h for e in sends for h in e.data["handles"]}) == 1
    assert all("13800138000" not in str(e.data) for e in sends)


async def test_api_for_supervisors(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld, tmp_path: Path
) -> None:
    services, world = sqlite_services, app_world
    await use_rules(services, world, rules_with("require_approval"))
    worker = RiskRulesWorker(services)
    await worker.run_once()
    await diversion_hit(services, world, "agent_a")
    await diversion_hit(services, world, "agent_a")
    assert await worker.run_once() == 1
    sup = bearer(world.tokens["supervisor"])
    listed = await client.get("/api/v1/risk-rules/approvals", headers=sup)
    assert listed.status_code == 200
    [pending] = listed.json()
    assert pending["user_id"] == world.users["agent_a"].id and pending["rule_id"] == "diversion"
    denied = await client.get(
        "/api/v1/risk-rules/approvals", headers=bearer(world.tokens["agent_a"])
    )
    assert denied.status_code == 403
    url = f"/api/v1/risk-rules/approvals/{pending['id']}/approve"
    too_long = await client.post(url, json={"note": "x" * 501}, headers=sup)
    assert too_long.status_code == 422
    ok = await client.post(url, json={"note": "checked with the agent"}, headers=sup)
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    twice = await client.post(url, json={}, headers=sup)
    assert twice.status_code == 409
    # rules: supervisors read, admins replace; bad rules are refused with the field named
    rules = await client.get("/api/v1/risk-rules/rules", headers=sup)
    assert rules.status_code == 200 and rules.json()["rules"] == ["diversion"]
    refused = await client.put(
        "/api/v1/risk-rules/rules", json={"text": rules_with("alert")}, headers=sup
    )
    assert refused.status_code == 403
    owner = bearer(world.tokens["owner"])
    bad = await client.put(
        "/api/v1/risk-rules/rules",
        json={"text": rules_with("alert").replace('"1h"', '"1 hour"')},
        headers=owner,
    )
    assert bad.status_code == 400
    assert "rule diversion, field window" in bad.json()["error"]["message"]
    good = await client.put(
        "/api/v1/risk-rules/rules", json={"text": rules_with("alert")}, headers=owner
    )
    assert good.status_code == 200 and good.json()["version"] == 2
    locks = await client.get("/api/v1/risk-rules/locks", headers=sup)
    assert locks.status_code == 200 and locks.json() == []
    missing = await client.post(f"/api/v1/risk-rules/locks/{'0' * 32}/unlock", json={}, headers=sup)
    assert missing.status_code == 404


async def test_first_run_starts_at_the_head_with_warm_windows(
    services: Services, world: DemoWorld
) -> None:
    """Events before the first run are not acted on, but they fill the windows."""
    await use_rules(services, world, rules_with("alert"))
    await diversion_hit(services, world, "agent_a")
    await diversion_hit(services, world, "agent_a")  # N, but before the worker started
    await diversion_hit(services, world, "agent_b")
    worker = RiskRulesWorker(services)
    assert await worker.run_once() == 0
    await diversion_hit(services, world, "agent_b")  # N for agent B, with the warm window
    assert await worker.run_once() == 1
    async with services.read_sessionmaker() as session:
        alert = (await session.scalars(select(RiskAlert))).one()
    assert alert.actor_id == world.users["agent_b"].id


async def _log_in(client: httpx.AsyncClient, email: str) -> str:
    await client.post("/login", data={"email": email, "password": PASSWORD})
    page = await client.get("/ui/inbox")
    match = re.search(r'data-csrf="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


async def test_page_for_supervisors_approves_and_unlocks(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    services, world = sqlite_services, app_world
    await use_rules(services, world, rules_with("require_approval"))
    worker = RiskRulesWorker(services)
    await worker.run_once()
    await diversion_hit(services, world, "agent_a")
    await diversion_hit(services, world, "agent_a")
    assert await worker.run_once() == 1
    await diversion_hit(services, world, "agent_b")  # team B: not this supervisor's
    await diversion_hit(services, world, "agent_b")
    assert await worker.run_once() == 1
    async with transaction(services.sessionmaker) as session:
        for account in (world.account_a, world.account_b):
            session.add(
                RiskAccountLock(
                    workspace_id=world.workspace_id,
                    account_id=account.id,
                    rule_id="checkout-outside-team",
                    reason="risk rule checkout-outside-team: test",
                )
            )
    agent_csrf = await _log_in(client, world.users["agent_a"].email)
    assert (await client.get("/ui/risk-rules")).status_code == 403
    assert agent_csrf
    client.cookies.clear()
    csrf = await _log_in(client, world.users["supervisor"].email)
    page = await client.get("/ui/risk-rules")
    assert page.status_code == 200
    # a supervisor decides for their own teams only (team A: agent_a, account acc-a)
    assert "agent_a" in page.text and "Account acc-a" in page.text
    assert "agent_b" not in page.text and "Account acc-b" not in page.text
    assert 'data-rule-id="diversion"' in page.text
    async with services.read_sessionmaker() as session:
        approvals = {r.user_id: r for r in await session.scalars(select(RiskApproval))}
        locks = {r.account_id: r for r in await session.scalars(select(RiskAccountLock))}
    approval = approvals[world.users["agent_a"].id]
    lock = locks[world.account_a.id]
    other_team = await client.post(
        f"/ui/risk-rules/approvals/{approvals[world.users['agent_b'].id].id}/approve",
        data={"csrf_token": csrf},
    )
    assert other_team.status_code == 404
    other_lock = await client.post(
        f"/ui/risk-rules/locks/{locks[world.account_b.id].id}/unlock", data={"csrf_token": csrf}
    )
    assert other_lock.status_code == 404
    no_csrf = await client.post(f"/ui/risk-rules/approvals/{approval.id}/approve", data={})
    assert no_csrf.status_code == 403
    done = await client.post(
        f"/ui/risk-rules/approvals/{approval.id}/approve",
        data={"csrf_token": csrf, "note": "spoke to them"},
    )
    assert done.status_code == 303
    again = await client.post(
        f"/ui/risk-rules/approvals/{approval.id}/approve", data={"csrf_token": csrf}
    )
    assert again.status_code == 409 and "already approved" in again.text
    unlocked = await client.post(
        f"/ui/risk-rules/locks/{lock.id}/unlock", data={"csrf_token": csrf, "note": "ok"}
    )
    assert unlocked.status_code == 303
    page = await client.get("/ui/risk-rules")
    # the supervisor reads Chinese: "nobody is waiting", "no account is locked"
    assert "没有待审批的人员。" in page.text and "没有被锁定的账号。" in page.text
    async with services.read_sessionmaker() as session:
        decided = list(
            await session.scalars(
                select(AuditEvent.action).where(
                    AuditEvent.action.in_(("risk.approval_granted", "risk.account_unlocked"))
                )
            )
        )
    assert sorted(decided) == ["risk.account_unlocked", "risk.approval_granted"]
