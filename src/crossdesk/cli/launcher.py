"""``crossdesk open ACCOUNT`` and ``crossdesk session capture ACCOUNT``: run on a person's own
computer, against the server, with their API token (CROSSDESK_TOKEN, or asked for).

Exit codes: 0 done; 1 refused or failed (the reason is printed, e.g. who holds the lease).
"""

import asyncio
import logging
from collections.abc import Coroutine
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from crossdesk.errors import CrossdeskError
from crossdesk.launcher.browser import DEFAULT_CHROMIUM, QUIET_ARGS, BrowserOptions

T = TypeVar("T")
console = Console()
err = Console(stderr=True)
session_app = typer.Typer(help="Browser sessions of accounts.", no_args_is_help=True)

Server = Annotated[
    str, typer.Option("--server", envvar="CROSSDESK_SERVER", help="The crossdesk server URL.")
]
Token = Annotated[
    str,
    typer.Option(
        "--token",
        envvar="CROSSDESK_TOKEN",
        prompt="API token",
        hide_input=True,
        help="Your API token (better: the CROSSDESK_TOKEN variable, out of shell history).",
    ),
]
Chromium = Annotated[
    str,
    typer.Option("--chromium", envvar="CROSSDESK_CHROMIUM", help="Path to Chromium."),
]
Headless = Annotated[bool, typer.Option(hidden=True, help="No window (automation only).")]
NoSandbox = Annotated[
    bool,
    typer.Option("--no-sandbox", help="Pass --no-sandbox to Chromium (containers as root)."),
]


def _options(chromium: str, headless: bool, no_sandbox: bool) -> BrowserOptions:
    args = (*QUIET_ARGS, "--no-sandbox") if no_sandbox else QUIET_ARGS
    return BrowserOptions(executable=chromium, headless=headless, args=args)


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(coroutine)
    except CrossdeskError as exc:
        err.print(f"[red]{exc.code}:[/red] {exc.message}")
        raise typer.Exit(1) from None


def open_command(
    account: Annotated[str, typer.Argument(help="Account id or name.")],
    server: Server,
    token: Token,
    url: Annotated[
        str | None, typer.Option(help="Page to open (default: the account's web_url).")
    ] = None,
    takeover: Annotated[
        bool, typer.Option(help="Take back your own lease after a crash (never another's).")
    ] = False,
    chromium: Chromium = DEFAULT_CHROMIUM,
    no_sandbox: NoSandbox = False,
    headless: Headless = False,
) -> None:
    """Open an account's session in its own Chromium window; close the window to check it in."""
    from crossdesk.launcher import OpenResult, SessionClient, open_account

    logging.basicConfig(level=logging.INFO, format="%(message)s")

    async def run() -> "OpenResult":
        async with SessionClient(server, token) as client:
            account_id = await client.resolve(account)
            console.print(f"opening {account}; close the window when you are done")
            return await open_account(
                client,
                account_id,
                _options(chromium, headless, no_sandbox),
                url=url,
                takeover=takeover,
            )

    result = _run(run())
    saved = "with the updated session" if result.saved else "keeping the stored session"
    console.print(f"[green]checked in[/green] {saved} (version {result.version})")


@session_app.command("capture")
def capture_command(
    account: Annotated[str, typer.Argument(help="Account id.")],
    server: Server,
    token: Token,
    url: Annotated[str, typer.Option(help="The platform's login page.")],
    done_url: Annotated[
        str | None,
        typer.Option(
            help="Glob of the URL that means 'logged in' (e.g. '*/inbox*'); "
            "without it, log in and close the window."
        ),
    ] = None,
    proxy: Annotated[
        str | None, typer.Option(help="Log in through the account's proxy (scheme://host:port).")
    ] = None,
    chromium: Chromium = DEFAULT_CHROMIUM,
    no_sandbox: NoSandbox = False,
    headless: Headless = False,
) -> None:
    """Admin's one-time login: a clean profile at the login page; the session goes to the vault."""
    from crossdesk.launcher import SessionClient, capture_account

    async def run() -> dict[str, object]:
        async with SessionClient(server, token) as client:
            console.print("log in by hand in the window that opens")
            return await capture_account(
                client,
                account,
                _options(chromium, headless, no_sandbox),
                url=url,
                done_url=done_url,
                proxy_url=proxy,
            )

    status = _run(run())
    console.print(f"[green]session saved in the vault[/green] (version {status.get('version')})")
