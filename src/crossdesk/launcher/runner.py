"""``open`` and ``capture``: the launcher's two jobs, tying the API client to the browser.

open:    checkout (leased, audited) → fresh profile with the state → Chromium with the
         account's proxy → lease renewed while open → check the new state back in → wipe.
capture: fresh empty profile at the login page → the admin logs in by hand → when the page
         says so (``done_url``) or the window closes, the state is stored in the vault.
"""

import asyncio
import contextlib
import fnmatch
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from playwright.async_api import Page

from crossdesk.errors import Conflict, InvalidInput
from crossdesk.launcher.browser import BrowserOptions, PageScript, run_browser
from crossdesk.launcher.client import Lease, SessionClient

logger = logging.getLogger(__name__)

RENEW_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class OpenResult:
    account_id: str
    saved: bool  # the updated state was checked in
    version: int  # the stored version after check-in
    snapshots: int


@contextlib.asynccontextmanager
async def _renewing(client: SessionClient, lease: Lease, every: float) -> AsyncIterator[None]:
    """Keep the lease alive while the browser is open."""

    async def loop() -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await client.renew(lease)
            except Conflict:
                logger.warning("account %s: the lease was ended elsewhere", lease.account_id)
                return

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def open_account(
    client: SessionClient,
    account_id: str,
    options: BrowserOptions,
    *,
    url: str | None = None,
    takeover: bool = False,
    script: PageScript | None = None,
    renew_seconds: float = RENEW_SECONDS,
) -> OpenResult:
    """Check out, browse, check in. The lease is always returned, even if Chromium fails:
    with the new state when one was taken, otherwise keeping the stored one."""
    lease = await client.checkout(account_id, takeover=takeover)
    start_url = url or lease.start_url
    logger.info("account %s: session version %d checked out", account_id, lease.version)
    state = None
    snapshots = 0
    try:
        async with _renewing(client, lease, renew_seconds):
            run = await run_browser(
                account_id,
                state=lease.state,
                start_url=start_url,
                proxy_url=lease.proxy_url,
                options=options,
                script=script,
            )
        state, snapshots = run.state, run.snapshots
    finally:
        # Shielded: Ctrl-C while the browser is open still returns the lease.
        result = await asyncio.shield(client.checkin(lease, state))
    logger.info("account %s: checked in (version %s)", account_id, result.get("version"))
    return OpenResult(account_id, state is not None, int(result["version"]), snapshots)


PageCheck = Callable[[Page], Awaitable[bool]]


def url_matches(done_url: str) -> PageCheck:
    """A glob on the page URL (``*/inbox*``)."""

    async def check(page: Page) -> bool:
        return fnmatch.fnmatch(page.url, done_url)

    return check


async def capture_account(
    client: SessionClient,
    account_id: str,
    options: BrowserOptions,
    *,
    url: str,
    done_url: str | None = None,
    proxy_url: str | None = None,
    script: PageScript | None = None,
) -> dict[str, object]:
    """Open a clean profile at ``url``; store the session once logged in. Returns the
    server's session status (version, ...)."""
    if not url:
        raise InvalidInput("give the platform's login URL (--url)")
    run = await run_browser(
        account_id,
        state=None,
        start_url=url,
        proxy_url=proxy_url,
        options=options,
        script=script,
        done=url_matches(done_url) if done_url else None,
    )
    if run.state is None:
        raise InvalidInput("the browser closed before any session could be read; nothing saved")
    return await client.capture(account_id, run.state)
