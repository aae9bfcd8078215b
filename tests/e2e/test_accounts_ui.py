"""The admin adds a Telegram bot account in a real Chromium against the fake Telegram server,
sees its webhook URL and tests the connection: "connected", no CSP or script errors."""

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, ConsoleMessage, Response, expect
from sqlalchemy import select
from tests.e2e.test_browser import _log_in, browser, live_server  # noqa: F401  # fixtures
from tests.factories import DemoWorld, inbound, receive
from tests.fakes.platforms.server import RunningServer
from tests.fakes.platforms.telegram import FakeTelegramBotApi

from crossdesk.config import Settings
from crossdesk.db.models import Attachment as AttachmentRow
from crossdesk.db.session import transaction
from crossdesk.domain import Attachment
from crossdesk.services import build_services

pytestmark = pytest.mark.e2e

TOKEN = "7012345678:AAH-browser-test-token"


@pytest.fixture
def telegram() -> Iterator[tuple[FakeTelegramBotApi, str]]:
    fake = FakeTelegramBotApi(token=TOKEN)
    server = RunningServer(fake.app).start()
    try:
        yield fake, server.base_url
    finally:
        server.stop()


async def test_admin_adds_a_telegram_bot_and_sees_it_connected(
    live_server: tuple[str, DemoWorld],  # noqa: F811  # the imported fixture
    browser: Browser,  # noqa: F811  # the imported fixture
    telegram: tuple[FakeTelegramBotApi, str],
) -> None:
    base, world = live_server
    fake, telegram_base = telegram
    page = await browser.new_page()
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "Failed to load resource" not in message.text:
            problems.append(message.text)

    def on_response(response: Response) -> None:
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            problems.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    await _log_in(page, base, world.users["owner"].email)
    await page.click("#accounts-link")
    await expect(page).to_have_url(f"{base}/ui/accounts")

    form = page.locator("#add-telegram_bot")
    await form.locator("summary").click()
    await form.locator("input[name=name]").fill("RU support bot")
    await form.locator("select[name=team_id]").select_option(label="A")
    await form.locator("input[name=secret_bot_token]").fill(TOKEN)
    await form.locator("input[name=config_api_base_url]").fill(telegram_base)
    await form.locator("button[type=submit]").click()

    row = page.locator('tr[data-kind="telegram_bot"]')
    await expect(row).to_contain_text("RU support bot")
    await expect(row.locator(".health")).to_have_attribute("data-health", "unchecked")
    await expect(page.locator(".notice")).to_be_visible()
    webhook = page.locator(".webhook-url").last
    await expect(webhook).to_have_value(re.compile(r"/webhooks/telegram_bot/[0-9A-Za-z]+$"))
    assert TOKEN not in await page.content()

    await row.locator("button.test-connection").click()
    await expect(row.locator(".health")).to_have_attribute("data-health", "connected")
    await expect(row).to_contain_text("@crossdesk_support_bot")
    assert any(r.path == "/bot<token>/getMe" for r in fake.requests)

    # Telegram has no console to paste the URL into: the page registers it (setWebhook).
    await page.locator("button.register-webhook").last.click()
    await expect(page.locator('[data-ok="true"]')).to_be_visible()
    assert fake.webhook is not None
    assert fake.webhook["url"] == await webhook.input_value()
    assert problems == []


# A 1×1 PNG.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2212bc30000000049454e44ae426082"
)


async def test_an_inbound_photo_shows_as_a_thumbnail(
    live_server: tuple[str, DemoWorld],  # noqa: F811  # the imported fixture
    browser: Browser,  # noqa: F811  # the imported fixture
    tmp_path: Path,
) -> None:
    base, world = live_server
    settings = Settings(
        data_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}"
    )
    services = build_services(settings)
    try:
        event = dataclasses.replace(
            inbound("Mire la foto del paquete", sender="photo-customer"),
            sender_name="Lucía",
            attachments=(
                Attachment(kind="image", content_type="image/png", platform_file_id="f1"),
            ),
        )
        await receive(services, world.account_a, event)
        async with transaction(services.sessionmaker) as session:
            row = await session.scalar(select(AttachmentRow))
            assert row is not None
            row.storage_path = f"{row.workspace_id}/{row.id}.png"
            target = tmp_path / "attachments" / row.storage_path
            target.parent.mkdir(parents=True)
            target.write_bytes(PIXEL)
    finally:
        await services.close()

    page = await browser.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and "Failed to load resource" not in m.text
            else None
        ),
    )
    await _log_in(page, base, world.users["supervisor"].email)
    await page.locator(".conv-item", has_text="Lucía").click()
    thumb = page.locator(".msg.inbound img.att-thumb")
    await expect(thumb).to_be_visible()
    assert await thumb.evaluate("img => img.naturalWidth") == 1
    assert problems == []
