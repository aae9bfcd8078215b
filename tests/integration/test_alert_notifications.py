"""Notifications of new alerts: a signed webhook to a real local HTTP server (retried with
backoff, nothing lost when the worker restarts) and email to a real local SMTP server."""

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from tests.factories import DemoWorld, asgi_client, bearer
from tests.fakes.platforms.server import RunningServer

from crossdesk.db.base import utcnow
from crossdesk.db.models import AlertDelivery, AuditEvent, RiskAlert, Secret
from crossdesk.db.session import transaction
from crossdesk.events import Event
from crossdesk.risk.alerts import raise_alert
from crossdesk.services import Services
from crossdesk.web.app import create_app
from crossdesk.workers.alert_notifications import (
    AlertNotificationWorker,
    sign,
    verify_signature,
)

SECRET = "whsec-0123456789abcdef-test"
SMTP_PASSWORD = "smtp-pass-never-logged"


class Receiver:
    """A webhook endpoint that answers the scripted statuses, then 200."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        self.server = RunningServer(Starlette(routes=[Route("/hook", self.hook, methods=["POST"])]))

    async def hook(self, request: Request) -> JSONResponse:
        self.requests.append((dict(request.headers), await request.body()))
        status = self.statuses.pop(0) if self.statuses else 200
        return JSONResponse({"ok": status == 200}, status_code=status)


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []  # Any: aiosmtpd envelopes

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    receiver.server.start()
    yield receiver
    receiver.server.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture
async def api(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(create_app(services.settings, services=services)) as client:
        yield client


async def _configure(
    api: httpx.AsyncClient, world: DemoWorld, hook: str, smtp_port: int, **extra: Any
) -> httpx.Response:
    body = {
        "min_severity": 3,
        "webhook_enabled": True,
        "webhook_url": hook,
        "webhook_secret": SECRET,
        "email_enabled": True,
        "email_to": ["boss@shop.test", "risk@shop.test"],
        "email_from": "crossdesk@shop.test",
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,
        "smtp_security": "none",
        **extra,
    }
    return await api.put(
        "/api/v1/alerts/notifications", json=body, headers=bearer(world.tokens["owner"])
    )


async def _alert(services: Services, world: DemoWorld, severity: int = 4) -> str:
    async with transaction(services.sessionmaker) as session:
        alert = await raise_alert(
            session,
            world.workspace_id,
            kind="guard.diversion",
            severity=severity,
            summary="agent_a tried to send: wechat",
            actor_id=world.users["agent_a"].id,
            target_type=None,
            target_id=None,
        )
    return alert.id


async def test_settings_are_validated_admin_only_and_keep_secrets_sealed(
    api: httpx.AsyncClient, services: Services, world: DemoWorld
) -> None:
    owner = bearer(world.tokens["owner"])
    missing = await api.put(
        "/api/v1/alerts/notifications",
        json={"webhook_enabled": True, "webhook_url": "https://hooks.shop.test/x"},
        headers=owner,
    )
    assert missing.status_code == 400
    assert missing.json()["error"]["fields"]["field"] == "webhook_secret"
    bad_url = await api.put(
        "/api/v1/alerts/notifications",
        json={"webhook_url": "ftp://x", "webhook_secret": SECRET},
        headers=owner,
    )
    assert bad_url.json()["error"]["fields"]["field"] == "webhook_url"
    bad_mail = await api.put(
        "/api/v1/alerts/notifications",
        json={"email_enabled": True, "email_to": ["not-an-address"]},
        headers=owner,
    )
    assert bad_mail.json()["error"]["fields"]["field"] == "email_to"
    for who in ("supervisor", "agent_a", "auditor"):
        denied = await api.get("/api/v1/alerts/notifications", headers=bearer(world.tokens[who]))
        assert denied.status_code == 403

    saved = await _configure(
        api, world, "https://hooks.shop.test/x", 25, smtp_username="u", smtp_password=SMTP_PASSWORD
    )
    assert saved.status_code == 200, saved.text
    shown = saved.json()
    assert shown["webhook_secret_set"] and shown["smtp_password_set"]
    assert SECRET not in saved.text and SMTP_PASSWORD not in saved.text
    # Saving again without secrets keeps them.
    again = await api.put(
        "/api/v1/alerts/notifications",
        json={**{k: v for k, v in shown.items() if not k.endswith("_set")}},
        headers=owner,
    )
    assert again.status_code == 200 and again.json()["webhook_secret_set"]

    async with services.read_sessionmaker() as session:
        blobs = (await session.scalars(select(Secret.blob))).all()
        audit = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == "notification.settings_change")
            )
        ).all()
    assert all(SECRET.encode() not in blob for blob in blobs)
    assert len(audit) == 2 and audit[0].data["webhook_host"] == "hooks.shop.test"
    assert SECRET not in json.dumps([a.data for a in audit])


async def test_webhook_is_signed_retried_and_survives_a_restart_email_is_sent(
    api: httpx.AsyncClient,
    services: Services,
    world: DemoWorld,
    receiver: Receiver,
    mailbox: tuple[Mailbox, int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    box, smtp_port = mailbox
    hook = f"{receiver.server.base_url}/hook"
    assert (await _configure(api, world, hook, smtp_port)).status_code == 200
    receiver.statuses = [500]  # the first attempt fails

    events: list[Event] = []

    async def listen() -> None:
        async for event in services.bus.subscribe(world.workspace_id):
            events.append(event)

    listener = asyncio.create_task(listen())
    await asyncio.sleep(0)
    low = await _alert(services, world, severity=2)  # below the threshold: live only
    alert_id = await _alert(services, world)

    worker = AlertNotificationWorker(services, base_backoff_seconds=30)
    await worker.run_once()
    await asyncio.sleep(0.05)
    listener.cancel()
    assert {(e.type, e.data["alert_id"]) for e in events} == {
        ("alert.created", low),
        ("alert.created", alert_id),
    }

    async with services.read_sessionmaker() as session:
        rows = {
            d.channel: d
            for d in (
                await session.scalars(select(AlertDelivery).where(AlertDelivery.alert_id == low))
            ).all()
        }
        assert rows == {}
        rows = {
            d.channel: d
            for d in (
                await session.scalars(
                    select(AlertDelivery).where(AlertDelivery.alert_id == alert_id)
                )
            ).all()
        }
        dispatched = await session.get(RiskAlert, alert_id)
    assert dispatched is not None and dispatched.dispatched_at is not None
    assert rows["email"].state == "done"
    webhook = rows["webhook"]
    assert webhook.state == "pending" and webhook.attempts == 1
    assert webhook.last_error == "HTTP 500"
    # Backoff: the retry is not due yet, so another pass sends nothing.
    assert webhook.next_attempt_at > utcnow() + timedelta(seconds=20)
    assert await worker.run_once() == 0
    assert len(receiver.requests) == 1

    # The email went to both recipients through the real SMTP server.
    assert len(box.messages) == 1
    envelope = box.messages[0]
    assert sorted(envelope.rcpt_tos) == ["boss@shop.test", "risk@shop.test"]
    content = envelope.content.decode()
    assert "guard.diversion" in content and "agent_a tried to send: wechat" in content

    # A new worker (the process restarted) delivers the pending retry once it is due.
    async with services.sessionmaker() as session:
        await session.execute(
            update(AlertDelivery)
            .where(AlertDelivery.id == webhook.id)
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
    assert await AlertNotificationWorker(services).run_once() == 1
    assert len(receiver.requests) == 2
    headers, body = receiver.requests[-1]
    timestamp = headers["x-crossdesk-timestamp"]
    assert headers["x-crossdesk-signature"] == sign(SECRET, timestamp, body)
    assert verify_signature(SECRET, timestamp, body, headers["x-crossdesk-signature"])
    assert not verify_signature(
        "wrong-secret-0123456789", timestamp, body, sign(SECRET, timestamp, body)
    )
    assert headers["x-crossdesk-delivery"] == webhook.id
    payload = json.loads(body)
    assert payload["alert"]["id"] == alert_id and payload["alert"]["severity"] == 4
    assert payload["alert"]["actor"]["name"] == "agent_a"
    async with services.read_sessionmaker() as session:
        done = await session.get(AlertDelivery, webhook.id)
    assert done is not None and done.state == "done" and done.attempts == 2

    # Our own logs (httpx's request log is silenced by crossdesk.logging in production).
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("crossdesk"))
    assert "HTTP 500" in logged  # the failed attempt was logged...
    assert SECRET not in logged and hook not in logged and "wechat" not in logged  # ...safely


async def test_abandoned_delivery_is_retried_and_gives_up_after_max_attempts(
    api: httpx.AsyncClient, services: Services, world: DemoWorld, receiver: Receiver
) -> None:
    hook = f"{receiver.server.base_url}/hook"
    assert (
        await _configure(api, world, hook, 25, email_enabled=False, smtp_host=None)
    ).status_code == 200
    alert_id = await _alert(services, world)
    worker = AlertNotificationWorker(services, max_attempts=2, base_backoff_seconds=0.001)
    await worker.dispatch()
    # A worker died mid-call: its lease ran out, the row goes back to the queue.
    async with services.sessionmaker() as session:
        await session.execute(
            update(AlertDelivery)
            .where(AlertDelivery.alert_id == alert_id)
            .values(state="sending", attempts=1, lease_until=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
    assert await worker.recover_abandoned() == 1
    receiver.statuses = [503, 503, 503]
    await worker.run_once()
    async with services.read_sessionmaker() as session:
        row = (
            await session.scalars(select(AlertDelivery).where(AlertDelivery.alert_id == alert_id))
        ).one()
    assert row.state == "dead" and row.attempts == 2 and row.last_error == "HTTP 503"


async def test_admin_form_on_the_alerts_page(
    api: httpx.AsyncClient, services: Services, world: DemoWorld
) -> None:
    owner = bearer(world.tokens["owner"])
    form = {
        "min_severity": "4",
        "webhook_enabled": "true",
        "webhook_url": "https://hooks.shop.test/crossdesk",
        "webhook_secret": "short",
        "smtp_port": "587",
        "smtp_security": "starttls",
    }
    refused = await api.post("/ui/alerts/notifications", data=form, headers=owner)
    assert refused.status_code == 422 and 'id="notify-error"' in refused.text
    form["webhook_secret"] = SECRET
    saved = await api.post("/ui/alerts/notifications", data=form, headers=owner)
    assert saved.status_code == 303 and saved.headers["location"].startswith("/ui/alerts?saved=1")
    page = await api.get("/ui/alerts?saved=1", headers=owner)
    assert 'id="notify-saved"' in page.text and "https://hooks.shop.test/crossdesk" in page.text
    assert SECRET not in page.text
    # A blank secret on the next save keeps the stored one.
    form["webhook_secret"] = ""
    again = await api.post("/ui/alerts/notifications", data=form, headers=owner)
    assert again.status_code == 303
    shown = (await api.get("/api/v1/alerts/notifications", headers=owner)).json()
    assert shown["webhook_secret_set"] and shown["min_severity"] == 4
    denied = await api.post(
        "/ui/alerts/notifications", data=form, headers=bearer(world.tokens["supervisor"])
    )
    assert denied.status_code == 403
