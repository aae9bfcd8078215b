"""`crossdesk account telegram-login`: the one-time login of a Telegram user account.

Asks for the code Telegram sends (and the two-step verification password if the account
has one) on the terminal, never as arguments; the resulting session goes sealed into the
vault, audited. After this, agents work the account with no password.
"""

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from crossdesk.errors import CrossdeskError

console = Console()
err = Console(stderr=True)


def login_command(
    account: Annotated[str, typer.Argument(help="Id of the Telegram user account.")],
    phone: Annotated[str, typer.Option(help="The account's phone number, e.g. +4915112345678.")],
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Data directory (default: CROSSDESK_DATA_DIR or ./data)."),
    ] = None,
) -> None:
    """Log a Telegram user account in once (code, then 2FA password if set)."""
    from crossdesk.cli.main import _settings

    settings = _settings(data_dir)
    try:
        telegram_user_id = asyncio.run(_login(settings, account, phone))
    except CrossdeskError as exc:
        err.print(f"[red]{exc.code}:[/red] {exc.message}")
        raise typer.Exit(1) from None
    console.print(f"logged in as Telegram user {telegram_user_id}; the session is in the vault")


async def _login(settings: object, account_id: str, phone: str) -> int:
    from crossdesk.actions.accounts import account_context
    from crossdesk.actions.telegram_login import save_session, telegram_user_account
    from crossdesk.channels.telegram_user.login import login
    from crossdesk.channels.telegram_user.settings import telegram_user_settings
    from crossdesk.db.session import transaction
    from crossdesk.risk import audit
    from crossdesk.services import build_services

    services = build_services(settings)  # type: ignore[arg-type]
    try:
        async with services.read_sessionmaker() as session:
            account = await telegram_user_account(session, account_id)
            account_settings = telegram_user_settings(
                await account_context(services, session, account)
            )

        async def ask_code() -> str:
            return await asyncio.to_thread(typer.prompt, "Code from Telegram")

        async def ask_password() -> str:
            return await asyncio.to_thread(
                typer.prompt, "Two-step verification password", hide_input=True
            )

        session_string, telegram_user_id = await login(
            account_settings, phone, ask_code, ask_password, on_step=console.print
        )
        async with transaction(services.sessionmaker) as session:
            await save_session(
                services, session, account_id, session_string, telegram_user_id, audit.SYSTEM
            )
        return telegram_user_id
    finally:
        await services.close()
