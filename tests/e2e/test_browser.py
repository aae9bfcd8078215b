"""A real Chromium drives the product: customer writes → agent sees it live → replies →
the customer's page shows the reply."""

import asyncio
import secrets
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import Browser, Page, async_playwright, expect
from tests.factories import PASSWORD, DemoWorld, build_world

from crossdesk.config import Settings
from crossdesk.db.migrate import upgrade
from crossdesk.services import build_services
from crossdesk.web.app import create_app

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Server(threading.Thread):
    def __init__(self, app: object, port: int) -> None:
        super().__init__(daemon=True)
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")  # type: ignore[arg-type]
        )

    def run(self) -> None:
        self.server.run()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[tuple[str, DemoWorld]]:
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
            return await build_world(services)
        finally:
            await services.close()

    world = asyncio.run(seed())
    port = _free_port()
    server = _Server(create_app(settings), port)
    server.start()
    deadline = time.monotonic() + 15
    while not server.server.started:
        if time.monotonic() > deadline:
            pytest.fail("the server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", world
    server.server.should_exit = True
    server.join(10)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():  # noqa: ASYNC240  # one stat before launching
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


async def _log_in(page: Page, base: str, email: str) -> None:
    await page.goto(f"{base}/login")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await expect(page.locator(".topbar")).to_be_visible()


async def test_login_live_message_reply_reaches_the_customer(
    live_server: tuple[str, DemoWorld], browser: Browser
) -> None:
    base, world = live_server
    customer_url = f"{base}/sandbox/{world.account_a.external_id}/maria-garcia?name=Maria"
    agent = await browser.new_page()
    await _log_in(agent, base, world.users["supervisor"].email)
    await expect(agent.locator("#live-status")).to_have_attribute("data-state", "live")

    # The customer writes after the agent's inbox is open: it must appear without a reload.
    customer = await browser.new_page()
    await customer.goto(customer_url)
    await customer.fill("#customer-text", "Hola, ¿dónde está mi pedido #45821?")
    await customer.press("#customer-text", "Enter")
    item = agent.locator(".conv-item", has_text="Maria")
    await expect(item).to_be_visible(timeout=10_000)
    await expect(item).to_contain_text("dónde está mi pedido")

    await item.click()
    await expect(agent.locator(".msg.inbound")).to_contain_text("¿dónde está mi pedido #45821?")
    await expect(agent.locator(".msg.inbound .msg-flags")).to_contain_text("not translated")

    await agent.fill("#reply-text", "Hola Maria, su pedido sale hoy.")
    await agent.press("#reply-text", "Control+Enter")
    outbound = agent.locator(".msg.outbound", has_text="su pedido sale hoy")
    await expect(outbound).to_be_visible()
    # Live status updates: queued → sent → delivered → read (the customer page is open).
    await expect(outbound).to_have_attribute("data-status", "read", timeout=15_000)
    await expect(outbound.locator(".msg-status")).to_have_text(
        "已读"
    )  # the supervisor reads Chinese

    await expect(customer.locator(".bubble", has_text="su pedido sale hoy")).to_be_visible(
        timeout=10_000
    )
    bubbles = await customer.locator(".bubble").all_inner_texts()
    assert bubbles == ["Hola, ¿dónde está mi pedido #45821?", "Hola Maria, su pedido sale hoy."]

    # A supervisor can resolve and reopen.
    await agent.click("#resolve")
    await expect(agent.locator("#reopen")).to_be_visible()
    await agent.click("#reopen")
    await expect(agent.locator("#resolve")).to_be_visible()


async def test_masked_phone_revealed_with_reason_and_blocked_reply(
    live_server: tuple[str, DemoWorld], browser: Browser
) -> None:
    base, world = live_server
    customer = await browser.new_page()
    await customer.goto(f"{base}/sandbox/{world.account_a.external_id}/pedro?name=Pedro")
    await customer.fill("#customer-text", "Mi teléfono es +34 612 345 678, llámame")
    await customer.press("#customer-text", "Enter")

    agent = await browser.new_page()
    await _log_in(agent, base, world.users["supervisor"].email)
    await expect(agent.locator("#live-status")).to_have_attribute("data-state", "live")
    await agent.locator(".conv-item", has_text="Pedro").click()
    inbound = agent.locator(".msg.inbound")
    await expect(inbound).to_contain_text("Mi teléfono es +34")
    await agent.wait_for_load_state("networkidle")
    assert "612 345 678" not in await inbound.inner_text()  # masked for everyone by default

    await inbound.locator(".reveal summary").click()
    await inbound.locator("input[name=reason]").fill("courier needs to call the customer")
    await inbound.locator(".reveal-form button").click()
    await expect(inbound.locator(".revealed code")).to_have_text("+34 612 345 678")

    # The auditor sees who revealed what kind of data, and why (never the value).
    auditor = await browser.new_page()
    await _log_in(auditor, base, world.users["auditor"].email)
    await auditor.goto(f"{base}/ui/audit?action=pii.reveal")
    row = auditor.locator(".audit-table tbody tr", has_text="pii.reveal")
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text("courier needs to call the customer")
    assert "612 345 678" not in await auditor.locator(".audit-table").inner_text()

    # A reply that moves the customer to a private channel is refused, words highlighted.
    await agent.fill("#reply-text", "加我微信 wx123456 聊")
    await agent.press("#reply-text", "Control+Enter")
    alert = agent.locator(".composer .alert")
    await expect(alert).to_be_visible()
    await expect(alert.locator("mark.flag").first).to_be_visible()
    assert await agent.locator(".msg.outbound").count() == 0


async def test_quick_reply_inserted_with_slash_and_note_stays_internal(
    live_server: tuple[str, DemoWorld], browser: Browser
) -> None:
    import httpx

    base, world = live_server
    async with httpx.AsyncClient(base_url=base) as api:
        saved = await api.put(
            "/api/v1/quick-replies/envio",
            json={"text": "Hola {customer_name}, su pedido sale hoy."},
            headers={"Authorization": f"Bearer {world.tokens['supervisor']}"},
        )
        assert saved.status_code == 200
    customer = await browser.new_page()
    await customer.goto(f"{base}/sandbox/{world.account_a.external_id}/rosa?name=Rosa")
    await customer.fill("#customer-text", "Buenas, ¿cuándo envían mi pedido?")
    await customer.press("#customer-text", "Enter")

    agent = await browser.new_page()
    await _log_in(agent, base, world.users["supervisor"].email)
    await agent.locator(".conv-item", has_text="Rosa").click()
    await agent.fill("#reply-text", "")
    await agent.type("#reply-text", "/env")
    await agent.locator(".qr-item", has_text="/envio").click()
    await expect(agent.locator("#reply-text")).to_have_value("Hola Rosa, su pedido sale hoy.")

    await agent.click("#add-note")  # the same text, as a private note first
    await expect(agent.locator(".msg.note")).to_contain_text("su pedido sale hoy")
    await agent.fill("#reply-text", "Hola Rosa, su pedido sale hoy.")
    await agent.press("#reply-text", "Control+Enter")
    await expect(customer.locator(".bubble", has_text="sale hoy")).to_have_count(1, timeout=10_000)
    await agent.wait_for_timeout(1500)
    assert await customer.locator(".bubble", has_text="sale hoy").count() == 1  # not the note
