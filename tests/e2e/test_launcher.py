"""The launcher with a real Chromium against a fake platform web app: capture once by hand,
then open in a brand-new profile and land logged in, without the password."""

import asyncio
import secrets
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import Page, expect
from tests.factories import DemoWorld, build_world
from tests.fakes.platforms.server import RunningServer
from tests.fakes.webapp.app import PASSWORD, USER, FakeWebApp
from typer.testing import CliRunner

from crossdesk.cli.main import app as cli
from crossdesk.config import Settings
from crossdesk.db.migrate import upgrade
from crossdesk.errors import Conflict
from crossdesk.launcher import BrowserOptions, SessionClient, capture_account, open_account
from crossdesk.launcher.browser import PageScript
from crossdesk.services import build_services
from crossdesk.web.app import create_app

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
)


@dataclass
class Live:
    base: str
    world: DemoWorld
    data_dir: Path
    fake: FakeWebApp
    fake_url: str
    options: BrowserOptions


class _Server(threading.Thread):
    def __init__(self, app: object) -> None:
        super().__init__(daemon=True)
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")  # type: ignore[arg-type]
        self.server = uvicorn.Server(config)

    def run(self) -> None:
        self.server.run()

    def url(self) -> str:
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline:
                pytest.fail("the crossdesk server did not start")
            time.sleep(0.05)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does)")
    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}",
        secret_key="e2e-" + secrets.token_hex(16),
        run_workers=False,
    )
    upgrade(settings.resolved_database_url)

    async def seed() -> DemoWorld:
        services = build_services(settings)
        try:
            return await build_world(services)
        finally:
            await services.close()

    world = asyncio.run(seed())
    server = _Server(create_app(settings))
    server.start()
    fake = FakeWebApp()
    fake_server = RunningServer(fake.app()).start()
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    options = BrowserOptions(executable=CHROMIUM, headless=True, args=ARGS, profile_root=profiles)
    yield Live(server.url(), world, tmp_path, fake, fake_server.base_url, options)
    fake_server.stop()
    server.server.should_exit = True
    server.join(10)


async def fill_login(page: Page) -> None:
    await page.fill("input[name=user]", USER)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")


def database_bytes(directory: Path) -> list[bytes]:
    return [path.read_bytes() for path in directory.glob("e2e.db*")]


def leftovers(directory: Path) -> list[Path]:
    return list(directory.iterdir())


@pytest.fixture
async def clients(live: Live) -> AsyncIterator[dict[str, SessionClient]]:
    made = {name: SessionClient(live.base, token) for name, token in live.world.tokens.items()}
    yield made
    for client in made.values():
        await client.close()


async def test_capture_once_then_open_lands_logged_in_in_a_new_profile(
    live: Live, clients: dict[str, SessionClient]
) -> None:
    account = live.world.account_a.id
    owner, agent = clients["owner"], clients["agent_a"]
    supervisor = clients["supervisor"]
    assert live.options.profile_root is not None

    # The admin's one-time login: the launcher waits until the page reaches the inbox.
    status = await capture_account(
        owner,
        account,
        live.options,
        url=f"{live.fake_url}/login",
        done_url="*/inbox*",
        script=fill_login,
    )
    assert status["version"] == 1 and live.fake.logins == 1
    (sid,) = live.fake.sessions

    async def work(page: Page) -> None:
        # A brand-new profile: cookie, localStorage and IndexedDB all came from the vault.
        await expect(page.locator("#status")).to_have_text(f"Logged in as {USER}")
        assert page.url.endswith("/inbox")
        with pytest.raises(Conflict, match="checked out by agent_a"):
            await supervisor.checkout(account)
        leased = await supervisor.status(account)
        assert leased["leased_to_name"] == "agent_a"

    result = await open_account(
        agent, account, live.options, url=f"{live.fake_url}/inbox", script=work
    )
    assert result.saved and result.version == 2
    assert live.fake.logins == 1  # nobody typed the password again
    assert leftovers(live.options.profile_root) == []  # profile wiped
    assert (await supervisor.status(account))["leased_to"] is None

    # The checked-in state opens again for the next person.
    async def again(page: Page) -> None:
        await expect(page.locator("#status")).to_have_text(f"Logged in as {USER}")

    await open_account(
        supervisor, account, live.options, url=f"{live.fake_url}/inbox", script=again
    )

    for content in database_bytes(live.data_dir):
        assert sid.encode() not in content
        assert live.fake.sessions[sid].encode() not in content


async def test_two_accounts_open_side_by_side_without_mixing(
    live: Live, clients: dict[str, SessionClient]
) -> None:
    owner = clients["owner"]
    accounts = [live.world.account_a.id, live.world.account_b.id]
    sids = []
    for account in accounts:
        await capture_account(
            owner,
            account,
            live.options,
            url=f"{live.fake_url}/login",
            done_url="*/inbox*",
            script=fill_login,
        )
        sids.append(list(live.fake.sessions)[-1])
    assert sids[0] != sids[1]
    seen: dict[str, str] = {}

    def checker(account: str) -> PageScript:
        async def check(page: Page) -> None:
            await expect(page.locator("#status")).to_have_text(f"Logged in as {USER}")
            cookies = await page.context.cookies()
            seen[account] = next(c["value"] for c in cookies if c["name"] == "sid")
            await asyncio.sleep(0.5)  # both browsers are open at the same time

        return check

    openers = [clients["agent_a"], clients["agent_b"]]
    await asyncio.gather(
        *(
            open_account(
                client, account, live.options, url=f"{live.fake_url}/inbox", script=checker(account)
            )
            for client, account in zip(openers, accounts, strict=True)
        )
    )
    assert seen == dict(zip(accounts, sids, strict=True))


def test_cli_open_is_refused_while_someone_holds_the_lease(live: Live) -> None:
    account = live.world.account_a.id

    async def lease_it() -> None:
        async with SessionClient(live.base, live.world.tokens["owner"]) as owner:
            await owner.capture(account, {"cookies": [], "origins": []})
        async with SessionClient(live.base, live.world.tokens["agent_a"]) as agent:
            await agent.checkout(account)

    asyncio.run(lease_it())
    result = CliRunner().invoke(
        cli,
        ["open", "Account acc-a", "--server", live.base, "--headless", "--no-sandbox"],
        env={"CROSSDESK_TOKEN": live.world.tokens["supervisor"]},
    )
    assert result.exit_code == 1, result.output
    assert "conflict" in result.output and "checked out by agent_a" in result.output
    assert live.world.tokens["supervisor"] not in result.output
