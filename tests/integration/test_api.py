"""The HTTP surface: auth, scoping, sending, bad input, CSRF and headers."""

import json
import re

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from tests.factories import PASSWORD, DemoWorld, bearer, inbound, receive

from crossdesk.db.models import AuditEvent, Message, Outbox
from crossdesk.services import Services


async def _conversation_id(client: httpx.AsyncClient, token: str, view: str = "all") -> str:
    response = await client.get(f"/api/v1/conversations?view={view}", headers=bearer(token))
    assert response.status_code == 200, response.text
    return str(response.json()[0]["id"])


async def test_inbox_views_follow_roles(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    await receive(sqlite_services, app_world.account_a, inbound("para el equipo A"))
    await receive(sqlite_services, app_world.account_b, inbound("para el equipo B", sender="c2"))
    tokens = app_world.tokens

    async def ids(token: str, view: str) -> int:
        response = await client.get(f"/api/v1/conversations?view={view}", headers=bearer(token))
        assert response.status_code == 200, response.text
        return len(response.json())

    assert await ids(tokens["owner"], "all") == 2
    assert await ids(tokens["auditor"], "all") == 2
    assert await ids(tokens["supervisor"], "team") == 1  # team A only
    assert await ids(tokens["agent_a"], "unassigned") == 1  # its team's queue
    assert await ids(tokens["agent_b"], "unassigned") == 1
    assert await ids(tokens["agent_a"], "mine") == 0
    forbidden = await client.get(
        "/api/v1/conversations?view=all", headers=bearer(tokens["agent_a"])
    )
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["code"] == "permission_denied"


async def test_agent_cannot_read_other_teams_conversation(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    await receive(sqlite_services, app_world.account_b, inbound("team B only"))
    conversation_id = await _conversation_id(client, app_world.tokens["owner"])
    response = await client.get(
        f"/api/v1/conversations/{conversation_id}/messages",
        headers=bearer(app_world.tokens["agent_a"]),
    )
    assert response.status_code == 404  # not even its existence is revealed


async def test_send_with_idempotency_key(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    await receive(sqlite_services, app_world.account_a, inbound("hola"))
    token = app_world.tokens["supervisor"]
    conversation_id = await _conversation_id(client, token, "team")
    url = f"/api/v1/conversations/{conversation_id}/messages"
    headers = {**bearer(token), "Idempotency-Key": "double-click-1"}
    first = await client.post(url, json={"text": "Un momento, por favor"}, headers=headers)
    second = await client.post(url, json={"text": "Un momento, por favor"}, headers=headers)
    other = await client.post(url, json={"text": "something else"}, headers=headers)
    assert first.status_code == 201, first.text
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert first.json()["status"] == "queued"
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    async with sqlite_services.sessionmaker() as session:
        outbound = await session.scalar(
            select(func.count()).select_from(Message).where(Message.direction == "outbound")
        )
        outbox = await session.scalar(select(func.count()).select_from(Outbox))
        sends = await session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "message.send")
        )
    assert (outbound, outbox, sends) == (1, 1, 1)


async def test_auditor_cannot_send(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    await receive(sqlite_services, app_world.account_a, inbound("hola"))
    conversation_id = await _conversation_id(client, app_world.tokens["auditor"])
    response = await client.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        json={"text": "hi"},
        headers=bearer(app_world.tokens["auditor"]),
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b'{"text": "hi"', "application/json", 400, "invalid_json"),
        (b'{"text": "hi", "extra": 1}', "application/json", 422, "validation_error"),
        (b'{"text": ""}', "application/json", 422, "validation_error"),
        (b'{"text": "\xff\xfe"}', "application/json", 400, "invalid_json"),
        (b"[]", "application/json", 422, "validation_error"),
    ],
)
async def test_bad_input_gets_a_clear_error_and_writes_nothing(
    client: httpx.AsyncClient,
    sqlite_services: Services,
    app_world: DemoWorld,
    body: bytes,
    content_type: str,
    status: int,
    code: str,
) -> None:
    await receive(sqlite_services, app_world.account_a, inbound("hola"))
    token = app_world.tokens["owner"]
    conversation_id = await _conversation_id(client, token)
    response = await client.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        content=body,
        headers={**bearer(token), "content-type": content_type},
    )
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    async with sqlite_services.sessionmaker() as session:
        count = await session.scalar(
            select(func.count()).select_from(Message).where(Message.direction == "outbound")
        )
    assert count == 0


async def test_oversized_body_is_refused(
    client: httpx.AsyncClient, app_world: DemoWorld, sqlite_services: Services
) -> None:
    limit = sqlite_services.settings.web.max_body_bytes
    response = await client.post(
        "/api/v1/conversations/x/messages",
        content=b'{"text": "' + b"a" * (limit + 10) + b'"}',
        headers={**bearer(app_world.tokens["owner"]), "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


async def test_missing_and_bad_auth(client: httpx.AsyncClient, app_world: DemoWorld) -> None:
    missing = await client.get("/api/v1/conversations")
    bad = await client.get("/api/v1/conversations", headers=bearer("cdk_not-a-real-token"))
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "unauthenticated"
    assert bad.status_code == 401


async def _login(client: httpx.AsyncClient, email: str) -> str:
    response = await client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "next": "/ui/inbox"},
        headers={"origin": "http://testserver"},
    )
    assert response.status_code == 303, response.text
    page = await client.get("/ui/inbox")
    assert page.status_code == 200
    match = re.search(r'data-csrf="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


async def test_browser_session_needs_csrf_token_and_same_origin(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    await receive(sqlite_services, app_world.account_a, inbound("hola"))
    csrf = await _login(client, app_world.users["supervisor"].email)
    conversation_id = await _conversation_id(client, app_world.tokens["supervisor"], "team")
    url = f"/ui/conversations/{conversation_id}/reply"
    form = {"text": "Hola, ya lo reviso", "idempotency_key": "ui-1"}
    no_token = await client.post(url, data=form)
    assert no_token.status_code == 403 and no_token.json()["error"]["code"] == "csrf_rejected"
    cross_site = await client.post(
        url, data=form, headers={"X-CSRF-Token": csrf, "Sec-Fetch-Site": "cross-site"}
    )
    assert cross_site.status_code == 403
    foreign_origin = await client.post(
        url, data=form, headers={"X-CSRF-Token": csrf, "Origin": "https://evil.example"}
    )
    assert foreign_origin.status_code == 403
    ok = await client.post(url, data=form, headers={"X-CSRF-Token": csrf, "HX-Request": "true"})
    assert ok.status_code == 200, ok.text
    assert "Hola, ya lo reviso" in ok.text


async def test_failed_login_is_audited_and_explained_generically(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    response = await client.post(
        "/login", data={"email": app_world.users["agent_a"].email, "password": "wrong-password"}
    )
    assert response.status_code == 401
    assert "Wrong email or password" in response.text
    async with sqlite_services.sessionmaker() as session:
        failed = await session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "auth.login_failed")
        )
    assert failed == 1


async def test_customer_text_is_rendered_inert(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    attack = '<img src=x onerror=alert(1)><div hx-get="/logout" hx-trigger="load">x</div>'
    await receive(sqlite_services, app_world.account_a, inbound(attack))
    await _login(client, app_world.users["supervisor"].email)
    conversation_id = await _conversation_id(client, app_world.tokens["supervisor"], "team")
    page = await client.get(f"/ui/conversations/{conversation_id}")
    assert page.status_code == 200
    assert "<img src=x" not in page.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.text
    assert '<div hx-get="/logout"' not in page.text
    assert "hx-disable" in page.text


async def test_html_responses_carry_security_headers(
    client: httpx.AsyncClient, app_world: DemoWorld
) -> None:
    response = await client.get("/login")
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    login = await client.post(
        "/login", data={"email": app_world.users["owner"].email, "password": PASSWORD}
    )
    cookie = login.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie


async def test_health_metrics_and_openapi(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    await client.get("/login")
    metrics = await client.get("/metrics")
    assert "crossdesk_http_requests_total" in metrics.text
    spec = (await client.get("/api/openapi.json")).json()
    assert "/api/v1/conversations/{conversation_id}/messages" in spec["paths"]


async def test_assign_resolve_reopen_by_supervisor(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    await receive(sqlite_services, app_world.account_a, inbound("hola"))
    token = app_world.tokens["supervisor"]
    conversation_id = await _conversation_id(client, token, "team")
    agent_id = app_world.users["agent_a"].id
    assigned = await client.post(
        f"/api/v1/conversations/{conversation_id}/assign",
        json={"assignee_id": agent_id},
        headers=bearer(token),
    )
    assert assigned.status_code == 200 and assigned.json()["assignee_id"] == agent_id
    outsider = await client.post(
        f"/api/v1/conversations/{conversation_id}/assign",
        json={"assignee_id": app_world.users["agent_b"].id},
        headers=bearer(token),
    )
    assert outsider.status_code == 400  # not in the conversation's team
    mine = await client.get(
        "/api/v1/conversations?view=mine", headers=bearer(app_world.tokens["agent_a"])
    )
    assert [c["id"] for c in mine.json()] == [conversation_id]
    resolved = await client.post(
        f"/api/v1/conversations/{conversation_id}/status",
        json={"status": "resolved"},
        headers=bearer(token),
    )
    assert resolved.json()["status"] == "resolved"
    reopened = await client.post(
        f"/api/v1/conversations/{conversation_id}/status",
        json={"status": "open"},
        headers=bearer(token),
    )
    assert reopened.json()["status"] == "open"


async def test_agent_can_pick_up_but_not_reassign(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    await receive(sqlite_services, app_world.account_a, inbound("hola"))
    token = app_world.tokens["agent_a"]
    conversation_id = await _conversation_id(client, token, "unassigned")
    url = f"/api/v1/conversations/{conversation_id}/assign"
    picked = await client.post(
        url, json={"assignee_id": app_world.users["agent_a"].id}, headers=bearer(token)
    )
    assert picked.status_code == 200
    handoff = await client.post(
        url, json={"assignee_id": app_world.users["supervisor"].id}, headers=bearer(token)
    )
    assert handoff.status_code == 403


async def test_sse_stream_delivers_visible_events_only(
    app: FastAPI, sqlite_services: Services, app_world: DemoWorld
) -> None:
    """Subscribe as agent A, then store messages for team A and team B."""
    from crossdesk.actions.identity import principal_for
    from crossdesk.events import Event
    from crossdesk.web.sse import format_sse, visible_to

    async with sqlite_services.sessionmaker() as session:
        agent_a = await principal_for(session, app_world.users["agent_a"])
    mine = Event("message.created", app_world.workspace_id, "c1", app_world.team_a, None)
    other = Event("message.created", app_world.workspace_id, "c2", app_world.team_b, None)
    assert visible_to(agent_a, mine) and not visible_to(agent_a, other)
    payload = format_sse(mine)
    assert payload.startswith("event: message.created\ndata: ")
    assert json.loads(payload.split("data: ", 1)[1])["conversation_id"] == "c1"


async def test_reveal_needs_permission_and_reason_and_is_audited(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    await receive(sqlite_services, app_world.account_a, inbound("Llámame al +34 612 345 678"))
    conversation_id = await _conversation_id(client, app_world.tokens["supervisor"], "team")
    messages = await client.get(
        f"/api/v1/conversations/{conversation_id}/messages",
        headers=bearer(app_world.tokens["agent_a"]),
    )
    [message] = messages.json()
    assert "612 345 678" not in message["text"]  # agents see it masked
    url = f"/api/v1/messages/{message['id']}/reveal"
    denied = await client.post(
        url,
        json={"span": 0, "reason": "customer asked"},
        headers=bearer(app_world.tokens["agent_a"]),
    )
    assert denied.status_code == 403
    no_reason = await client.post(
        url, json={"span": 0, "reason": ""}, headers=bearer(app_world.tokens["supervisor"])
    )
    assert no_reason.status_code == 422
    shown = await client.post(
        url,
        json={"span": 0, "reason": "courier needs to call"},
        headers=bearer(app_world.tokens["supervisor"]),
    )
    assert shown.status_code == 200
    assert shown.json() == {"type": "PHONE", "value": "+34 612 345 678"}
    assert shown.headers["cache-control"].startswith("no-store")
    async with sqlite_services.sessionmaker() as session:
        event = (
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "pii.reveal"))
        ).one()
    assert event.actor_id == app_world.users["supervisor"].id
    assert event.data["reason"] == "courier needs to call" and event.data["type"] == "PHONE"
    assert "612" not in json.dumps(event.data)  # the value itself never reaches the audit log


async def test_untranslated_reply_in_the_agents_language_is_refused(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    """No engine serves zh→es in tests: a Chinese reply would reach a Spanish customer as is."""
    await receive(sqlite_services, app_world.account_a, inbound("¿Cuándo llega mi pedido?"))
    token = app_world.tokens["supervisor"]
    conversation_id = await _conversation_id(client, token, "team")
    url = f"/api/v1/conversations/{conversation_id}/messages"
    leak = await client.post(url, json={"text": "您好，您的订单今天发货"}, headers=bearer(token))
    assert leak.status_code == 422
    assert leak.json()["error"]["code"] == "blocked_by_policy"
    assert "could not be translated to es" in leak.json()["error"]["message"]
    chosen = await client.post(
        url, json={"text": "您好，您的订单今天发货", "send_as_written": True}, headers=bearer(token)
    )
    assert chosen.status_code == 201
    edited = await client.post(
        url,
        json={"text": "您好，您的订单今天发货", "translation": "Hola, su pedido sale hoy"},
        headers=bearer(token),
    )
    assert edited.status_code == 201
    assert edited.json()["translation"] == "Hola, su pedido sale hoy"
    assert edited.json()["translation_engine"] == "agent"
    blocked_edit = await client.post(
        url,
        json={"text": "您好", "translation": "Escríbeme al WhatsApp +34 611 222 333"},
        headers=bearer(token),
    )
    assert blocked_edit.status_code == 422  # a hand-edited translation is guarded too


async def test_warn_level_words_ask_for_confirmation_and_the_choice_is_audited(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    await receive(sqlite_services, app_world.account_a, inbound("El paquete llegó roto, otra vez"))
    token = app_world.tokens["supervisor"]
    conversation_id = await _conversation_id(client, token, "team")
    url = f"/api/v1/conversations/{conversation_id}/messages"
    text = "No sea gilipollas, el paquete llega mañana"
    asked = await client.post(url, json={"text": text}, headers=bearer(token))
    assert asked.status_code == 422
    assert asked.json()["error"]["fields"]["needs_confirmation"] is True
    sent = await client.post(
        url, json={"text": text, "confirm_warnings": True}, headers=bearer(token)
    )
    assert sent.status_code == 201 and sent.json()["guard_status"] == "flagged"
    async with sqlite_services.sessionmaker() as session:
        hit = (
            await session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "guard.hit", AuditEvent.target_id == sent.json()["id"]
                )
            )
        ).one()
    assert hit.data["confirmed"] is True and "abuse" in hit.data["categories"]


async def test_session_state_routes_accept_larger_bodies_than_the_rest(
    client: httpx.AsyncClient, app_world: DemoWorld, sqlite_services: Services
) -> None:
    limit = sqlite_services.settings.web.max_body_bytes
    big = b'{"x": "' + b"a" * (limit + 10) + b'"}'
    headers = {**bearer(app_world.tokens["owner"]), "content-type": "application/json"}
    elsewhere = await client.post("/api/v1/word-lists/test", content=big, headers=headers)
    assert elsewhere.status_code == 413
    session_route = await client.put(
        f"/api/v1/accounts/{app_world.account_a.id}/session", content=big, headers=headers
    )
    assert session_route.status_code != 413  # reaches the route (which validates the body)


async def test_contact_identity_is_masked_for_agents(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    """WhatsApp-style ids and profile names are phone numbers: agents must not read them."""
    from datetime import UTC, datetime

    from crossdesk.domain import InboundEvent

    event = InboundEvent(
        platform_message_id="wamid.x1",
        sender_id="34612345678",
        sender_name="+34 612 345 678",
        text="Hola",
        sent_at=datetime.now(UTC),
    )
    await receive(sqlite_services, app_world.account_a, event)
    agent = await client.get(
        "/api/v1/conversations?view=unassigned", headers=bearer(app_world.tokens["agent_a"])
    )
    [conversation] = agent.json()
    assert conversation["contact"]["platform_user_id"] == "*******5678"
    assert "612 345" not in conversation["contact"]["display_name"]
    supervisor = await client.get(
        f"/api/v1/conversations/{conversation['id']}",
        headers=bearer(app_world.tokens["supervisor"]),
    )
    assert supervisor.json()["contact"]["platform_user_id"] == "34612345678"
