"""Search in a real Chromium: a sandbox customer's message is found by a word in it, and the
hit opens the conversation at that message; no CSP violations on the way."""

import pytest
from playwright.async_api import Browser, ConsoleMessage, expect
from tests.e2e.test_browser import _log_in, browser, live_server  # noqa: F401  # fixtures
from tests.factories import DemoWorld

pytestmark = pytest.mark.e2e


async def test_message_found_by_a_word_opens_the_conversation(
    live_server: tuple[str, DemoWorld],  # noqa: F811  # the imported fixture
    browser: Browser,  # noqa: F811  # the imported fixture
) -> None:
    base, world = live_server
    customer = await browser.new_page()
    await customer.goto(f"{base}/sandbox/{world.account_a.external_id}/lena?name=Lena")
    await customer.fill(
        "#customer-text", "The turquoise kettle leaks, call me on +49 151 2345 6789"
    )
    await customer.press("#customer-text", "Enter")
    await expect(customer.locator(".bubble")).to_have_count(1)
    await customer.fill("#customer-text", "我想申请退款")
    await customer.press("#customer-text", "Enter")
    await expect(customer.locator(".bubble")).to_have_count(2, timeout=10_000)

    agent = await browser.new_page()
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "Failed to load resource" not in message.text:
            problems.append(message.text)

    agent.on("console", on_console)
    await _log_in(agent, base, world.users["supervisor"].email)
    await expect(agent.locator(".conv-item", has_text="Lena")).to_be_visible(timeout=10_000)

    await agent.fill("#search-q", "turquoise")
    await agent.press("#search-q", "Enter")
    await expect(agent).to_have_url(f"{base}/ui/search?q=turquoise")
    hit = agent.locator(".message-hits .search-hit")
    await expect(hit).to_have_count(1)
    await expect(hit.locator("mark.hit")).to_have_text("turquoise")
    assert "2345 6789" not in await hit.inner_text()  # masked text only

    # A masked phone number is not searchable, and Chinese words are.
    await agent.fill("#search-q", "4915123456789")
    await agent.press("#search-q", "Enter")
    await expect(agent.locator("#no-hits")).to_be_visible()
    await agent.fill("#search-q", "退款")
    await agent.press("#search-q", "Enter")
    await expect(agent.locator(".message-hits mark.hit")).to_have_text("退款")

    await agent.fill("#search-q", "turquoise")
    await agent.press("#search-q", "Enter")
    message_id = await hit.get_attribute("data-message-id")
    await hit.click()
    target = agent.locator(f'#conversation .msg[data-message-id="{message_id}"]')
    await expect(target).to_be_visible(timeout=10_000)
    await expect(target).to_contain_text("turquoise kettle leaks")
    await expect(target).to_have_class("msg inbound search-focus")
    assert problems == []
