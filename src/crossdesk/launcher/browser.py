"""One account, one browser: a fresh profile directory, its own Chromium process, its proxy.

Chromium runs through Playwright with the system browser (``executable_path``), never a
downloaded one. The profile directory is made private (0700) for this run only and wiped
afterwards; Chromium locks it while open, so two browsers never share one profile.
"""

import asyncio
import contextlib
import logging
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast
from urllib.parse import unquote, urlsplit

from playwright.async_api import BrowserContext, Page, ProxySettings, async_playwright
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import StorageState as PlaywrightState

from crossdesk.errors import InvalidInput
from crossdesk.launcher.client import StorageState

logger = logging.getLogger(__name__)

DEFAULT_CHROMIUM = "/usr/bin/chromium"
QUIET_ARGS = ("--disable-background-networking", "--disable-component-update")
# Scripted use: called with the first page once it has loaded; the browser closes after.
PageScript = Callable[[Page], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class BrowserOptions:
    executable: str = DEFAULT_CHROMIUM
    headless: bool = False
    args: tuple[str, ...] = QUIET_ARGS
    # The state is also saved every so often, so a browser that dies still checks in.
    snapshot_seconds: float = 30.0
    # Capture: how long to let the logged-in page finish writing its storage.
    settle_seconds: float = 2.0
    profile_root: Path | None = None


@dataclass
class BrowserRun:
    """What happened: the last storage state taken (None if none could be)."""

    state: StorageState | None = None
    snapshots: int = 0
    profile_dir: Path | None = None
    errors: list[str] = field(default_factory=list)


def proxy_settings(proxy_url: str | None) -> ProxySettings | None:
    """``scheme://user:pass@host:port`` → Playwright's proxy (credentials apart)."""
    if not proxy_url:
        return None
    parts = urlsplit(proxy_url)
    if not parts.scheme or not parts.hostname:
        raise InvalidInput("the account's proxy URL is not scheme://host:port")
    server = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    settings = ProxySettings(server=server)
    if parts.username:
        settings["username"] = unquote(parts.username)
        settings["password"] = unquote(parts.password or "")
    return settings


@contextlib.contextmanager
def fresh_profile(account_id: str, root: Path | None = None) -> Iterator[Path]:
    """A new private profile directory, removed afterwards whatever happens."""
    path = Path(tempfile.mkdtemp(prefix=f"crossdesk-{account_id}-", dir=root))
    path.chmod(0o700)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


async def _snapshot(context: BrowserContext, run: BrowserRun) -> None:
    try:
        run.state = dict(await context.storage_state(indexed_db=True))
        run.snapshots += 1
    except PlaywrightError as exc:  # the browser is closing: keep the previous snapshot
        logger.debug("storage snapshot skipped: %s", exc.message)


@contextlib.asynccontextmanager
async def _context(
    profile: Path, options: BrowserOptions, proxy: ProxySettings | None
) -> AsyncIterator[BrowserContext]:
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            profile,
            executable_path=options.executable,
            headless=options.headless,
            args=list(options.args),
            proxy=proxy,
            no_viewport=not options.headless,
        )
        try:
            yield context
        finally:
            with contextlib.suppress(PlaywrightError):
                await context.close()


async def run_browser(
    account_id: str,
    *,
    state: StorageState | None,
    start_url: str | None,
    proxy_url: str | None,
    options: BrowserOptions,
    script: PageScript | None = None,
    done: Callable[[Page], Awaitable[bool]] | None = None,
) -> BrowserRun:
    """Open Chromium on a fresh profile holding ``state``; return the state at the end.

    Without ``script`` or ``done`` it runs until the person closes the window. ``done`` is
    polled on the page (capture: "is the person logged in yet?") until it holds or the
    window closes; ``script`` drives the page first (tests), and without ``done`` the
    browser closes when it returns.
    """
    run = BrowserRun()
    with fresh_profile(account_id, options.profile_root) as profile:
        run.profile_dir = profile
        async with _context(profile, options, proxy_settings(proxy_url)) as context:
            if state:
                # The server stored what Playwright exported: same shape, kept as plain JSON.
                await context.set_storage_state(cast(PlaywrightState, state))
            page = context.pages[0] if context.pages else await context.new_page()
            closed = asyncio.Event()
            context.on("close", lambda _: closed.set())
            # A window closed while others stay open: save what it did.
            context.on("page", lambda p: p.on("close", lambda _: _later(_snapshot(context, run))))
            page.on("close", lambda _: _later(_snapshot(context, run)))
            if start_url:
                await page.goto(start_url)
            await _snapshot(context, run)
            if script is not None:
                await script(page)
                if done is None:
                    await _snapshot(context, run)
                    return run
            while not closed.is_set():
                if done is not None and not page.is_closed() and await _safe(done(page)):
                    # Web apps write their login (localStorage, IndexedDB) after the page
                    # loads: let it settle before reading the state.
                    with contextlib.suppress(PlaywrightError):
                        await page.wait_for_load_state("networkidle")
                    await asyncio.sleep(options.settle_seconds)
                    await _snapshot(context, run)
                    return run
                with contextlib.suppress(TimeoutError):
                    interval = 0.5 if done is not None else options.snapshot_seconds
                    await asyncio.wait_for(closed.wait(), interval)
                if not closed.is_set() and not context.pages:
                    break  # every window closed; the browser is about to go
                if not closed.is_set() and done is None:
                    await _snapshot(context, run)
    return run


_pending: set[asyncio.Task[None]] = set()


def _later(coroutine: Awaitable[None]) -> None:
    """Run an event handler's coroutine without losing the task (or its exceptions)."""

    async def runner() -> None:
        await coroutine

    task = asyncio.ensure_future(runner())
    _pending.add(task)
    task.add_done_callback(_pending.discard)


async def _safe(check: Awaitable[bool]) -> bool:
    try:
        return await check
    except PlaywrightError:
        return False
