"""In a real Chromium: label a conversation and filter the inbox by the label; merge two
contacts from the profile page and see both identities. No CSP or script errors."""

import re

import httpx
import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, Response, expect
from tests.e2e.test_browser import _log_in, browser, live_server  # noqa: F401  # fixtures
from tests.factories import DemoWorld

pytestmark = pytest.mark.e2e


def _watch(page: Page) -> list[str]:
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "Failed to load resource" not in message.text:
            problems.append(message.text)

    def on_response(response: Response) -> None:
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            problems.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    return problems


async def _customer_writes(
    chromium: Browser, base: str, external_id: str, who: str, text: str
) -> None:
    customer = await chromium.new_page()
    await customer.goto(f"{base}/sandbox/{external_id}/{who.lower()}?name={who}")
    await customer.fill("#customer-text", text)
    await customer.press("#customer-text", "Enter")
    await expect(customer.locator(".bubble", has_text=text)).to_be_visible()
    await customer.close()


async def test_label_a_conversation_and_filter_by_it(
    live_server: tuple[str, DemoWorld],  # noqa: F811  # the imported fixture
    browser: Browser,  # noqa: F811  # the imported fixture
) -> None:
    base, world = live_server
    async with httpx.AsyncClient(base_url=base) as api:
        created = await api.post(
            "/api/v1/labels",
            json={"name": "VIP", "colour": "red"},
            headers={"Authorization": f"Bearer {world.tokens['owner']}"},
        )
        assert created.status_code == 201
    external = world.account_a.external_id
    await _customer_writes(browser, base, external, "Maria", "Hola, quiero devolver algo")
    await _customer_writes(browser, base, external, "Pedro", "Buenas tardes")

    agent = await browser.new_page()
    problems = _watch(agent)
    await _log_in(agent, base, world.users["supervisor"].email)
    maria = agent.locator(".conv-item", has_text="Maria")
    await expect(maria).to_be_visible(timeout=10_000)
    await expect(agent.locator(".conv-item", has_text="Pedro")).to_be_visible()
    await maria.click()
    await expect(agent.locator("#conv-labels")).to_be_visible()
    await agent.select_option("#add-label", label="VIP")
    await expect(agent.locator("#conv-labels .label-chip.label-red")).to_have_text(
        re.compile("VIP")
    )

    await agent.select_option("#filter-label", label="VIP")
    await expect(agent).to_have_url(re.compile(r"label=[0-9a-f]{32}"))
    await expect(agent.locator(".conv-item")).to_have_count(1)
    await expect(agent.locator(".conv-item")).to_contain_text("Maria")
    await expect(agent.locator(".conv-item .label-chip")).to_have_text("VIP")
    # The filtered inbox is a link: reloading keeps the filter.
    await agent.reload()
    await expect(agent.locator(".conv-item")).to_have_count(1)

    # Saved as a view, listed in the sidebar.
    await agent.locator("#saved-views summary").click()
    await agent.fill("#save-view-name", "VIP customers")
    await agent.locator("#save-view-form button[type=submit]").click()
    await expect(agent.locator(".saved-view", has_text="VIP customers")).to_be_visible()
    await agent.click("#clear-filters")
    await expect(agent.locator(".conv-item")).to_have_count(2)
    await agent.locator(".saved-view a", has_text="VIP customers").click()
    await expect(agent.locator(".conv-item")).to_have_count(1)
    assert problems == []


async def test_merge_two_contacts_in_the_profile(
    live_server: tuple[str, DemoWorld],  # noqa: F811  # the imported fixture
    browser: Browser,  # noqa: F811  # the imported fixture
) -> None:
    base, world = live_server
    await _customer_writes(
        browser, base, world.account_a.external_id, "Lucia", "Hola, ¿tienen la talla M?"
    )
    await _customer_writes(browser, base, world.account_b.external_id, "Lu", "Soy Lucía otra vez")

    owner = await browser.new_page()
    problems = _watch(owner)
    await _log_in(owner, base, world.users["owner"].email)
    await owner.locator(".conv-item", has_text="Lucia").click()
    await owner.click("#contact-profile-link")
    await expect(owner).to_have_url(re.compile(r"/ui/contacts/[0-9a-f]{32}$"))
    identities = owner.locator(".identities .identity")
    await expect(identities).to_have_count(1)

    await owner.locator("#merge-box summary").click()
    await owner.fill("#merge-search", "Lu")
    candidate = owner.locator(".candidates li", has_text="Account acc-b")
    await expect(candidate).to_be_visible()
    await candidate.locator("button.merge-into").click()

    await expect(identities).to_have_count(2)
    await expect(owner.locator(".identities")).to_contain_text("Lucia")
    await expect(owner.locator(".identities")).to_contain_text("Account acc-b")
    await expect(owner.locator("#contact-conversations .identity")).to_have_count(2)
    await expect(owner.locator("#dup-lead")).to_contain_text("Account acc-b")
    assert problems == []
