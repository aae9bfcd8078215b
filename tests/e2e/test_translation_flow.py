"""Real offline translation in a real browser: Apertium through APy, both directions."""

import asyncio
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect
from tests.e2e.test_browser import _free_port, _log_in, _Server, browser  # noqa: F401
from tests.factories import DemoWorld, build_world

from crossdesk.config import Settings
from crossdesk.db.migrate import upgrade
from crossdesk.demo.apertium import ApertiumSidecar
from crossdesk.services import build_services
from crossdesk.web.app import create_app

pytestmark = pytest.mark.e2e


@pytest.fixture
def apertium_server(tmp_path: Path) -> Iterator[tuple[str, DemoWorld]]:
    sidecar = ApertiumSidecar()
    if not sidecar.start():
        pytest.fail("Apertium (apertium-apy) is required: run scripts/apertium-setup")
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
    server = _Server(create_app(settings, translation=sidecar.translation_config()), port)
    server.start()
    deadline = time.monotonic() + 20
    while not server.server.started:
        if time.monotonic() > deadline:
            pytest.fail("the server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", world
    server.server.should_exit = True
    server.join(10)
    sidecar.stop()


async def test_spanish_customer_english_agent_both_ways(
    apertium_server: tuple[str, DemoWorld],
    browser: Browser,  # noqa: F811
) -> None:
    base, world = apertium_server
    customer = await browser.new_page()
    await customer.goto(f"{base}/sandbox/{world.account_b.external_id}/lucia?name=Lucia")
    await customer.fill("#customer-text", "Hola, tengo una pregunta sobre mi pedido")
    await customer.press("#customer-text", "Enter")

    agent = await browser.new_page()  # agent_b reads English and works team B's account
    await _log_in(agent, base, world.users["agent_b"].email)
    await agent.click("a.tab:has-text('Unassigned')")
    await agent.locator(".conv-item", has_text="Lucia").click()
    await agent.click("#assign-me")
    await expect(agent.locator(".conv-header")).to_contain_text("agent_b")

    # Now that an English reader owns it, the next message arrives translated by Apertium.
    await customer.fill("#customer-text", "¿Cuándo llega el paquete a Madrid?")
    await customer.press("#customer-text", "Enter")
    translated = agent.locator(".msg.inbound", has_text="Madrid").last
    await expect(translated).to_contain_text("translated by apertium", timeout=15_000)
    primary = await translated.locator(".primary-text").inner_text()
    original = await translated.locator(".original").inner_text()
    assert original == "¿Cuándo llega el paquete a Madrid?"
    assert "Madrid" in primary and primary != original and "When" in primary

    # The reply: previewed in Spanish, checked by back-translation, sent in Spanish.
    await agent.fill("#reply-text", "Your package arrives tomorrow")
    preview = agent.locator("#preview .customer-version")
    await expect(preview).to_contain_text("mañana", timeout=10_000)
    await agent.click("#check-meaning")
    # Apertium is gist quality ("Your container arrives morning"): the agent sees it.
    await expect(agent.locator("#preview .back-translation")).to_contain_text("arrives")
    await agent.press("#reply-text", "Control+Enter")
    await expect(customer.locator(".bubble", has_text="mañana")).to_be_visible(timeout=15_000)

    # A reply that cannot be translated to Spanish is held back, not leaked.
    await agent.fill("#reply-text", "您好，我们明天发货")
    await agent.press("#reply-text", "Control+Enter")
    await expect(agent.locator(".composer .alert")).to_contain_text("could not be translated")
    assert await customer.locator(".bubble", has_text="明天").count() == 0
