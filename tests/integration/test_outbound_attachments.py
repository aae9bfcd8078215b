"""Files agents send (issue 6): the upload API's checks, then delivery of an image and a
document to WhatsApp Cloud, Telegram bot, Messenger and LINE through their fake servers,
which validate the uploads (multipart fields, types, sizes) as the platforms do. On SQLite
and PostgreSQL."""

import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from tests.factories import DemoWorld, asgi_client, bearer, inbound, receive
from tests.fakes.platforms.graph import FakeGraphApi
from tests.fakes.platforms.line import FakeLineApi
from tests.fakes.platforms.server import RunningServer
from tests.fakes.platforms.telegram import FakeTelegramBotApi, TgUpload

from crossdesk.actions.accounts import create_account
from crossdesk.db.base import utcnow
from crossdesk.db.models import (
    Attachment,
    AuditEvent,
    ChannelAccount,
    Conversation,
    Message,
    Outbox,
)
from crossdesk.db.session import transaction
from crossdesk.domain import ChannelKind
from crossdesk.risk import audit
from crossdesk.services import Services
from crossdesk.web.app import create_app
from crossdesk.workers.delivery import DeliveryWorker

PHONE_ID = "106540352242922"
PAGE_ID = "1122334455"
GRAPH_TOKEN = "EAAG-files-token"
BOT_TOKEN = "7012345678:AAfiles"
LINE_TOKEN = "line-files-token"
WA_CUSTOMER = "819012345678"
PSID = "6123456789012345"
TG_CHAT = 55512345
LINE_USER = "U" + "4af4980629" * 3 + "ab"

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
MB = 1024 * 1024


@dataclass
class Fakes:
    graph: FakeGraphApi
    telegram: FakeTelegramBotApi
    line: FakeLineApi
    urls: dict[str, str]


@pytest.fixture(scope="module")
def servers() -> Iterator[Fakes]:
    graph, telegram, line = FakeGraphApi(), FakeTelegramBotApi(), FakeLineApi()
    running = {
        name: RunningServer(fake.app).start()
        for name, fake in (("graph", graph), ("telegram", telegram), ("line", line))
    }
    try:
        yield Fakes(graph, telegram, line, {k: v.base_url for k, v in running.items()})
    finally:
        for server in running.values():
            server.stop()


@pytest.fixture
def fakes(servers: Fakes) -> Fakes:
    servers.graph.reset()
    servers.graph.add_node(PHONE_ID, GRAPH_TOKEN, "whatsapp")
    servers.graph.add_node(PAGE_ID, GRAPH_TOKEN, "messenger")
    servers.telegram.reset()
    servers.telegram.token = BOT_TOKEN
    servers.telegram.add_chat(TG_CHAT)
    servers.line.reset()
    servers.line.token = LINE_TOKEN
    return servers


@pytest.fixture
def web(services: Services) -> FastAPI:
    services.settings.web.public_url = "https://desk.example.com"
    app = create_app(services.settings, services=services)
    assert isinstance(app, FastAPI)
    return app


ACCOUNTS: dict[ChannelKind, tuple[str, str, dict[str, str]]] = {
    ChannelKind.WHATSAPP: (
        PHONE_ID,
        WA_CUSTOMER,
        {"access_token": GRAPH_TOKEN, "app_secret": "s", "verify_token": "v"},
    ),
    ChannelKind.MESSENGER: (
        PAGE_ID,
        PSID,
        {"access_token": GRAPH_TOKEN, "app_secret": "s", "verify_token": "v"},
    ),
    ChannelKind.TELEGRAM_BOT: (
        "7012345678",
        str(TG_CHAT),
        {"bot_token": BOT_TOKEN, "webhook_secret": "hook-secret"},
    ),
    ChannelKind.LINE: (
        "U" + "0" * 32,
        LINE_USER,
        {"channel_secret": "c", "channel_access_token": LINE_TOKEN},
    ),
}
BASE_OF = {
    ChannelKind.WHATSAPP: "graph",
    ChannelKind.MESSENGER: "graph",
    ChannelKind.TELEGRAM_BOT: "telegram",
    ChannelKind.LINE: "line",
}


async def _conversation(
    services: Services, world: DemoWorld, fakes: Fakes, kind: ChannelKind
) -> str:
    """An account of ``kind`` in team A and a conversation with its customer."""
    external_id, customer, secrets = ACCOUNTS[kind]
    async with transaction(services.sessionmaker) as session:
        account = await create_account(
            services,
            session,
            world.workspace_id,
            kind=kind,
            name=f"{kind.value} shop",
            external_id=external_id,
            team_id=world.team_a,
            config={"api_base_url": fakes.urls[BASE_OF[kind]]},
            secrets=secrets,
            actor=audit.SYSTEM,
        )
    await receive(services, account, inbound("¿Me manda la factura?", sender=customer))
    async with services.sessionmaker() as session:
        conversation_id = await session.scalar(
            select(Conversation.id).where(Conversation.account_id == account.id)
        )
        assert conversation_id is not None
        return conversation_id


async def _upload(
    client: httpx.AsyncClient,
    token: str,
    conversation_id: str,
    name: str,
    data: bytes,
    claimed: str = "application/octet-stream",
    text: str = "",
) -> httpx.Response:
    return await client.post(
        f"/api/v1/conversations/{conversation_id}/attachments",
        headers=bearer(token),
        files={"file": (name, data, claimed)},
        data={"text": text, "send_as_written": "true"},
    )


def _stored_files(services: Services) -> list[Path]:
    root = Path(services.settings.data_dir) / "attachments"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def _count(services: Services, model: Any) -> int:
    async with services.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_upload_checks_type_size_executables_and_scope(
    services: Services, world: DemoWorld, fakes: Fakes, web: FastAPI
) -> None:
    conversation_id = await _conversation(services, world, fakes, ChannelKind.WHATSAPP)
    supervisor = world.tokens["supervisor"]
    async with asgi_client(web) as client:
        # WhatsApp takes images up to 5 MB: a 6 MB PNG is refused before anything is stored.
        big = PNG + b"\x00" * (6 * MB)
        too_big = await _upload(client, supervisor, conversation_id, "big.png", big, "image/png")
        assert too_big.status_code == 413, too_big.text
        assert "5.0 MB" in too_big.json()["error"]["message"]
        # The global cap applies to every platform.
        services.settings.outbound_files.max_bytes = 1024
        capped = await _upload(client, supervisor, conversation_id, "a.pdf", PDF + b" " * 2000)
        assert capped.status_code == 413
        services.settings.outbound_files.max_bytes = 25 * MB
        # The client's type is not trusted: random bytes claimed to be a PNG.
        fake_png = await _upload(
            client, supervisor, conversation_id, "photo.png", bytes([0x90, 0x01]) * 500, "image/png"
        )
        assert fake_png.status_code == 400
        assert "could not be recognised" in fake_png.json()["error"]["message"]
        # Executables, by their bytes (whatever the name) and by their name.
        for name, data in (
            ("invoice.pdf", b"MZ\x90\x00" + bytes(300)),
            ("tool", b"\x7fELF\x02\x01\x01" + bytes(300)),
            ("setup.sh", b"echo hello\n"),
            ("report.pdf.exe", PDF),
        ):
            refused = await _upload(
                client, supervisor, conversation_id, name, data, "application/pdf"
            )
            assert refused.status_code == 400, name
            assert "cannot be sent" in refused.json()["error"]["message"], name
        # Scope: the same permission and scope as sending a message.
        other_team = await _upload(client, world.tokens["agent_b"], conversation_id, "a.pdf", PDF)
        assert other_team.status_code == 404
        no_send = await _upload(client, world.tokens["auditor"], conversation_id, "a.pdf", PDF)
        assert no_send.status_code == 403
        assert _stored_files(services) == []
        assert await _count(services, Attachment) == 0
        assert await _count(services, Outbox) == 0

        sent = await _upload(
            client, supervisor, conversation_id, "../../factura 7.pdf", PDF, "image/png", "Factura"
        )
    assert sent.status_code == 201, sent.text
    body = sent.json()
    assert body["attachments"] == [
        {
            "id": body["attachments"][0]["id"],
            "kind": "document",
            "filename": "factura 7.pdf",
            "content_type": "application/pdf",
            "size": len(PDF),
        }
    ]
    assert body["message"]["status"] == "queued"
    async with services.sessionmaker() as session:
        row = await session.get(Attachment, body["attachments"][0]["id"])
        assert row is not None and row.message_id == body["message"]["id"]
        assert row.storage_path == f"{world.workspace_id}/{row.id}.pdf"
        outbox = await session.scalar(select(Outbox).where(Outbox.message_id == row.message_id))
        assert outbox is not None and outbox.state == "pending"
        event = await session.scalar(
            select(AuditEvent).where(AuditEvent.action == "message.attachment")
        )
        assert event is not None
        assert event.data["filename"] == "factura 7.pdf"
        assert event.data["size"] == len(PDF) and event.data["content_type"] == "application/pdf"
        assert "content" not in event.data
    assert [p.read_bytes() for p in _stored_files(services)] == [PDF]


async def test_guard_runs_on_the_caption_and_a_blocked_send_keeps_no_file(
    services: Services, world: DemoWorld, fakes: Fakes, web: FastAPI
) -> None:
    conversation_id = await _conversation(services, world, fakes, ChannelKind.WHATSAPP)
    async with asgi_client(web) as client:
        blocked = await _upload(
            client,
            world.tokens["supervisor"],
            conversation_id,
            "a.pdf",
            PDF,
            text="add me on wechat: shop_888 and pay there",
        )
    assert blocked.status_code == 422, blocked.text
    assert _stored_files(services) == []
    assert await _count(services, Attachment) == 0


async def _send_and_deliver(
    services: Services,
    web: FastAPI,
    world: DemoWorld,
    conversation_id: str,
    name: str,
    data: bytes,
    text: str = "",
) -> Message:
    async with asgi_client(web) as client:
        response = await _upload(
            client, world.tokens["supervisor"], conversation_id, name, data, text=text
        )
    assert response.status_code == 201, response.text
    assert await DeliveryWorker(services).run_once() == 1
    async with services.sessionmaker() as session:
        message = await session.get(Message, response.json()["message"]["id"])
        assert message is not None
        return message


async def test_whatsapp_cloud_uploads_media_then_sends_by_id(
    services: Services, world: DemoWorld, fakes: Fakes, web: FastAPI
) -> None:
    conversation_id = await _conversation(services, world, fakes, ChannelKind.WHATSAPP)
    image = await _send_and_deliver(
        services, web, world, conversation_id, "shoe.png", PNG, "Modelo A"
    )
    assert image.status == "sent", image.error
    document = await _send_and_deliver(services, web, world, conversation_id, "factura.pdf", PDF)
    assert document.status == "sent", document.error

    uploads = [r for r in fakes.graph.requests if r.path.endswith("/media")]
    assert [u.body["type"] for u in uploads] == ["image/png", "application/pdf"]
    assert all(u.body["messaging_product"] == "whatsapp" for u in uploads)
    stored = {u.content_type: u for u in fakes.graph.uploads.values()}
    assert stored["image/png"].data == PNG and stored["application/pdf"].data == PDF
    sends = [r.body for r in fakes.graph.requests if r.path.endswith("/messages")]
    image_id = next(k for k, u in fakes.graph.uploads.items() if u.content_type == "image/png")
    assert sends[0]["type"] == "image"
    assert sends[0]["image"] == {"id": image_id, "caption": "Modelo A"}
    assert sends[1]["type"] == "document"
    assert sends[1]["document"]["filename"] == "factura.pdf"
    assert image.platform_message_id and image.platform_message_id.startswith("wamid.")


async def test_whatsapp_retry_after_an_outage_reuses_the_uploaded_media(
    services: Services, world: DemoWorld, fakes: Fakes, web: FastAPI
) -> None:
    conversation_id = await _conversation(services, world, fakes, ChannelKind.WHATSAPP)
    fakes.graph.messages_down = 1  # the upload goes through, the send gets a 503
    first = await _send_and_deliver(services, web, world, conversation_id, "shoe.png", PNG)
    assert first.status != "sent"
    async with transaction(services.sessionmaker) as session:  # the retry is due now
        await session.execute(update(Outbox).values(next_attempt_at=utcnow()))
    assert await DeliveryWorker(services).run_once() == 1
    async with services.read_sessionmaker() as session:
        message = await session.get(Message, first.id)
        assert message is not None and message.status == "sent", message.error
    uploads = [r for r in fakes.graph.requests if r.path.endswith("/media")]
    sends = [r.body for r in fakes.graph.requests if r.path.endswith("/messages")]
    assert len(uploads) == 1  # the 100 MB a document may weigh is not sent twice
    assert len(sends) == 2 and sends[0]["image"] == sends[1]["image"]


async def test_whatsapp_upload_refused_by_the_platform_fails_the_message(
    services: Services, world: DemoWorld, fakes: Fakes, web: FastAPI
) -> None:
    conversation_id = await _conversation(services, world, fakes, ChannelKind.WHATSAPP)
    # A zip passes crossdesk's checks, but WhatsApp does not take zips (131053).
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("photos/readme.txt", "hello")
    message = await _send_and_deliver(
        services, web, world, conversation_id, "photos.zip", buffer.getvalue()
    )
    assert message.status == "failed"
    assert message.error is not None and "131053" in message.error
    assert not [r for r in fakes.graph.requests if r.path.endswith("/messages")]


async def test_telegram_bot_uploads_photo_and_document_as_multipart(
    services: Services, world: DemoWorld, fakes: Fakes, web: FastAPI
) -> None:
    conversation_id = await _conversation(services, world, fakes, ChannelKind.TELEGRAM_BOT)
    image = await _send_and_deliver(
        services, web, world, conversation_id, "shoe.png", PNG, "Modelo A"
    )
    assert image.status == "sent", image.error
    document = await _send_and_deliver(services, web, world, conversation_id, "factura.pdf", PDF)
    assert document.status == "sent", document.error

    methods = [r.path.rsplit("/", 1)[-1] for r in fakes.telegram.requests]
    assert methods == ["sendPhoto", "sendDocument"]
    assert [(u.field, u.filename, u.data) for u in fakes.telegram.uploads] == [
        ("photo", "shoe.png", PNG),
        ("document", "factura.pdf", PDF),
    ]
    first = fakes.telegram.requests[0].body
    assert first["caption"] == "Modelo A" and first["chat_id"] == str(TG_CHAT)
    assert isinstance(first["photo"], TgUpload)
    assert image.platform_message_id == f"{TG_CHAT}:1001"


async def test_messenger_uploads_with_filedata_and_sends_the_caption_after(
    services: Services, world: DemoWorld, fakes: Fakes, web: FastAPI
) -> None:
    conversation_id = await _conversation(services, world, fakes, ChannelKind.MESSENGER)
    image = await _send_and_deliver(
        services, web, world, conversation_id, "shoe.png", PNG, "Modelo A"
    )
    assert image.status == "sent", image.error
    document = await _send_and_deliver(services, web, world, conversation_id, "factura.pdf", PDF)
    assert document.status == "sent", document.error

    requests = [r for r in fakes.graph.requests if r.path.endswith(f"{PAGE_ID}/messages")]
    assert len(requests) == 3  # image, its caption, document
    image_fields = requests[0].body
    assert json.loads(image_fields["recipient"]) == {"id": PSID}
    assert json.loads(image_fields["message"])["attachment"] == {
        "type": "image",
        "payload": {"is_reusable": False},
    }
    assert requests[1].body["message"]["text"] == "Modelo A"
    assert json.loads(requests[2].body["message"])["attachment"]["type"] == "file"
    assert sorted((u.kind, u.data) for u in fakes.graph.uploads.values()) == [
        ("file", PDF),
        ("image", PNG),
    ]
    assert image.platform_message_id and image.platform_message_id.startswith("m_")


async def test_line_gets_signed_public_urls_and_documents_as_links(
    services: Services, world: DemoWorld, fakes: Fakes, web: FastAPI
) -> None:
    conversation_id = await _conversation(services, world, fakes, ChannelKind.LINE)
    image = await _send_and_deliver(
        services, web, world, conversation_id, "shoe.png", PNG, "Modelo A"
    )
    assert image.status == "sent", image.error
    document = await _send_and_deliver(services, web, world, conversation_id, "factura.pdf", PDF)
    assert document.status == "sent", document.error

    first, second = fakes.line.delivered
    assert first["to"] == LINE_USER
    text, picture = first["messages"]
    assert text == {"type": "text", "text": "Modelo A"}
    assert picture["type"] == "image"
    url = picture["originalContentUrl"]
    assert url.startswith("https://desk.example.com/files/") and picture["previewImageUrl"] == url
    (link,) = second["messages"]
    assert link["type"] == "text" and "factura.pdf" in link["text"]
    document_url = link["text"].split("\n")[-1]

    async with asgi_client(web) as client:
        served = await client.get(url.removeprefix("https://desk.example.com"))
        assert served.status_code == 200 and served.content == PNG
        assert served.headers["content-type"] == "image/png"
        assert served.headers["x-content-type-options"] == "nosniff"
        pdf = await client.get(document_url.removeprefix("https://desk.example.com"))
        assert pdf.status_code == 200 and pdf.content == PDF
        assert pdf.headers["content-disposition"].startswith("attachment")
        # A changed signature, a later expiry or another file id: 404, nothing said.
        _, _, attachment_id, expires, signature, name = url.removeprefix("https://").split("/")
        for path in (
            f"/files/{attachment_id}/{expires}/{'0' * len(signature)}/{name}",
            f"/files/{attachment_id}/{int(expires) + 60}/{signature}/{name}",
        ):
            assert (await client.get(path)).status_code == 404


async def test_line_without_a_public_https_url_fails_naming_the_setting(
    services: Services, world: DemoWorld, fakes: Fakes, web: FastAPI
) -> None:
    services.settings.web.public_url = "http://127.0.0.1:8000"
    conversation_id = await _conversation(services, world, fakes, ChannelKind.LINE)
    message = await _send_and_deliver(services, web, world, conversation_id, "shoe.png", PNG)
    assert message.status == "failed"
    assert message.error is not None and "CROSSDESK_WEB__PUBLIC_URL" in message.error
    assert fakes.line.delivered == []


async def test_channels_without_file_support_refuse_uploads(
    services: Services, world: DemoWorld, web: FastAPI
) -> None:
    async with services.sessionmaker() as session:
        conversation_id = await session.scalar(
            select(Conversation.id)
            .join(ChannelAccount, ChannelAccount.id == Conversation.account_id)
            .where(ChannelAccount.kind == ChannelKind.SANDBOX.value)
            .limit(1)
        )
    if conversation_id is None:
        await receive(services, world.account_a, inbound("hola"))
        async with services.sessionmaker() as session:
            conversation_id = await session.scalar(
                select(Conversation.id).where(Conversation.account_id == world.account_a.id)
            )
    assert conversation_id is not None
    async with asgi_client(web) as client:
        refused = await _upload(client, world.tokens["supervisor"], conversation_id, "a.pdf", PDF)
    assert refused.status_code == 400
    assert "cannot send files" in refused.json()["error"]["message"]


async def test_idempotency_key_replays_the_same_file_message_once(
    services: Services, world: DemoWorld, fakes: Fakes, web: FastAPI
) -> None:
    conversation_id = await _conversation(services, world, fakes, ChannelKind.TELEGRAM_BOT)
    url = f"/api/v1/conversations/{conversation_id}/attachments"
    headers = {**bearer(world.tokens["supervisor"]), "Idempotency-Key": "file-1"}
    async with asgi_client(web) as client:
        first = await client.post(
            url, headers=headers, files={"file": ("a.pdf", PDF)}, data={"text": ""}
        )
        again = await client.post(
            url, headers=headers, files={"file": ("a.pdf", PDF)}, data={"text": ""}
        )
        other = await client.post(
            url, headers=headers, files={"file": ("b.png", PNG)}, data={"text": ""}
        )
    assert first.status_code == 201 and again.status_code == 200, again.text
    assert again.json()["message"]["id"] == first.json()["message"]["id"]
    assert other.status_code == 422
    assert await _count(services, Attachment) == 1
    assert await _count(services, Outbox) == 1
    assert [p.read_bytes() for p in _stored_files(services)] == [PDF]


async def test_line_images_over_the_preview_limit_go_as_a_link(
    services: Services, world: DemoWorld, fakes: Fakes, web: FastAPI
) -> None:
    conversation_id = await _conversation(services, world, fakes, ChannelKind.LINE)
    big = PNG + b"\x00" * (2 * MB)
    message = await _send_and_deliver(services, web, world, conversation_id, "big.png", big)
    assert message.status == "sent", message.error
    ((link,),) = [body["messages"] for body in fakes.line.delivered]
    assert link["type"] == "text" and "big.png" in link["text"]
    assert link["text"].split("\n")[-1].startswith("https://desk.example.com/files/")
