"""The auditor in a real Chromium: top-bar link, chart, filters, no CSP violations."""

import pytest
from playwright.async_api import Browser, ConsoleMessage, Response, expect
from tests.e2e.test_browser import _log_in, browser, live_server  # noqa: F401  # fixtures
from tests.factories import DemoWorld

pytestmark = pytest.mark.e2e


async def test_auditor_reads_and_filters_the_audit_log(
    live_server: tuple[str, DemoWorld],  # noqa: F811  # the imported fixture
    browser: Browser,  # noqa: F811  # the imported fixture
) -> None:
    base, world = live_server
    page = await browser.new_page()
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "Failed to load resource" not in message.text:
            problems.append(message.text)  # CSP refusals, script errors

    def on_response(response: Response) -> None:
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            problems.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    await _log_in(page, base, world.users["auditor"].email)
    await page.click("#audit-link")
    await expect(page).to_have_url(f"{base}/ui/audit")
    await expect(page.locator("#audit-chart rect.bar").first).to_be_attached()
    # The login just made is the newest event, with the browser's address and agent.
    newest = page.locator(".audit-table tbody tr").first
    await expect(newest).to_have_attribute("data-action", "auth.login")
    await expect(newest).to_contain_text("127.0.0.1")

    await page.fill("input[name=action]", "team")
    await page.click(".audit-filters button[type=submit]")
    await expect(page.locator(".audit-table tbody tr")).to_have_count(2)
    await expect(page.locator('tr[data-action="team.create"]')).to_have_count(2)
    assert problems == []  # no CSP or script errors
