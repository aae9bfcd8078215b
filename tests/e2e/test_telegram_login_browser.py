"""The admin adds a Telegram user account and logs it in from the accounts page, in a real
Chromium against the local fake MTProto server: phone → code (a wrong one first) → two-step
verification password → logged in. No CSP or script errors; no secret on any page."""

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, Response, expect
from tests.e2e.test_browser import _log_in, browser, live_server  # noqa: F401  # fixtures
from tests.factories import DemoWorld
from tests.fakes.platforms.mtproto import FakeMTProto

pytestmark = pytest.mark.e2e

PHONE = "+15550009876"
CODE = "24680"
PASSWORD_2FA = "correct horse battery"
API_HASH = "0123456789abcdef0123456789abcdef"


@pytest.fixture
async def fake() -> AsyncIterator[FakeMTProto]:
    # Served by this test's event loop while the browser and the server work.
    async with FakeMTProto() as server:
        server.add_account(PHONE, CODE, password=PASSWORD_2FA)
        yield server


def _watch(page: Page) -> list[str]:
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "Failed to load resource" not in message.text:
            problems.append(message.text)

    def on_response(response: Response) -> None:
        # The wrong code is answered 400 on purpose; anything else is a problem.
        expected = response.status == 400 and response.url.endswith("/telegram-login/code")
        if response.status >= 400 and not expected and not response.url.endswith("/favicon.ico"):
            problems.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    return problems


async def test_admin_adds_a_telegram_user_account_and_logs_it_in_with_code_and_password(
    live_server: tuple[str, DemoWorld],  # noqa: F811  # the imported fixture
    browser: Browser,  # noqa: F811  # the imported fixture
    fake: FakeMTProto,
) -> None:
    base, world = live_server
    page = await browser.new_page()
    page.set_default_timeout(15_000)
    problems = _watch(page)
    await _log_in(page, base, world.users["owner"].email)
    await page.goto(f"{base}/ui/accounts")

    form = page.locator("#add-telegram_user")
    await form.locator("summary").click()
    await form.locator("input[name=name]").fill("Shop Telegram")
    await form.locator("input[name=external_id]").fill(PHONE)
    await form.locator("select[name=team_id]").select_option(label="A")
    await form.locator("input[name=secret_api_hash]").fill(API_HASH)
    await form.locator("input[name=config_api_id]").fill("12345")
    await form.locator("input[name=config_dc_host]").fill("127.0.0.1")
    await form.locator("input[name=config_dc_port]").fill(str(fake.port))
    await form.locator("input[name=config_dc_id]").fill("2")
    await form.locator("button[type=submit]").click()

    row = page.locator('tr[data-kind="telegram_user"]')
    await expect(row).to_contain_text("Shop Telegram")
    session_state = page.locator(".telegram-session")
    await expect(session_state).to_have_attribute("data-logged-in", "false")
    await page.locator("a.telegram-login").click()

    main = page.locator("main.telegram-login")
    await expect(main).to_have_attribute("data-step", "phone")
    await expect(page.locator("input[name=phone]")).to_have_value(PHONE)
    await page.locator(".telegram-phone-form button[type=submit]").click()

    await expect(main).to_have_attribute("data-step", "code")
    await expect(page.locator("#code-sent")).to_contain_text("+15•••••••76")
    await page.locator("input[name=code]").fill("11111")
    await page.locator(".telegram-code-form button[type=submit]").click()
    await expect(page.locator("#login-error")).to_contain_text("the code is wrong")
    await expect(main).to_have_attribute("data-step", "code")
    await page.locator("input[name=code]").fill(CODE)
    await page.locator(".telegram-code-form button[type=submit]").click()

    await expect(main).to_have_attribute("data-step", "password")
    await page.locator("input[name=password]").fill(PASSWORD_2FA)
    await page.locator(".telegram-password-form button[type=submit]").click()

    await expect(page.locator("#telegram-logged-in")).to_be_visible()
    await expect(session_state).to_have_attribute("data-logged-in", "true")
    await expect(page.locator("a.telegram-login")).to_have_text("Log in again")
    content = await page.content()
    assert API_HASH not in content and PASSWORD_2FA not in content
    assert fake._phone_hash[PHONE.lstrip("+")] not in content
    assert fake.requests.count("CheckPasswordRequest") == 1
    assert problems == []
