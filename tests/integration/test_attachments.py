"""Inbound media fetched from the platforms (Telegram getFile, WhatsApp media URL, LINE
content) into the data directory: size-limited, content-type checked, no database session
held while downloading, and served only to people who may read the conversation."""

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select
from tests.factories import PASSWORD, DemoWorld, bearer, receive
from tests.fakes.platforms.graph import FakeGraphApi
from tests.fakes.platforms.server import RunningServer, ScriptedReply
from tests.fakes.platforms.telegram import FakeTelegramBotApi

from crossdesk.actions.account_health import NewAccount, add_account
from crossdesk.actions.identity import principal_for
from crossdesk.db.models import Attachment as AttachmentRow
from crossdesk.db.models import ChannelAccount, Message
from crossdesk.domain import Attachment, InboundEvent, new_id
from crossdesk.risk import audit
from crossdesk.services import Services
from crossdesk.workers.attachments import AttachmentRefused, AttachmentWorker, checked_type

TOKEN = "7012345678:AAH-attachments"
WA_TOKEN = "wa-media-token"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
PDF = b"%PDF-1.7\n" + b"x" * 300


@dataclasses.dataclass
class Platforms:
    telegram: FakeTelegramBotApi
    telegram_base: str
    graph: FakeGraphApi
    graph_base: str
    files: dict[str, tuple[bytes, str]]  # file path / media id → (bytes, served type)
    pool_in_use: list[int]
    state: dict[str, Any]


@pytest.fixture(scope="module")
def servers() -> Iterator[Platforms]:
    telegram, graph = FakeTelegramBotApi(), FakeGraphApi()
    files: dict[str, tuple[bytes, str]] = {}
    pool_in_use: list[int] = []
    state: dict[str, Any] = {}

    # Bot API file downloads: GET /file/bot<token>/<file_path>.
    async def telegram_file(token: str, file_path: str) -> Response:
        pool_in_use.append(state["services"].engine.pool.checkedout())
        if token != telegram.token:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, 401
            )
        if file_path not in files:
            return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
        body, served = files[file_path]
        return Response(body, media_type=served)

    # Graph media: GET /{version}/{media-id} (metadata), then the URL with the same token.
    async def graph_media(version: str, media_id: str, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {WA_TOKEN}":
            return JSONResponse(
                {"error": {"message": "Invalid OAuth access token.", "code": 190}}, 401
            )
        if media_id not in files:
            return JSONResponse({"error": {"message": "Unsupported get request", "code": 100}}, 400)
        body, served = files[media_id]
        url = f"{state['graph_base']}/whatsapp_business/attachments/?mid={media_id}"
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "url": url,
                "mime_type": served,
                "file_size": len(body),
                "id": media_id,
            }
        )

    async def graph_download(mid: str, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {WA_TOKEN}":
            return Response(status_code=401)
        body, served = files[mid]
        return Response(body, media_type=served)

    telegram.app.add_api_route("/file/bot{token}/{file_path:path}", telegram_file)
    graph.app.add_api_route("/whatsapp_business/attachments/", graph_download)
    graph.app.add_api_route("/{version}/{media_id}", graph_media)
    telegram_server = RunningServer(telegram.app).start()
    graph_server = RunningServer(graph.app).start()
    state["graph_base"] = graph_server.base_url
    platforms = Platforms(
        telegram, telegram_server.base_url, graph, graph_server.base_url, files, pool_in_use, state
    )
    try:
        yield platforms
    finally:
        telegram_server.stop()
        graph_server.stop()


@pytest.fixture
def platforms(servers: Platforms, sqlite_services: Services) -> Platforms:
    servers.telegram.reset()
    servers.telegram.token = TOKEN
    servers.files.clear()
    servers.pool_in_use.clear()
    servers.state["services"] = sqlite_services
    return servers


async def _account(
    services: Services, world: DemoWorld, kind: str, secrets: dict[str, str], base: str
) -> ChannelAccount:
    async with services.read_sessionmaker() as session:
        owner = await principal_for(session, world.users["owner"])
    return await add_account(
        services,
        owner,
        NewAccount(
            kind=kind,
            name=f"{kind} shop",
            external_id="7012345678" if kind == "telegram_bot" else "1065432100",
            team_id=world.team_a,
            secrets=secrets,
            config={"api_base_url": base},
        ),
        audit.SYSTEM,
    )


def _event(*attachments: Attachment) -> InboundEvent:
    return InboundEvent(
        platform_message_id=f"1:{new_id()}",
        sender_id="5550001",
        sender_name="Алексей",
        text="фото заказа",
        sent_at=datetime.now(UTC),
        attachments=attachments,
    )


async def _rows(services: Services) -> list[AttachmentRow]:
    async with services.read_sessionmaker() as session:
        return list((await session.scalars(select(AttachmentRow))).all())


def _get_file(file_id: str, path: str, size: int) -> ScriptedReply:
    result = {
        "file_id": file_id,
        "file_unique_id": "u" + file_id,
        "file_size": size,
        "file_path": path,
    }
    return ScriptedReply(200, {"ok": True, "result": result})


async def test_telegram_photo_is_fetched_stored_and_served_to_readers_only(
    client: httpx.AsyncClient,
    sqlite_services: Services,
    app_world: DemoWorld,
    platforms: Platforms,
) -> None:
    account = await _account(
        sqlite_services,
        app_world,
        "telegram_bot",
        {"bot_token": TOKEN, "webhook_secret": "s"},
        platforms.telegram_base,
    )
    photo = Attachment(
        kind="image", content_type="image/jpeg", platform_file_id="AgAD-photo", size=len(PNG)
    )
    await receive(sqlite_services, account, _event(photo))
    platforms.files["photos/file_7.png"] = (PNG, "application/octet-stream")
    platforms.telegram.script(_get_file("AgAD-photo", "photos/file_7.png", len(PNG)))

    worker = AttachmentWorker(sqlite_services)
    assert await worker.run_once() == 1
    [row] = await _rows(sqlite_services)
    assert row.storage_path == f"{row.workspace_id}/{row.id}.png"
    assert row.content_type == "image/png"  # the bytes win over the claimed jpeg
    stored = Path(sqlite_services.settings.data_dir) / "attachments" / row.storage_path
    assert stored.read_bytes() == PNG
    assert platforms.pool_in_use == [0]  # no database connection held while downloading
    getfile = [r for r in platforms.telegram.requests if r.path == "/bot<token>/getFile"]
    assert getfile and getfile[0].body == {"file_id": "AgAD-photo"}
    assert await worker.run_once() == 0  # nothing left to fetch

    supervisor = bearer(app_world.tokens["supervisor"])  # team A reads the conversation
    served = await client.get(f"/ui/attachments/{row.id}", headers=supervisor)
    assert served.status_code == 200 and served.content == PNG
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in served.headers["content-security-policy"]
    other_team = bearer(app_world.tokens["agent_b"])
    assert (await client.get(f"/ui/attachments/{row.id}", headers=other_team)).status_code == 404

    message_id = row.message_id
    async with sqlite_services.read_sessionmaker() as session:
        message = await session.get(Message, message_id)
    assert message is not None
    fragment = await client.get(
        f"/ui/conversations/{message.conversation_id}/attachments", headers=supervisor
    )
    assert f'id="attachments-{message_id}"' in fragment.text
    assert f'src="/ui/attachments/{row.id}"' in fragment.text

    # The conversation view carries the slot and loads the attachments once.
    await client.post(
        "/login", data={"email": app_world.users["supervisor"].email, "password": PASSWORD}
    )
    pane = await client.get(f"/ui/conversations/{message.conversation_id}/messages")
    assert f'id="attachments-{message_id}"' in pane.text
    assert f"/ui/conversations/{message.conversation_id}/attachments" in pane.text


async def test_oversized_and_disguised_files_are_refused(
    sqlite_services: Services, app_world: DemoWorld, platforms: Platforms
) -> None:
    account = await _account(
        sqlite_services,
        app_world,
        "telegram_bot",
        {"bot_token": TOKEN, "webhook_secret": "s"},
        platforms.telegram_base,
    )
    big = Attachment(kind="document", platform_file_id="BQAD-big", size=10_000)
    fake_image = Attachment(kind="image", content_type="image/jpeg", platform_file_id="AgAD-html")
    undeclared = Attachment(kind="document", platform_file_id="BQAD-stream")
    await receive(sqlite_services, account, _event(big), _event(fake_image), _event(undeclared))
    platforms.files["photos/evil.jpg"] = (b"<html><script>alert(1)</script></html>", "image/jpeg")
    platforms.files["documents/huge.bin"] = (b"\x00" * 5000, "application/octet-stream")
    # The declared size refuses the first without a request; getFile answers the others.
    platforms.telegram.script(_get_file("AgAD-html", "photos/evil.jpg", 40))
    platforms.telegram.script(_get_file("BQAD-stream", "documents/huge.bin", 0))

    worker = AttachmentWorker(sqlite_services, max_bytes=4096)
    assert await worker.run_once() == 3
    assert all(row.storage_path is None for row in await _rows(sqlite_services))
    reasons = sorted(worker.given_up.values())
    assert any("limit is 4096" in r for r in reasons)  # declared size
    assert any("is not an image" in r for r in reasons)  # HTML claiming to be a JPEG
    assert sum("limit is 4096" in r for r in reasons) == 2  # declared, then Content-Length
    assert len(worker.given_up) == 3
    assert await worker.run_once() == 0  # given up, not retried in a loop
    assert not list((Path(sqlite_services.settings.data_dir) / "attachments").rglob("*.part"))


async def test_whatsapp_document_through_the_media_url(
    sqlite_services: Services, app_world: DemoWorld, platforms: Platforms
) -> None:
    account = await _account(
        sqlite_services,
        app_world,
        "whatsapp",
        {"access_token": WA_TOKEN, "app_secret": "a", "verify_token": "v"},
        platforms.graph_base,
    )
    doc = Attachment(
        kind="document",
        content_type="application/pdf",
        platform_file_id="1037543291543636",
        filename="invoice.pdf",
    )
    await receive(sqlite_services, account, _event(doc))
    platforms.files["1037543291543636"] = (PDF, "application/pdf")
    worker = AttachmentWorker(sqlite_services)
    assert await worker.run_once() == 1
    [row] = await _rows(sqlite_services)
    assert row.content_type == "application/pdf" and row.size == len(PDF)
    assert row.storage_path is not None and row.storage_path.endswith(".pdf")


async def test_retryable_failures_back_off(
    sqlite_services: Services, app_world: DemoWorld, platforms: Platforms
) -> None:
    account = await _account(
        sqlite_services,
        app_world,
        "telegram_bot",
        {"bot_token": TOKEN, "webhook_secret": "s"},
        platforms.telegram_base,
    )
    await receive(
        sqlite_services, account, _event(Attachment(kind="audio", platform_file_id="AwAD-voice"))
    )
    platforms.telegram.script(
        ScriptedReply(
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 30",
                "parameters": {"retry_after": 30},
            },
        )
    )
    worker = AttachmentWorker(sqlite_services)
    assert await worker.run_once() == 1
    assert worker.given_up == {}
    assert await worker.run_once() == 0  # waiting out retry_after, not hammering


def test_content_type_rules() -> None:
    assert checked_type("image/jpeg", None, PNG[:16]) == "image/png"
    assert checked_type(None, "application/pdf; charset=binary", PDF[:16]) == "application/pdf"
    assert (
        checked_type(None, "application/octet-stream", b"PK\x03\x04") == "application/octet-stream"
    )
    assert checked_type("audio/ogg", None, b"OggS\x00") == "audio/ogg"
    for claimed, served in (("image/jpeg", None), (None, "image/gif")):
        with pytest.raises(AttachmentRefused):
            checked_type(claimed, served, b"<html>")
    for bad in ("text/html", "image/svg+xml", "application/x-msdownload"):
        with pytest.raises(AttachmentRefused):
            checked_type(bad, None, b"<svg onload=alert(1)>")


async def test_line_content_endpoint_and_202_while_preparing(
    sqlite_services: Services, app_world: DemoWorld
) -> None:
    account = await _account(
        sqlite_services,
        app_world,
        "line",
        {"channel_access_token": "line-tok", "channel_secret": "s"},
        "https://api.line.test",
    )
    await receive(
        sqlite_services,
        account,
        _event(Attachment(kind="image", platform_file_id="325708")),
        _event(Attachment(kind="video", platform_file_id="325709")),
    )
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/v2/bot/message/325708/content":
            return httpx.Response(200, content=PNG, headers={"content-type": "image/png"})
        return httpx.Response(202)  # the video is still being prepared

    worker = AttachmentWorker(
        sqlite_services,
        lambda _account: httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )
    assert await worker.run_once() == 2
    assert {r.headers["authorization"] for r in seen} == {"Bearer line-tok"}
    assert str(seen[0].url) == "https://api.line.test/v2/bot/message/325708/content"
    rows = {row.platform_file_id: row for row in await _rows(sqlite_services)}
    assert rows["325708"].content_type == "image/png"
    assert rows["325709"].storage_path is None and worker.given_up == {}


async def test_messenger_attachment_url_is_fetched_as_given(
    sqlite_services: Services, app_world: DemoWorld
) -> None:
    account = await _account(
        sqlite_services,
        app_world,
        "messenger",
        {"access_token": "page-token", "app_secret": "a", "verify_token": "v"},
        "https://graph.test",
    )
    cdn = "https://scontent.xx.fbcdn.test/v/t1.15752-9/photo.jpg?_nc_oc=abc"
    await receive(
        sqlite_services,
        account,
        _event(Attachment(kind="image", url=cdn)),
        _event(Attachment(kind="image", url="http://plain.test/photo.jpg")),
    )
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=PNG, headers={"content-type": "image/jpeg"})

    worker = AttachmentWorker(
        sqlite_services,
        lambda _account: httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )
    assert await worker.run_once() == 1
    assert [str(r.url) for r in seen] == [cdn]
    assert "authorization" not in seen[0].headers  # the page token never goes to the CDN
    rows = {row.url: row for row in await _rows(sqlite_services)}
    assert rows[cdn].content_type == "image/png"
    assert rows["http://plain.test/photo.jpg"].storage_path is None  # https only
    assert list(worker.given_up.values()) == ["no file id or https URL to fetch"]
