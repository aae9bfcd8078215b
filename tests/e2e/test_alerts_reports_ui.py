"""In a real Chromium: a blocked diversion attempt raises an alert that appears live on the
supervisor's alerts page, is acknowledged with a note, and is charted; the owner's reports
page shows its tables and the CSV downloads."""

import httpx
import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, Response, expect
from tests.e2e.test_browser import _log_in, browser, live_server  # noqa: F401  # fixtures
from tests.factories import DemoWorld, bearer

pytestmark = pytest.mark.e2e


def _watch(page: Page, problems: list[str]) -> None:
    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "Failed to load resource" not in message.text:
            problems.append(message.text)  # CSP refusals, script errors

    def on_response(response: Response) -> None:
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            problems.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)


async def test_alert_appears_live_is_acknowledged_and_reports_download(
    live_server: tuple[str, DemoWorld],  # noqa: F811  # the imported fixture
    browser: Browser,  # noqa: F811  # the imported fixture
) -> None:
    base, world = live_server
    problems: list[str] = []
    customer = await browser.new_page()
    await customer.goto(f"{base}/sandbox/{world.account_a.external_id}/lina?name=Lina")
    await customer.fill("#customer-text", "Hola, ¿me ayudas con mi pedido?")
    await customer.press("#customer-text", "Enter")

    supervisor = await browser.new_page()
    _watch(supervisor, problems)
    await _log_in(supervisor, base, world.users["supervisor"].email)
    await supervisor.click("#alerts-link")
    await expect(supervisor).to_have_url(f"{base}/ui/alerts")
    await expect(supervisor.locator("#alerts-live")).to_have_attribute("data-state", "live")
    await expect(supervisor.locator(".alert-row")).to_have_count(0)

    # An agent of the supervisor's team tries to move the customer to WeChat: refused.
    token = bearer(world.tokens["agent_a"])
    async with httpx.AsyncClient(base_url=base, headers=token) as api:
        for _ in range(50):
            listed = (await api.get("/api/v1/conversations?view=unassigned")).json()
            if listed:
                break
            await supervisor.wait_for_timeout(100)
        conversation = listed[0]["id"]
        blocked = await api.post(
            f"/api/v1/conversations/{conversation}/messages",
            json={"text": "加我微信 wx123456 聊"},
        )
        assert blocked.status_code == 422

    # It appears without a reload (worker → event stream → table refresh).
    row = supervisor.locator(".alert-row", has_text="guard.diversion")
    await expect(row).to_be_visible(timeout=15_000)
    await expect(row).to_have_attribute("data-status", "open")
    await row.locator("textarea[name=note]").fill("spoke with agent_a about WeChat")
    await row.locator(".ack-button").click()
    handled = supervisor.locator(".alert-row", has_text="guard.diversion")
    await expect(handled).to_have_attribute("data-status", "acknowledged")
    await expect(handled.locator(".ack-info")).to_contain_text("spoke with agent_a about WeChat")
    await expect(handled.locator(".ack-info")).to_contain_text("supervisor")

    # Charts are drawn on the server: one bar per day, the alert counted today.
    await supervisor.goto(f"{base}/ui/alerts?status=acknowledged")
    await expect(supervisor.locator("#alerts-per-day rect.bar")).to_have_count(30)
    await expect(supervisor.locator('#alerts-per-day rect.bar[data-value="1"]')).to_have_count(1)
    await expect(supervisor.locator("#chart-by-kind svg")).to_contain_text("guard.diversion")
    await expect(supervisor.locator("#chart-guard svg")).to_contain_text("diversion")
    await expect(supervisor.locator(".alert-row")).to_have_count(1)

    # The owner's reports: tables, charts, and a CSV download.
    owner = await browser.new_page()
    _watch(owner, problems)
    await _log_in(owner, base, world.users["owner"].email)
    await owner.click("#reports-link")
    await expect(owner).to_have_url(f"{base}/ui/reports")
    agents = owner.locator("#agents-report tbody tr")
    await expect(agents.first).to_be_visible()
    await expect(owner.locator("#leads-total")).to_have_text("1")
    await expect(owner.locator("#volume-chart polyline")).to_have_count(2)
    await expect(owner.locator("#leads-chart rect.bar")).to_have_count(7)
    async with owner.expect_download() as waiting:
        await owner.click("#export-leads")
    download = await waiting.value
    path = await download.path()
    content = path.read_text(encoding="utf-8")
    assert content.startswith("day,platform,account_id,account,agent_id,agent,new_leads")
    assert content.count("\n") == 2  # header and Lina's row
    assert problems == []
