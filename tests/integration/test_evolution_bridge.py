"""WhatsApp app accounts linked by QR code through an Evolution API (v2) bridge, against a
fake Evolution server speaking its REST API and webhook format (``apikey`` header, one
webhook per instance carrying crossdesk's secret header), on SQLite and PostgreSQL.

Covered: linking (instance created, webhook set with our events and secret header, QR shown
until the phone scans, then linked), inbound text / extended text / media stored once,
forged or missing webhook secrets refused with nothing stored, phone-app echoes, media
fetched through getBase64FromMediaMessage, replies (text and a file) with acks moving the
status forward only, logout and QR-needed states from the page and from the connection
webhooks, a wrong API key and an unknown instance."""

import base64
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select, update
from tests.factories import PASSWORD, DemoWorld, asgi_client
from tests.fakes.platforms.evolution import FakeEvolution
from tests.fakes.platforms.server import RunningServer

from crossdesk.actions.identity import principal_for
from crossdesk.actions.send_reply import send_reply
from crossdesk.channels.base import AccountContext, WebhookRequest
from crossdesk.channels.whatsapp_bridge import media
from crossdesk.channels.whatsapp_bridge.adapter import WhatsAppBridgeAdapter
from crossdesk.db.base import utcnow
from crossdesk.db.models import (
    Attachment,
    AuditEvent,
    BridgeSession,
    ChannelAccount,
    Conversation,
    Message,
    Outbox,
)
from crossdesk.domain import Attachment as OutgoingAttachment
from crossdesk.domain import ChannelKind, InboundEvent, OutboundMessage, StatusEvent
from crossdesk.errors import (
    InvalidInput,
    PermanentSendError,
    RetryableSendError,
    SignatureInvalid,
)
from crossdesk.risk import audit
from crossdesk.services import Services
from crossdesk.web.app import create_app
from crossdesk.workers.attachments import AttachmentWorker
from crossdesk.workers.delivery import DeliveryWorker

INSTANCE = "shop-evo-1"
CUSTOMER = "5511987654321@s.whatsapp.net"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 300
PDF = b"%PDF-1.4\n" + b"0" * 200
SECRET_HEADER = "x-crossdesk-webhook-token"


@pytest.fixture(scope="module")
def evolution_server() -> Iterator[tuple[FakeEvolution, str]]:
    fake = FakeEvolution()
    server = RunningServer(fake.app).start()
    try:
        yield fake, server.base_url
    finally:
        server.stop()


@pytest.fixture
def evolution(evolution_server: tuple[FakeEvolution, str]) -> tuple[FakeEvolution, str]:
    fake, base = evolution_server
    fake.reset()
    return fake, base


@pytest.fixture
async def client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    """The web app on the parametrized database (SQLite and PostgreSQL)."""
    async with asgi_client(create_app(services.settings, services=services)) as c:
        yield c


async def _owner_csrf(client: httpx.AsyncClient, world: DemoWorld) -> str:
    await client.post("/login", data={"email": world.users["owner"].email, "password": PASSWORD})
    page = await client.get("/ui/accounts")
    marker = 'data-csrf="'
    start = page.text.index(marker) + len(marker)
    return page.text[start : page.text.index('"', start)]


async def _add(
    client: httpx.AsyncClient,
    services: Services,
    world: DemoWorld,
    evolution: tuple[FakeEvolution, str],
    api_key: str | None = None,
) -> tuple[str, str]:
    """Add the bridge account on the accounts page, flavour ``evolution``."""
    fake, base = evolution
    csrf = await _owner_csrf(client, world)
    added = await client.post(
        "/ui/accounts",
        data={
            "csrf_token": csrf,
            "kind": "whatsapp_web",
            "name": "Sales phone (Evolution)",
            "external_id": INSTANCE,
            "team_id": world.team_a,
            "secret_api_key": api_key or fake.api_key,
            "config_api_base_url": base,
            "config_flavour": "evolution",
        },
    )
    assert added.status_code == 303, added.text
    async with services.sessionmaker() as session:
        account = await session.scalar(
            select(ChannelAccount).where(ChannelAccount.kind == "whatsapp_web")
        )
        assert account is not None
        # The add form does not offer the flavour field yet (accounts page, another
        # owner): set in the account's config JSON, where the form will put it.
        account.config = {**account.config, "flavour": "evolution"}
        await session.commit()
        return account.id, csrf


async def _add_and_link(
    client: httpx.AsyncClient,
    services: Services,
    world: DemoWorld,
    evolution: tuple[FakeEvolution, str],
) -> tuple[str, str]:
    account_id, csrf = await _add(client, services, world, evolution)
    linked = await client.post(
        f"/ui/accounts/{account_id}/bridge/link", headers={"X-CSRF-Token": csrf}
    )
    assert linked.status_code == 200, linked.text
    return account_id, csrf


async def _deliver(
    client: httpx.AsyncClient, fake: FakeEvolution, event: str, data: object
) -> httpx.Response:
    url, body, headers = fake.webhook(INSTANCE, event, data)
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


async def _bridge_row(services: Services, account_id: str) -> tuple[str | None, str]:
    async with services.read_sessionmaker() as session:
        account = await session.get(ChannelAccount, account_id)
        row = await session.get(BridgeSession, account_id)
        assert account is not None
        return (row.status if row is not None else None), account.health


def _context(base: str, api_key: str = "evo-global-key") -> AccountContext:
    return AccountContext(
        id="acc-evo",
        workspace_id="ws",
        kind=ChannelKind.WHATSAPP_WEB,
        external_id=INSTANCE,
        config={"api_base_url": base, "flavour": "evolution"},
        secrets={"api_key": api_key, "webhook_hmac_key": "s3cret"},
    )


async def test_link_by_qr_code_until_the_phone_has_scanned(
    services: Services,
    world: DemoWorld,
    client: httpx.AsyncClient,
    evolution: tuple[FakeEvolution, str],
) -> None:
    fake, _ = evolution
    account_id, csrf = await _add(client, services, world, evolution)
    # No instance on the server yet: Evolution answers 404, the page says so.
    before = await client.get(f"/ui/accounts/{account_id}/bridge")
    assert 'data-status="MISSING"' in before.text and "press Link" in before.text
    assert (
        any(r.path == f"/instance/connectionState/{INSTANCE}" for r in fake.requests)
        and INSTANCE not in fake.instances
    )
    linked = await client.post(
        f"/ui/accounts/{account_id}/bridge/link", headers={"X-CSRF-Token": csrf}
    )
    assert linked.status_code == 200 and 'data-status="SCAN_QR_CODE"' in linked.text
    instance = fake.instances[INSTANCE]
    hook = instance.webhook
    assert hook is not None and hook["enabled"] is True and hook["byEvents"] is False
    assert hook["url"].endswith(f"/webhooks/whatsapp_web/{account_id}/evolution")
    assert set(hook["events"]) == {
        "MESSAGES_UPSERT",
        "MESSAGES_UPDATE",
        "CONNECTION_UPDATE",
        "QRCODE_UPDATED",
    }
    assert len(hook["headers"][SECRET_HEADER]) >= 32
    create = next(r for r in fake.requests if r.path == "/instance/create")
    assert create.body == {
        "instanceName": INSTANCE,
        "qrcode": True,
        "integration": "WHATSAPP-BAILEYS",
    }
    assert all(r.headers.get("apikey") == fake.api_key for r in fake.requests)

    state = await client.get(f"/ui/accounts/{account_id}/bridge")
    assert 'data-status="SCAN_QR_CODE"' in state.text and 'hx-trigger="every 3s"' in state.text
    assert "Evolution API" in state.text
    qr = await client.get(f"/ui/accounts/{account_id}/bridge/qr.png")
    assert qr.status_code == 200 and qr.content.startswith(b"\x89PNG\r\n\x1a\n")

    fake.link(INSTANCE)  # the phone scans the code
    state = await client.get(f"/ui/accounts/{account_id}/bridge")
    assert 'data-status="WORKING"' in state.text and "every 3s" not in state.text
    assert (await client.get(f"/ui/accounts/{account_id}/bridge/qr.png")).status_code == 404
    assert await _bridge_row(services, account_id) == ("WORKING", "connected")
    tested = await client.post(f"/ui/accounts/{account_id}/test", headers={"X-CSRF-Token": csrf})
    assert "linked and working" in tested.text

    # Linking again keeps the instance (no second create) and refreshes its webhook.
    creates = sum(r.path == "/instance/create" for r in fake.requests)
    again = await client.post(
        f"/ui/accounts/{account_id}/bridge/link", headers={"X-CSRF-Token": csrf}
    )
    assert again.status_code == 200 and 'data-status="WORKING"' in again.text
    assert sum(r.path == "/instance/create" for r in fake.requests) == creates


async def test_inbound_messages_secrets_echoes_and_media(
    services: Services,
    world: DemoWorld,
    client: httpx.AsyncClient,
    evolution: tuple[FakeEvolution, str],
) -> None:
    fake, base = evolution
    account_id, _ = await _add_and_link(client, services, world, evolution)
    fake.link(INSTANCE)
    data = fake.text_message(INSTANCE, CUSTOMER, "Olá, tem o tamanho M?")
    url, body, headers = fake.webhook(INSTANCE, "MESSAGES_UPSERT", data)
    path = urlsplit(url).path

    forged = {**headers, SECRET_HEADER: "x" * len(headers[SECRET_HEADER])}
    assert (await client.post(path, content=body, headers=forged)).status_code == 401
    bare = {k: v for k, v in headers.items() if k != SECRET_HEADER}
    assert (await client.post(path, content=body, headers=bare)).status_code == 401
    # The generic webhook URL checks the same secret.
    generic = path.removesuffix("/evolution")
    assert (await client.post(generic, content=body, headers=bare)).status_code == 401
    assert await _messages(services, account_id) == []

    first = await client.post(path, content=body, headers=headers)
    assert first.status_code == 200 and first.json()["stored"] == 1
    again = await client.post(path, content=body, headers=headers)  # Evolution redelivers
    assert again.status_code == 200 and again.json()["stored"] == 0
    assert len(await _messages(services, account_id)) == 1
    extended = fake.text_message(INSTANCE, CUSTOMER, "Tem na cor azul?", extended=True)
    assert (await _deliver(client, fake, "MESSAGES_UPSERT", extended)).status_code == 200
    group = fake.text_message(INSTANCE, "120363025246125486@g.us", "group chatter")
    assert (await _deliver(client, fake, "MESSAGES_UPSERT", group)).json()["stored"] == 0
    photo = fake.media_message(INSTANCE, CUSTOMER, "image", JPEG, "image/jpeg", caption="este aqui")
    assert (await _deliver(client, fake, "MESSAGES_UPSERT", photo)).json()["stored"] == 1
    invoice = fake.media_message(
        INSTANCE, CUSTOMER, "document", PDF, "application/pdf", filename="pedido.pdf"
    )
    assert (await _deliver(client, fake, "MESSAGES_UPSERT", invoice)).json()["stored"] == 1

    messages = await _messages(services, account_id)
    assert [m.body_masked for m in messages] == [
        "Olá, tem o tamanho M?",
        "Tem na cor azul?",
        "este aqui",
        "",
    ]
    assert {m.direction for m in messages} == {"inbound"}
    assert messages[0].platform_message_id == data["key"]["id"]
    async with services.read_sessionmaker() as session:
        rows = {a.platform_file_id: a for a in (await session.scalars(select(Attachment))).all()}
    assert rows[photo["key"]["id"]].kind == "image"
    assert rows[photo["key"]["id"]].content_type == "image/jpeg"
    assert rows[invoice["key"]["id"]].kind == "document"
    assert rows[invoice["key"]["id"]].filename == "pedido.pdf"

    # The bytes come from getBase64FromMediaMessage, with the API key, and decode to the file.
    context = _context(base)
    async with httpx.AsyncClient(timeout=10) as http:
        for key_id, expected, kind in (
            (photo["key"]["id"], JPEG, "image/jpeg"),
            (invoice["key"]["id"], PDF, "application/pdf"),
        ):
            request = await media.download_request(http, context, key_id)
            response = await http.send(request)
            assert response.status_code == 201
            assert media.decode_download(context, response.content, None) == (expected, kind)
    asked = [r for r in fake.requests if r.path.startswith("/chat/getBase64FromMediaMessage/")]
    assert [r.body for r in asked] == [
        {"message": {"key": {"id": photo["key"]["id"]}}, "convertToMp4": False},
        {"message": {"key": {"id": invoice["key"]["id"]}}, "convertToMp4": False},
    ]
    assert {r.headers["apikey"] for r in asked} == {fake.api_key}
    with pytest.raises(PermanentSendError):
        media.decode_download(context, b'{"status": 400}', None)

    # Sent from the phone itself: outbound, attributed to the phone app, same conversation.
    echo = fake.text_message(INSTANCE, CUSTOMER, "Temos sim!", from_me=True)
    assert (await _deliver(client, fake, "MESSAGES_UPSERT", echo)).status_code == 200
    messages = await _messages(services, account_id)
    assert [(m.direction, m.echo, m.sender_label) for m in messages][-1] == (
        "outbound",
        True,
        "phone app",
    )
    assert len({m.conversation_id for m in messages}) == 1

    # Malformed data, or an event for another instance: 400, nothing stored.
    count = len(messages)
    secret = headers[SECRET_HEADER]
    broken = json.dumps({"event": "messages.upsert", "instance": INSTANCE, "data": {"key": 5}})
    refused = await client.post(
        path, content=broken, headers={"content-type": "application/json", SECRET_HEADER: secret}
    )
    assert refused.status_code == 400 and "key" in refused.text
    other = json.dumps({"event": "messages.upsert", "instance": "someone-else", "data": data})
    refused = await client.post(
        path, content=other, headers={"content-type": "application/json", SECRET_HEADER: secret}
    )
    assert refused.status_code == 400
    assert len(await _messages(services, account_id)) == count


async def test_reply_goes_out_and_acks_move_forward_only(
    services: Services,
    world: DemoWorld,
    client: httpx.AsyncClient,
    evolution: tuple[FakeEvolution, str],
) -> None:
    fake, _ = evolution
    account_id, _ = await _add_and_link(client, services, world, evolution)
    inbound = fake.text_message(INSTANCE, CUSTOMER, "hello")
    assert (await _deliver(client, fake, "MESSAGES_UPSERT", inbound)).status_code == 200
    async with services.sessionmaker() as session:
        supervisor = await principal_for(session, world.users["supervisor"])
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
    # Not linked yet: Evolution answers 400 Connection Closed and the message waits.
    await DeliveryWorker(services).run_once()
    waiting = (await _messages(services, account_id))[-1]
    assert waiting.status == "queued" and "Connection Closed" in (waiting.error or "")

    fake.link(INSTANCE)
    async with services.sessionmaker() as session:
        await session.execute(
            update(Outbox)
            .where(Outbox.message_id == sent.message.id)
            .values(next_attempt_at=utcnow())
        )
        await session.commit()
    await DeliveryWorker(services).run_once()
    assert fake.sent[-1] == {
        "endpoint": "sendText",
        "number": CUSTOMER,
        "text": "Hi! Yes, we have it.",
    }
    message = (await _messages(services, account_id))[-1]
    assert message.status == "sent" and message.platform_message_id is not None
    assert message.platform_message_id.startswith("BAE5")

    key_id = message.platform_message_id
    read = fake.status_update(INSTANCE, key_id, "READ", CUSTOMER)
    assert (await _deliver(client, fake, "MESSAGES_UPDATE", read)).json()["statuses"] == 1
    late = fake.status_update(INSTANCE, key_id, "DELIVERY_ACK", CUSTOMER)
    await _deliver(client, fake, "MESSAGES_UPDATE", late)  # late: never goes back
    theirs = fake.status_update(INSTANCE, key_id, "ERROR", CUSTOMER, from_me=False)
    assert (await _deliver(client, fake, "MESSAGES_UPDATE", theirs)).json()["statuses"] == 0
    final = (await _messages(services, account_id))[-1]
    assert final.status == "read"


async def test_files_are_sent_with_send_media(
    evolution: tuple[FakeEvolution, str], tmp_path: Path
) -> None:
    fake, base = evolution
    fake.instances.clear()
    async with httpx.AsyncClient(timeout=10) as http:
        await http.post(
            f"{base}/instance/create",
            json={"instanceName": INSTANCE, "qrcode": True, "integration": "WHATSAPP-BAILEYS"},
            headers={"apikey": fake.api_key},
        )
        fake.link(INSTANCE)
        photo = tmp_path / "blue-shirt.jpg"
        photo.write_bytes(JPEG)
        invoice = tmp_path / "invoice-2291.pdf"
        invoice.write_bytes(PDF)
        adapter = WhatsAppBridgeAdapter()
        context = _context(base)

        def outbound(text: str, *files: OutgoingAttachment) -> OutboundMessage:
            return OutboundMessage("m1", CUSTOMER, text, "idem-1", attachments=files)

        image = OutgoingAttachment("image", "image/jpeg", local_path=str(photo))
        receipt = await adapter.send(http, context, outbound("The blue one", image))
        assert receipt.platform_message_id.startswith("BAE5")
        sent = fake.sent[-1]
        assert {
            k: sent[k] for k in ("endpoint", "number", "mediatype", "mimetype", "fileName")
        } == {
            "endpoint": "sendMedia",
            "number": CUSTOMER,
            "mediatype": "image",
            "mimetype": "image/jpeg",
            "fileName": "blue-shirt.jpg",
        }
        assert sent["caption"] == "The blue one" and sent["media_bytes"] == JPEG
        assert base64.b64decode(sent["media"]) == JPEG

        document = OutgoingAttachment(
            "document", "application/pdf", filename="Rechnung.pdf", local_path=str(invoice)
        )
        await adapter.send(http, context, outbound("", document))
        sent = fake.sent[-1]
        assert (sent["mediatype"], sent["fileName"], sent["caption"]) == (
            "document",
            "Rechnung.pdf",
            "",
        )
        assert sent["media_bytes"] == PDF

        with pytest.raises(PermanentSendError) as split:
            await adapter.send(http, context, outbound("two", image, document))
        assert split.value.fields["reason"] == "split_required"
        gone = OutgoingAttachment("image", "image/jpeg", local_path=str(tmp_path / "gone.jpg"))
        with pytest.raises(PermanentSendError) as missing:
            await adapter.send(http, context, outbound("", gone))
        assert missing.value.fields["reason"] == "attachment_missing"

        # A number that is not on WhatsApp: permanent, and the number stays out of the error.
        fake.not_on_whatsapp.add("5511900000001")
        with pytest.raises(PermanentSendError) as nobody:
            stranger = "5511900000001@s.whatsapp.net"
            await adapter.send(http, context, OutboundMessage("m2", stranger, "hi", "idem-2"))
        assert "not on WhatsApp" in nobody.value.message
        assert "5511900000001" not in nobody.value.message

        fake.phone_logged_out(INSTANCE)
        with pytest.raises(RetryableSendError):
            await adapter.send(http, context, outbound("later", image))
        count = len(fake.sent)
        with pytest.raises(PermanentSendError) as bad_key:
            await adapter.send(http, _context(base, api_key="wrong"), outbound("x", image))
        assert bad_key.value.fields["reason"] == "access_token_invalid"
        assert len(fake.sent) == count


async def test_logout_and_qr_needed_states_are_detected_and_shown(
    services: Services,
    world: DemoWorld,
    client: httpx.AsyncClient,
    evolution: tuple[FakeEvolution, str],
) -> None:
    fake, _ = evolution
    account_id, csrf = await _add_and_link(client, services, world, evolution)
    fake.link(INSTANCE)
    assert (
        await _deliver(client, fake, "CONNECTION_UPDATE", fake.connection_update(INSTANCE, "open"))
    ).json() == {"statuses": 1}
    assert await _bridge_row(services, account_id) == ("WORKING", "connected")

    # Logged out from crossdesk: the instance waits for a new scan.
    out = await client.post(
        f"/ui/accounts/{account_id}/bridge/logout", headers={"X-CSRF-Token": csrf}
    )
    assert out.status_code == 200 and 'data-status="SCAN_QR_CODE"' in out.text
    assert "scan the QR code" in out.text
    assert any(
        r.method == "DELETE" and r.path == f"/instance/logout/{INSTANCE}" for r in fake.requests
    )
    assert await _bridge_row(services, account_id) == ("SCAN_QR_CODE", "auth_failed")

    fake.link(INSTANCE)
    await _deliver(client, fake, "CONNECTION_UPDATE", fake.connection_update(INSTANCE, "open"))
    assert await _bridge_row(services, account_id) == ("WORKING", "connected")

    # A forged connection webhook changes nothing.
    url, body, headers = fake.webhook(
        INSTANCE, "CONNECTION_UPDATE", fake.connection_update(INSTANCE, "close", 401)
    )
    forged = await client.post(
        urlsplit(url).path, content=body, headers={**headers, SECRET_HEADER: "forged"}
    )
    assert forged.status_code == 401
    assert await _bridge_row(services, account_id) == ("WORKING", "connected")

    # Evolution reconnecting by itself (close 428, then connecting): not a logout.
    await _deliver(
        client, fake, "CONNECTION_UPDATE", fake.connection_update(INSTANCE, "close", 428)
    )
    assert await _bridge_row(services, account_id) == ("STARTING", "connected")
    fake.instances[INSTANCE].state, fake.instances[INSTANCE].reconnecting = "connecting", True
    state = await client.get(f"/ui/accounts/{account_id}/bridge")
    assert 'data-status="STARTING"' in state.text and "qr.png" not in state.text

    # The user removed the linked device on the phone: close 401, a QR code is needed.
    fake.phone_logged_out(INSTANCE)
    answer = await _deliver(
        client, fake, "CONNECTION_UPDATE", fake.connection_update(INSTANCE, "close", 401)
    )
    assert answer.status_code == 200 and answer.json() == {"statuses": 1}
    assert await _bridge_row(services, account_id) == ("SCAN_QR_CODE", "auth_failed")
    state = await client.get(f"/ui/accounts/{account_id}/bridge")
    assert "scan the QR code" in state.text and "qr.png" in state.text
    qr = await client.get(f"/ui/accounts/{account_id}/bridge/qr.png")
    assert qr.status_code == 200 and qr.content.startswith(b"\x89PNG")
    assert (
        await _deliver(client, fake, "QRCODE_UPDATED", fake.qrcode_update(INSTANCE))
    ).json() == {"statuses": 1}

    # QR code limit reached: Evolution refuses; Link must restart it.
    await _deliver(
        client, fake, "CONNECTION_UPDATE", fake.connection_update(INSTANCE, "refused", 428)
    )
    assert await _bridge_row(services, account_id) == ("FAILED", "error")
    async with services.read_sessionmaker() as session:
        changes = (
            await session.scalars(
                select(AuditEvent)
                .where(
                    AuditEvent.action == "account.bridge_status",
                    AuditEvent.target_id == account_id,
                )
                .order_by(AuditEvent.seq)
            )
        ).all()
    # Every change of state is audited once (repeats are not).
    assert [c.data["to"] for c in changes] == [
        "SCAN_QR_CODE",  # linked: waiting for the scan
        "WORKING",
        "SCAN_QR_CODE",  # logged out from crossdesk
        "WORKING",
        "STARTING",  # reconnecting by itself
        "SCAN_QR_CODE",  # logged out on the phone
        "FAILED",  # QR code limit reached
    ]


async def test_wrong_api_key_and_unknown_instance(
    services: Services,
    world: DemoWorld,
    client: httpx.AsyncClient,
    evolution: tuple[FakeEvolution, str],
) -> None:
    fake, base = evolution
    account_id, csrf = await _add(client, services, world, evolution, api_key="not-the-key")
    state = await client.get(f"/ui/accounts/{account_id}/bridge")
    assert 'data-status="UNREACHABLE"' in state.text and "401" in state.text
    linked = await client.post(
        f"/ui/accounts/{account_id}/bridge/link", headers={"X-CSRF-Token": csrf}
    )
    assert 'data-status="UNREACHABLE"' in linked.text and INSTANCE not in fake.instances
    tested = await client.post(f"/ui/accounts/{account_id}/test", headers={"X-CSRF-Token": csrf})
    assert "refused the API key" in tested.text

    # With the right key but before Link: the instance does not exist (404) → MISSING.
    async with httpx.AsyncClient(timeout=10) as http:
        missing = await http.get(
            f"{base}/instance/connectionState/{INSTANCE}", headers={"apikey": fake.api_key}
        )
    assert missing.status_code == 404
    assert missing.json()["response"]["message"] == [f'The "{INSTANCE}" instance does not exist']


async def test_the_attachment_worker_stores_evolution_media(
    services: Services,
    world: DemoWorld,
    client: httpx.AsyncClient,
    evolution: tuple[FakeEvolution, str],
) -> None:
    fake, _ = evolution
    await _add_and_link(client, services, world, evolution)
    fake.link(INSTANCE)
    photo = fake.media_message(INSTANCE, CUSTOMER, "image", JPEG, "image/jpeg")
    assert (await _deliver(client, fake, "MESSAGES_UPSERT", photo)).json()["stored"] == 1
    worker = AttachmentWorker(services)
    assert await worker.run_once() == 1
    async with services.read_sessionmaker() as session:
        stored = await session.scalar(select(Attachment))
    assert stored is not None and stored.storage_path is not None, worker.given_up
    assert stored.content_type == "image/jpeg"
    assert (services.settings.data_dir / "attachments" / stored.storage_path).read_bytes() == JPEG


def test_parse_tolerates_the_shapes_evolution_releases_send() -> None:
    """Baileys Longs for sizes and times, ``id`` instead of ``keyId`` (earlier 2.x), status
    updates without a status (edits), replies (``contextInfo.stanzaId``) and ``@lid`` chats
    with the phone JID beside them: parsed, never a 400 that would lose the message."""
    adapter = WhatsAppBridgeAdapter()
    context = _context("http://evolution.invalid")

    def parse(event: str, data: object) -> list[object]:
        body = json.dumps({"event": event, "instance": INSTANCE, "data": data}).encode()
        request = WebhookRequest("POST", {SECRET_HEADER: "s3cret"}, {}, body)
        adapter.verify(context, request)
        return list(adapter.parse(context, request))

    (photo,) = parse(
        "messages.upsert",
        {
            "key": {
                "remoteJid": "123456789012345@lid",
                "remoteJidAlt": CUSTOMER,
                "fromMe": False,
                "id": "3EB0AA",
            },
            "pushName": "Maria",
            "message": {
                "imageMessage": {
                    "mimetype": "image/jpeg",
                    "caption": "this one",
                    "fileLength": {"low": 48213, "high": 0, "unsigned": True},
                    "contextInfo": {"stanzaId": "BAE5PREVIOUS"},
                }
            },
            "messageType": "imageMessage",
            "messageTimestamp": {"low": 1764400000, "high": 0, "unsigned": True},
        },
    )
    assert isinstance(photo, InboundEvent)
    assert (photo.sender_id, photo.text, photo.sender_name) == (CUSTOMER, "this one", "Maria")
    assert photo.reply_to_platform_id == "BAE5PREVIOUS"
    assert photo.sent_at.timestamp() == 1764400000
    (attachment,) = photo.attachments
    assert (attachment.kind, attachment.size, attachment.platform_file_id) == (
        "image",
        48213,
        "3EB0AA",
    )

    (read,) = parse("messages.update", {"id": "BAE5X", "fromMe": True, "status": "PLAYED"})
    assert isinstance(read, StatusEvent) and read.platform_message_id == "BAE5X"
    assert parse("messages.update", {"keyId": "BAE5X", "fromMe": True}) == []
    assert parse("messages.update", {"keyId": "BAE5X", "fromMe": True, "status": "PENDING"}) == []
    reaction = {
        "key": {"remoteJid": CUSTOMER, "fromMe": False, "id": "3EB0BB"},
        "message": {"reactionMessage": {"text": "👍"}},
        "messageType": "reactionMessage",
        "messageTimestamp": 1764400000,
    }
    assert parse("messages.upsert", reaction) == []
    assert parse("connection.update", {"instance": INSTANCE, "state": "open"}) == []
    with pytest.raises(InvalidInput):
        parse("messages.update", {"fromMe": True, "status": "READ"})
    with pytest.raises(SignatureInvalid):
        adapter.verify(context, WebhookRequest("POST", {SECRET_HEADER: "s3creT"}, {}, b"{}"))
