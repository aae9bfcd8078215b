"""The health check of a Telegram user account: does the saved session still work?"""

import asyncio
from typing import Any

from telethon import errors

from crossdesk.channels.base import AccountContext
from crossdesk.channels.telegram_user.client import make_client
from crossdesk.channels.telegram_user.settings import telegram_user_settings
from crossdesk.errors import InvalidInput

PROBE_TIMEOUT = 20.0


async def probe_session(account: AccountContext) -> tuple[str, str]:
    """(health, detail): connected, auth_failed (log in again), unreachable or error."""
    try:
        settings = telegram_user_settings(account)
    except InvalidInput as exc:
        return "error", exc.message
    if settings.session is None:
        return "auth_failed", (
            "not logged in yet: run `crossdesk account telegram-login` "
            "or Log in on the accounts page"
        )
    telegram: Any = make_client(settings)
    try:
        await asyncio.wait_for(telegram.connect(), PROBE_TIMEOUT)
        me = await asyncio.wait_for(telegram.get_me(), PROBE_TIMEOUT)
        if me is None:
            return "auth_failed", "Telegram ended the saved session: log in again"
        return "connected", f"Telegram user {me.id}"
    except (errors.AuthKeyError, errors.UnauthorizedError):
        return "auth_failed", "Telegram ended the saved session: log in again"
    except errors.RPCError as exc:
        return "error", f"Telegram error {exc.code} {exc.message}"
    except (OSError, TimeoutError, ConnectionError) as exc:
        return "unreachable", f"could not reach Telegram: {type(exc).__name__}"
    finally:
        await telegram.disconnect()
