"""A real Chromium attaches a file in the composer: its name and size show with a remove
button, the send uploads it with the caption, the Telegram bot fake receives the multipart
upload, and the thread shows the file with the message's status."""

import asyncio
import secrets
import struct
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect
from tests.e2e.test_browser import _free_port, _log_in, _Server, browser  # noqa: F401
from tests.factories import DemoWorld, build_world, inbound, receive
from tests.fakes.platforms.server import RunningServer
from tests.fakes.platforms.telegram import FakeTelegramBotApi

from crossdesk.actions.accounts import create_account
from crossdesk.config import Settings
from crossdesk.db.migrate import upgrade
from crossdesk.db.session import transaction
from crossdesk.domain import ChannelKind
from crossdesk.risk import audit
from crossdesk.services import build_services
from crossdesk.web.app import create_app

pytestmark = pytest.mark.e2e

BOT_TOKEN = "7012345678:AAbrowser"
CHAT = 55598765


def _png(width: int, height: int) -> bytes:
    """A real PNG (the thread shows it as an image), noisy so it is not tiny."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + secrets.token_bytes(width * 3) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 0))
        + chunk(b"IEND", b"")
    )


PNG = _png(24, 24)


@pytest.fixture
def telegram() -> Iterator[FakeTelegramBotApi]:
    fake = FakeTelegramBotApi(token=BOT_TOKEN)
    fake.add_chat(CHAT, first_name="Lucía")
    server = RunningServer(fake.app).start()
    fake.base_url = server.base_url  # type: ignore[attr-defined]
    try:
        yield fake
    finally:
        server.stop()


@pytest.fixture
def live(tmp_path: Path, telegram: FakeTelegramBotApi) -> Iterator[tuple[str, DemoWorld]]:
    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}",
        secret_key="e2e-" + secrets.token_hex(16),  # type: ignore[arg-type]
        run_workers=True,
    )
    upgrade(settings.resolved_database_url)

    async def seed() -> DemoWorld:
        services = build_services(settings)
        try:
            world = await build_world(services)
            async with transaction(services.sessionmaker) as session:
                account = await create_account(
                    services,
                    session,
                    world.workspace_id,
                    kind=ChannelKind.TELEGRAM_BOT,
                    name="Shop bot",
                    external_id="7012345678",
                    team_id=world.team_a,
                    config={"api_base_url": telegram.base_url},  # type: ignore[attr-defined]
                    secrets={"bot_token": BOT_TOKEN, "webhook_secret": "hook-secret"},
                    actor=audit.SYSTEM,
                )
            event = inbound("¿Me manda una foto del modelo?", sender=str(CHAT))
            await receive(services, account, event)
            return world
        finally:
            await services.close()

    world = asyncio.run(seed())
    app = create_app(settings)
    port = _free_port()
    server = _Server(app, port)
    server.start()
    deadline = time.monotonic() + 15
    while not server.server.started:
        if time.monotonic() > deadline:
            pytest.fail("the server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", world
    server.server.should_exit = True
    server.join(10)


async def test_attach_a_photo_in_the_composer_and_see_it_sent(
    live: tuple[str, DemoWorld],
    browser: Browser,  # noqa: F811
    telegram: FakeTelegramBotApi,
) -> None:
    base, world = live
    agent = await browser.new_page()
    await _log_in(agent, base, world.users["supervisor"].email)
    await agent.locator(".conv-item", has_text="Customer One").click()
    await expect(agent.locator(".msg.inbound")).to_contain_text("foto del modelo")

    picker = agent.locator(".composer-file-input")
    # A program is refused with the composer's error; nothing is sent.
    await picker.set_input_files(
        {"name": "setup.exe", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00" + bytes(64)}  # type: ignore[arg-type]
    )
    await agent.press("#reply-text", "Control+Enter")
    await expect(agent.locator(".composer .alert")).to_contain_text("cannot be sent")
    assert await agent.locator(".msg.outbound").count() == 0
    picker = agent.locator(".composer-file-input")  # the pane was re-rendered
    photo = {"name": "modelo-a.png", "mimeType": "image/png", "buffer": PNG}
    await picker.set_input_files(photo)  # type: ignore[arg-type]
    chosen = agent.locator(".composer-file-chosen")
    await expect(chosen).to_be_visible()
    await expect(chosen.locator(".composer-file-name")).to_have_text("modelo-a.png")
    await expect(chosen.locator(".composer-file-size")).to_have_text(f"{len(PNG) / 1024:.1f} KB")
    # Removing it clears the choice; attach again.
    await chosen.locator(".composer-file-remove").click()
    await expect(chosen).to_be_hidden()
    await picker.set_input_files(photo)  # type: ignore[arg-type]
    await expect(chosen).to_be_visible()

    await agent.fill("#reply-text", "Modelo A")
    await agent.check("input[name=send_as_written]")
    await agent.press("#reply-text", "Control+Enter")

    outbound = agent.locator(".msg.outbound", has_text="Modelo A")
    await expect(outbound).to_be_visible(timeout=10_000)
    await expect(outbound.locator(".msg-attachments img.att-thumb")).to_be_visible(timeout=10_000)
    await expect(outbound).to_have_attribute("data-status", "sent", timeout=15_000)
    thumb = outbound.locator(".msg-attachments img.att-thumb")
    await expect(thumb).to_be_visible()
    # The stored file is served back to the agent and decodes as the 24×24 image.
    await agent.wait_for_function(
        "() => { const i = document.querySelector('.msg.outbound img.att-thumb');"
        " return !!i && i.complete && i.naturalWidth === 24; }",
        timeout=10_000,
    )
    assert [(u.field, u.filename, u.data) for u in telegram.uploads] == [
        ("photo", "modelo-a.png", PNG)
    ]
    # The composer is empty again (no file left attached).
    await expect(agent.locator(".composer-file-chosen")).to_be_hidden()
