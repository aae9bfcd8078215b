"""Auto-assignment with capacity in a real Chromium, the notification bell, keyboard help,
and the UI switched to Chinese from the profile page."""

import pytest
from playwright.async_api import Browser, Page, expect
from playwright.async_api import TimeoutError as PlaywrightTimeoutError
from tests.e2e.test_browser import _log_in, browser, live_server  # noqa: F401  # fixtures
from tests.factories import PASSWORD, DemoWorld

pytestmark = pytest.mark.e2e


async def _log_in_to(page: Page, base: str, email: str, target: str) -> None:
    await page.goto(f"{base}/login?next={target}")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await expect(page.locator(".topbar")).to_be_visible()


async def _customer_writes(chromium: Browser, base: str, world: DemoWorld, who: str) -> Page:
    customer = await chromium.new_page()
    await customer.goto(f"{base}/sandbox/{world.account_a.external_id}/{who.lower()}?name={who}")
    await customer.fill("#customer-text", f"Hola, soy {who}")
    await customer.press("#customer-text", "Enter")
    await expect(customer.locator(".bubble", has_text=f"soy {who}")).to_be_visible()
    return customer


async def test_auto_assignment_respects_capacity_and_frees_on_resolve(
    live_server: tuple[str, DemoWorld],  # noqa: F811  # the imported fixture
    browser: Browser,  # noqa: F811  # the imported fixture
) -> None:
    base, world = live_server
    # The supervisor turns auto-assignment on for team A with capacity 1 (on the team page,
    # without opening the inbox: so the supervisor stays offline and takes nothing).
    supervisor = await browser.new_page()
    await _log_in_to(supervisor, base, world.users["supervisor"].email, "/ui/team")
    card = supervisor.locator(f"#team-{world.team_a}")
    await card.locator("input[name=auto_assign]").check()
    await card.locator("input[name=default_capacity]").fill("1")
    await card.locator(".policy-form button[type=submit]").click()
    card = supervisor.locator(f"#team-{world.team_a}")
    await expect(card.locator("input[name=auto_assign]")).to_be_checked()

    # The agent opens the inbox: the live stream makes them online.
    agent = await browser.new_page()
    await _log_in(agent, base, world.users["agent_a"].email)
    await expect(agent.locator("#live-status")).to_have_attribute("data-state", "live")
    await supervisor.reload()
    row = supervisor.locator(f"#team-{world.team_a} tr[data-user-id='{world.users['agent_a'].id}']")
    await expect(row.locator(".chip")).to_have_class("chip presence-online")

    # First new conversation: assigned to the agent at once, shown in "Mine", bell rings.
    await _customer_writes(browser, base, world, "Ana")
    mine = agent.locator("#conversation-list .conv-item")
    await expect(mine.filter(has_text="Ana")).to_be_visible(timeout=15_000)
    await expect(agent.locator("#bell-count")).to_have_text("1", timeout=10_000)

    # Second: the agent is full (capacity 1), so it waits in the unassigned queue.
    await _customer_writes(browser, base, world, "Bruno")
    await supervisor.reload()
    await expect(supervisor.locator(f"#team-{world.team_a} .queued")).to_have_text("1")
    await expect(mine.filter(has_text="Bruno")).to_have_count(0)

    # Resolving the first frees the capacity: the queued one comes to the agent.
    await mine.filter(has_text="Ana").click()
    await expect(agent.locator("#resolve")).to_be_visible()
    await agent.wait_for_load_state("networkidle")  # the pane and list refreshes settle
    await _press_until_requested(agent, "e", "/status")  # the resolve shortcut
    await expect(agent.locator("#reopen")).to_be_visible()
    await expect(mine.filter(has_text="Bruno")).to_be_visible(timeout=15_000)
    await supervisor.reload()
    await expect(supervisor.locator(f"#team-{world.team_a} .queued")).to_have_text("0")

    # The shortcuts overlay opens on "?".
    await agent.locator("body").click()
    await agent.keyboard.press("?")
    await expect(agent.locator("#help")).to_be_visible()
    await expect(agent.locator("#help")).to_contain_text("分配给我")  # agent_a reads Chinese


async def _press_until_requested(page: Page, key: str, url_suffix: str) -> None:
    """Press a shortcut until it sends its request.

    Under load a live refresh can swap the pane between the key press and the click it
    triggers (the click then lands on a detached button); a person would press again.
    """
    for _ in range(3):
        await page.evaluate("document.activeElement && document.activeElement.blur()")
        try:
            async with page.expect_response(lambda r: r.url.endswith(url_suffix), timeout=10_000):
                await page.keyboard.press(key)
            return
        except PlaywrightTimeoutError:
            continue
    raise AssertionError(f"pressing {key!r} never requested {url_suffix}")


async def test_profile_switches_the_ui_to_chinese(
    live_server: tuple[str, DemoWorld],  # noqa: F811  # the imported fixture
    browser: Browser,  # noqa: F811  # the imported fixture
) -> None:
    base, world = live_server
    page = await browser.new_page()
    await _log_in(page, base, world.users["agent_b"].email)  # English
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await page.click("#profile-link")
    await expect(page.locator("h2", has_text="Profile")).to_be_visible()
    await page.select_option("#profile-language", "zh-Hans")
    await page.click("#profile-save")
    await expect(page.locator("#profile-saved")).to_have_text("已保存。")
    await expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    await expect(page.locator("label", has_text="界面语言")).to_be_visible()
    await page.click(".brand")
    await expect(page.locator("#profile-link")).to_contain_text("客服")
    await page.locator("body").click()
    await page.keyboard.press("?")
    await expect(page.locator("#help h2")).to_have_text("快捷键")


# Stands in for a hidden tab and the browser's Notification API (granted), recording calls.
FAKE_NOTIFICATIONS = """
Object.defineProperty(document, "hidden", { get: function () { return true; } });
window.__shown = [];
window.Notification = function (title, options) { window.__shown.push([title, options.body]); };
window.Notification.permission = "granted";
window.Notification.requestPermission = function () { return Promise.resolve("granted"); };
"""


async def test_browser_notification_when_the_tab_is_hidden_and_allowed(
    live_server: tuple[str, DemoWorld],  # noqa: F811  # the imported fixture
    browser: Browser,  # noqa: F811  # the imported fixture
) -> None:
    import httpx

    base, world = live_server
    await _customer_writes(browser, base, world, "Carmen")
    context = await browser.new_context()
    await context.add_init_script(FAKE_NOTIFICATIONS)
    agent = await context.new_page()
    await _log_in_to(agent, base, world.users["agent_a"].email, "/ui/profile")
    await agent.check("#browser-notifications")
    await agent.click("#profile-save")
    await expect(agent.locator("#profile-saved")).to_be_visible()
    await agent.click(".brand")
    await expect(agent.locator("#live-status")).to_have_attribute("data-state", "live")
    await expect(agent.locator("#bell")).to_have_attribute("data-browser", "on")

    # A supervisor assigns Carmen's conversation to the agent (through the API).
    headers = {"Authorization": f"Bearer {world.tokens['supervisor']}"}
    async with httpx.AsyncClient(base_url=base, headers=headers) as api:
        [conversation] = (await api.get("/api/v1/conversations?view=unassigned")).json()
        assigned = await api.post(
            f"/api/v1/conversations/{conversation['id']}/assign",
            json={"assignee_id": world.users["agent_a"].id},
        )
        assert assigned.status_code == 200
    await expect(agent.locator("#bell-count")).to_have_text("1", timeout=10_000)
    shown = await agent.evaluate("window.__shown")
    assert shown == [["有会话分配给了你", "Hola, soy Carmen"]]  # agent_a reads Chinese
    await context.close()
