"""WhatsApp app accounts linked by QR code through a WAHA bridge, against a fake WAHA server
speaking its REST API and webhook format (X-Api-Key, HMAC-SHA512 webhooks).

Covered: adding the account on the accounts page, linking (session created with our
webhooks, QR shown until the phone scans, then "linked"), inbound messages stored once,
forged or missing HMAC refused with nothing stored, malformed bodies refused, phone-app
echoes, replies through the outbox with acks moving the status forward only, and the
logged-out / failed states detected (session.status webhook and the connection test), and
files sent with sendImage / sendFile."""

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select, update
from tests.factories import PASSWORD, DemoWorld
from tests.fakes.platforms.server import RunningServer
from tests.fakes.platforms.waha import FakeWaha
from typer.testing import CliRunner

from crossdesk.actions.identity import principal_for
from crossdesk.actions.send_reply import send_reply
from crossdesk.channels.base import AccountContext
from crossdesk.channels.whatsapp_bridge.adapter import WhatsAppBridgeAdapter
from crossdesk.channels.whatsapp_bridge.signature import sign
from crossdesk.cli.channels import app as cli_app
from crossdesk.db.base import utcnow
from crossdesk.db.models import (
    Attachment,
    BridgeSession,
    ChannelAccount,
    Conversation,
    Message,
    Outbox,
)
from crossdesk.domain import Attachment as OutgoingAttachment
from crossdesk.domain import ChannelKind, OutboundMessage
from crossdesk.errors import PermanentSendError, RetryableSendError
from crossdesk.risk import audit
from crossdesk.services import Services
from crossdesk.workers.attachments import AttachmentWorker
from crossdesk.workers.delivery import DeliveryWorker

SESSION = "shop-wa-1"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200
CUSTOMER = "4917612345678@c.us"


@pytest.fixture(scope="module")
def waha_server() -> Iterator[tuple[FakeWaha, str]]:
    fake = FakeWaha()
    server = RunningServer(fake.app).start()
    try:
        yield fake, server.base_url
    finally:
        server.stop()


@pytest.fixture
def waha(waha_server: tuple[FakeWaha, str]) -> tuple[FakeWaha, str]:
    fake, base = waha_server
    fake.reset()
    return fake, base


def _services(client: httpx.AsyncClient) -> Services:
    return client._transport.app.state.services  # type: ignore[attr-defined,no-any-return]


async def _owner(client: httpx.AsyncClient, world: DemoWorld) -> str:
    await client.post("/login", data={"email": world.users["owner"].email, "password": PASSWORD})
    page = await client.get("/ui/accounts")
    match = re.search(r'data-csrf="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


async def _add_and_link(
    client: httpx.AsyncClient, world: DemoWorld, waha: tuple[FakeWaha, str]
) -> tuple[str, str]:
    fake, base = waha
    csrf = await _owner(client, world)
    added = await client.post(
        "/ui/accounts",
        data={
            "csrf_token": csrf,
            "kind": "whatsapp_web",
            "name": "Sales phone 1",
            "external_id": SESSION,
            "team_id": world.team_a,
            "secret_api_key": fake.api_key,
            "config_api_base_url": base,
        },
    )
    assert added.status_code == 303, added.text
    async with _services(client).read_sessionmaker() as session:
        account = await session.scalar(
            select(ChannelAccount).where(ChannelAccount.kind == "whatsapp_web")
        )
        assert account is not None
    linked = await client.post(
        f"/ui/accounts/{account.id}/bridge/link", headers={"X-CSRF-Token": csrf}
    )
    assert linked.status_code == 200, linked.text
    return account.id, csrf


async def _deliver(
    client: httpx.AsyncClient, fake: FakeWaha, event: str, payload: dict[str, object]
) -> httpx.Response:
    url, body, headers = fake.webhook(SESSION, event, payload)
    return await client.post(urlsplit(url).path, content=body, headers=headers)


async def _messages(services: Services, account_id: str) -> list[Message]:
    async with services.read_sessionmaker() as session:
        return list(
            (
                await session.scalars(
                    select(Message)
                    .where(Message.account_id == account_id)
                    .order_by(Message.created_at, Message.id)
                )
            ).all()
        )


async def test_link_by_qr_code_until_the_phone_has_scanned(
    app_world: DemoWorld, client: httpx.AsyncClient, waha: tuple[FakeWaha, str]
) -> None:
    fake, _ = waha
    account_id, csrf = await _add_and_link(client, app_world, waha)
    session = fake.sessions[SESSION]
    hooks = session.config["webhooks"]
    assert hooks[0]["url"].endswith(f"/webhooks/whatsapp_web/{account_id}")
    assert set(hooks[0]["events"]) == {"message.any", "message.ack"}
    assert hooks[1]["url"].endswith(f"/webhooks/whatsapp_web/{account_id}/session")
    assert hooks[0]["hmac"]["key"] and hooks[0]["hmac"]["key"] == hooks[1]["hmac"]["key"]
    assert all(r.headers.get("x-api-key") == fake.api_key for r in fake.requests)

    state = await client.get(f"/ui/accounts/{account_id}/bridge")
    assert 'data-status="SCAN_QR_CODE"' in state.text and 'hx-trigger="every 3s"' in state.text
    assert f"/ui/accounts/{account_id}/bridge/qr.png" in state.text
    qr = await client.get(f"/ui/accounts/{account_id}/bridge/qr.png")
    assert qr.status_code == 200 and qr.content.startswith(b"\x89PNG")
    assert qr.headers["content-type"] == "image/png"

    fake.link(SESSION)  # the phone scans the code
    state = await client.get(f"/ui/accounts/{account_id}/bridge")
    assert 'data-status="WORKING"' in state.text and "every 3s" not in state.text
    assert (await client.get(f"/ui/accounts/{account_id}/bridge/qr.png")).status_code == 404
    async with _services(client).read_sessionmaker() as db:
        account = await db.get(ChannelAccount, account_id)
        assert account is not None and account.health == "connected"
    tested = await client.post(f"/ui/accounts/{account_id}/test", headers={"X-CSRF-Token": csrf})
    assert "linked and working" in tested.text


async def test_inbound_messages_signatures_and_echoes(
    app_world: DemoWorld, client: httpx.AsyncClient, waha: tuple[FakeWaha, str]
) -> None:
    fake, _ = waha
    account_id, _ = await _add_and_link(client, app_world, waha)
    fake.link(SESSION)
    services = _services(client)
    payload = fake.message(CUSTOMER, "Olá, tem o tamanho M?")

    url, body, headers = fake.webhook(SESSION, "message.any", payload)
    path = urlsplit(url).path
    forged = {**headers, "x-webhook-hmac": "0" * 128}
    assert (await client.post(path, content=body, headers=forged)).status_code == 401
    unsigned = {k: v for k, v in headers.items() if not k.startswith("x-webhook-hmac")}
    assert (await client.post(path, content=body, headers=unsigned)).status_code == 401
    assert await _messages(services, account_id) == []

    assert (await client.post(path, content=body, headers=headers)).status_code == 200
    # WAHA retries (and "message" + "message.any" may both come): stored once.
    assert (await client.post(path, content=body, headers=headers)).status_code == 200
    assert (await _deliver(client, fake, "message.any", payload)).status_code == 200
    messages = await _messages(services, account_id)
    assert len(messages) == 1 and messages[0].direction == "inbound"

    bad = {"event": "message.any", "session": SESSION, "payload": {"id": 5}}
    raw = json.dumps(bad).encode()
    signed = fake.webhook(SESSION, "message.any", {})[2]
    key = fake.sessions[SESSION].config["webhooks"][0]["hmac"]["key"]
    signed = {**signed, "x-webhook-hmac": sign(key, raw)}
    refused = await client.post(path, content=raw, headers=signed)
    assert refused.status_code == 400 and "payload" in refused.text

    # Sent from the phone itself: shown as outbound, attributed to the phone app.
    echo = fake.message(CUSTOMER, "Temos sim!", from_me=True)
    assert (await _deliver(client, fake, "message.any", echo)).status_code == 200
    messages = await _messages(services, account_id)
    assert [(m.direction, m.echo, m.sender_label) for m in messages][-1] == (
        "outbound",
        True,
        "phone app",
    )
    assert len({m.conversation_id for m in messages}) == 1


async def test_reply_goes_out_and_acks_move_forward_only(
    app_world: DemoWorld, client: httpx.AsyncClient, waha: tuple[FakeWaha, str]
) -> None:
    fake, _ = waha
    account_id, _ = await _add_and_link(client, app_world, waha)
    services = _services(client)
    await _deliver(client, fake, "message.any", fake.message(CUSTOMER, "hello"))
    async with services.sessionmaker() as session:
        supervisor = await principal_for(session, app_world.users["supervisor"])
        conversation = await session.scalar(
            select(Conversation).where(Conversation.account_id == account_id)
        )
        assert conversation is not None
        sent = await send_reply(
            services,
            session,
            supervisor,
            conversation,
            "Hi! Yes, we have it.",
            idempotency_key=None,
            actor=audit.SYSTEM,
            allow_untranslated=True,
        )
    # Not linked yet: the bridge answers 422 and the message waits for a retry.
    await DeliveryWorker(services).run_once()
    waiting = (await _messages(services, account_id))[-1]
    assert waiting.status == "queued" and "422" in (waiting.error or "")

    fake.link(SESSION)
    async with services.sessionmaker() as session:
        await session.execute(
            update(Outbox)
            .where(Outbox.message_id == sent.message.id)
            .values(next_attempt_at=utcnow())
        )
        await session.commit()
    await DeliveryWorker(services).run_once()
    assert fake.sent[-1] == {"session": SESSION, "chatId": CUSTOMER, "text": "Hi! Yes, we have it."}
    message = (await _messages(services, account_id))[-1]
    assert message.status == "sent" and message.platform_message_id is not None
    assert message.platform_message_id.startswith(f"true_{CUSTOMER}_")

    def ack(level: int, name: str) -> dict[str, object]:
        return {"id": message.platform_message_id, "ack": level, "ackName": name, "fromMe": True}

    await _deliver(client, fake, "message.ack", ack(3, "READ"))
    await _deliver(client, fake, "message.ack", ack(2, "DEVICE"))  # late: never goes back
    final = (await _messages(services, account_id))[-1]
    assert final.status == "read"


async def test_logout_and_failure_are_detected_and_shown(
    app_world: DemoWorld, client: httpx.AsyncClient, waha: tuple[FakeWaha, str]
) -> None:
    fake, _ = waha
    account_id, csrf = await _add_and_link(client, app_world, waha)
    fake.link(SESSION)
    await client.get(f"/ui/accounts/{account_id}/bridge")
    services = _services(client)

    fake.phone_logged_out(SESSION)  # the user removed the linked device on the phone
    answer = await _deliver(client, fake, "session.status", {"status": "SCAN_QR_CODE"})
    assert answer.status_code == 200 and answer.json() == {"statuses": 1}
    async with services.read_sessionmaker() as session:
        account = await session.get(ChannelAccount, account_id)
        row = await session.get(BridgeSession, account_id)
        assert account is not None and account.health == "auth_failed"
        assert row is not None and row.status == "SCAN_QR_CODE"
    page = await client.get("/ui/accounts")
    assert "auth_failed" in page.text or "not linked" in page.text
    state = await client.get(f"/ui/accounts/{account_id}/bridge")
    assert "scan the QR code" in state.text and "qr.png" in state.text

    # A forged status webhook changes nothing.
    url, body, headers = fake.webhook(SESSION, "session.status", {"status": "WORKING"})
    forged = await client.post(
        urlsplit(url).path, content=body, headers={**headers, "x-webhook-hmac": "ab" * 64}
    )
    assert forged.status_code == 401

    fake.sessions[SESSION].status = "FAILED"
    tested = await client.post(f"/ui/accounts/{account_id}/test", headers={"X-CSRF-Token": csrf})
    assert "failed" in tested.text
    async with services.read_sessionmaker() as session:
        account = await session.get(ChannelAccount, account_id)
        assert account is not None and account.health == "error"


async def test_media_is_fetched_from_the_bridge_with_its_key(
    app_world: DemoWorld, client: httpx.AsyncClient, waha: tuple[FakeWaha, str]
) -> None:
    fake, base = waha
    await _add_and_link(client, app_world, waha)
    fake.link(SESSION)
    services = _services(client)
    fake.files[f"{SESSION}/photo.jpg"] = (JPEG, "image/jpeg")
    payload = fake.message(CUSTOMER, "")
    payload["hasMedia"] = True
    payload["media"] = {"url": f"{base}/api/files/{SESSION}/photo.jpg", "mimetype": "image/jpeg"}
    foreign = fake.message(CUSTOMER, "see this")
    foreign["hasMedia"] = True
    foreign["media"] = {"url": "https://attacker.example/steal.jpg", "mimetype": "image/jpeg"}
    await _deliver(client, fake, "message.any", payload)
    await _deliver(client, fake, "message.any", foreign)

    worker = AttachmentWorker(services)
    assert await worker.run_once() == 2
    async with services.read_sessionmaker() as session:
        rows = {a.url: a for a in (await session.scalars(select(Attachment))).all()}
    stored = rows[payload["media"]["url"]]
    assert stored.storage_path is not None and stored.content_type == "image/jpeg"
    assert (services.settings.data_dir / "attachments" / stored.storage_path).read_bytes() == JPEG
    # The API key never goes to another host: that file is given up, not fetched.
    assert rows["https://attacker.example/steal.jpg"].storage_path is None
    assert any("not on the account's bridge" in r for r in worker.given_up.values())
    file_requests = [r for r in fake.requests if r.path.startswith("/api/files/")]
    assert [r.headers.get("x-api-key") for r in file_requests] == [fake.api_key]


def test_channels_check_cli_verifies_and_parses_waha_bodies() -> None:
    """``crossdesk channels check whatsapp_web`` runs the server's verification and parsing."""
    runner = CliRunner()
    payload = FakeWaha.message(CUSTOMER, "Oi")
    body = json.dumps(
        {
            "id": "evt_1",
            "timestamp": 1764390000000,
            "event": "message",
            "session": SESSION,
            "me": None,
            "payload": payload,
        }
    ).encode()
    signature = sign("hmac-key", body)
    args = ["check", "whatsapp_web", "--secret", "hmac-key"]
    ok = runner.invoke(
        cli_app,
        [*args, "-H", f"X-Webhook-Hmac: {signature}", "-H", "X-Webhook-Hmac-Algorithm: sha512"],
        input=body,
    )
    assert ok.exit_code == 0, ok.output
    event = json.loads(ok.stdout.strip())
    assert event["kind"] == "message" and event["platform_message_id"] == payload["id"]
    assert event["sender"] == CUSTOMER and event["text"] == "Oi"
    forged = runner.invoke(
        cli_app,
        [*args, "-H", "X-Webhook-Hmac: 00", "-H", "X-Webhook-Hmac-Algorithm: sha512"],
        input=body,
    )
    assert forged.exit_code == 3
    broken = b'{"event": "message"}'
    unparseable = runner.invoke(
        cli_app,
        [
            *args,
            "-H",
            f"X-Webhook-Hmac: {sign('hmac-key', broken)}",
            "-H",
            "X-Webhook-Hmac-Algorithm: sha512",
        ],
        input=broken,
    )
    assert unparseable.exit_code == 4


async def test_files_are_sent_with_send_image_and_send_file(
    waha: tuple[FakeWaha, str], tmp_path: Path
) -> None:
    """An outbound attachment (``local_path``, as the composer upload fills it) goes out as
    ``sendImage`` (photos) or ``sendFile`` (anything else), base64 in ``file.data``."""
    fake, base = waha
    photo = tmp_path / "blue-shirt.jpg"
    photo.write_bytes(JPEG)
    invoice = tmp_path / "invoice-2291.pdf"
    invoice.write_bytes(b"%PDF-1.4\n" + b"0" * 100)
    context = AccountContext(
        id="acc-waha",
        workspace_id="ws",
        kind=ChannelKind.WHATSAPP_WEB,
        external_id=SESSION,
        config={"api_base_url": base},
        secrets={"api_key": fake.api_key, "webhook_hmac_key": "k"},
    )
    adapter = WhatsAppBridgeAdapter()

    def outbound(text: str, *files: OutgoingAttachment) -> OutboundMessage:
        return OutboundMessage("m1", CUSTOMER, text, "idem-1", attachments=files)

    image = OutgoingAttachment("image", "image/jpeg", local_path=str(photo))
    document = OutgoingAttachment(
        "document", "application/pdf", filename="Rechnung.pdf", local_path=str(invoice)
    )
    async with httpx.AsyncClient(timeout=10) as http:
        created = await http.post(
            f"{base}/api/sessions",
            json={"name": SESSION, "start": True},
            headers={"X-Api-Key": fake.api_key},
        )
        assert created.status_code == 201
        # Not linked: 422, retried later.
        with pytest.raises(RetryableSendError):
            await adapter.send(http, context, outbound("The blue one", image))
        fake.link(SESSION)

        receipt = await adapter.send(http, context, outbound("The blue one", image))
        assert receipt.platform_message_id.startswith(f"true_{CUSTOMER}_")
        sent = fake.sent[-1]
        assert (sent["endpoint"], sent["session"], sent["chatId"], sent["caption"]) == (
            "sendImage",
            SESSION,
            CUSTOMER,
            "The blue one",
        )
        assert {k: v for k, v in sent["file"].items() if k != "data"} == {
            "mimetype": "image/jpeg",
            "filename": "blue-shirt.jpg",
        }
        assert sent["file_bytes"] == JPEG

        await adapter.send(http, context, outbound("", document))
        sent = fake.sent[-1]
        assert sent["endpoint"] == "sendFile" and "caption" not in sent
        assert sent["file"]["filename"] == "Rechnung.pdf"
        assert sent["file"]["mimetype"] == "application/pdf"
        assert sent["file_bytes"] == invoice.read_bytes()

        count = len(fake.sent)
        with pytest.raises(PermanentSendError) as split:
            await adapter.send(http, context, outbound("two", image, document))
        assert split.value.fields["reason"] == "split_required"
        gone = OutgoingAttachment("image", "image/jpeg", local_path=str(tmp_path / "gone.jpg"))
        with pytest.raises(PermanentSendError) as missing:
            await adapter.send(http, context, outbound("", gone))
        assert missing.value.fields["reason"] == "attachment_missing"
        with pytest.raises(PermanentSendError) as long_caption:
            await adapter.send(http, context, outbound("x" * 1025, image))
        assert long_caption.value.fields["reason"] == "text_too_long"
        assert len(fake.sent) == count
