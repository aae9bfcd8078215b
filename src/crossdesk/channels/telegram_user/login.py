"""The one-time login of a Telegram user account: phone → code (→ 2FA password) → session.

The caller supplies the prompts (the CLI asks on the terminal). The code is asked again
after a wrong one, up to ``attempts`` times. The returned StringSession is the login itself:
store it sealed, never print or log it.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from telethon import errors

from crossdesk.channels.telegram_user.client import make_client
from crossdesk.channels.telegram_user.settings import TelegramUserSettings
from crossdesk.errors import InvalidInput

Prompt = Callable[[], Awaitable[str]]


class LoginRefused(InvalidInput):
    """Telegram refused the phone number, the code or the password."""


async def login(
    settings: TelegramUserSettings,
    phone: str,
    ask_code: Prompt,
    ask_password: Prompt,
    *,
    attempts: int = 3,
    on_step: Callable[[str], None] = lambda _: None,
) -> tuple[str, int]:
    """Log in; returns (session string, Telegram user id of the account)."""
    digits = phone.strip().replace(" ", "")
    if not digits.lstrip("+").isdigit() or len(digits.lstrip("+")) < 6:
        raise InvalidInput("phone must be in international format, e.g. +4915112345678")
    telegram: Any = make_client(settings, session="")
    try:
        on_step("connecting to Telegram")
        await telegram.connect()
        try:
            sent = await telegram.send_code_request(digits)
        except errors.PhoneNumberInvalidError:
            raise LoginRefused("Telegram does not know this phone number") from None
        except errors.FloodWaitError as exc:
            raise LoginRefused(f"Telegram asks to wait {exc.seconds} s before a new code") from None
        on_step("code sent (look in the Telegram app or SMS)")
        user = await _sign_in(
            telegram, digits, sent.phone_code_hash, ask_code, ask_password, attempts
        )
        return telegram.session.save(), int(user.id)
    finally:
        await telegram.disconnect()


async def _sign_in(
    telegram: Any,
    phone: str,
    code_hash: str,
    ask_code: Prompt,
    ask_password: Prompt,
    attempts: int,
) -> Any:
    for attempt in range(1, attempts + 1):
        code = (await ask_code()).strip()
        try:
            return await telegram.sign_in(phone, code, phone_code_hash=code_hash)
        except errors.PhoneCodeInvalidError:
            if attempt == attempts:
                raise LoginRefused("the code was wrong too many times") from None
        except errors.PhoneCodeExpiredError:
            raise LoginRefused("the code expired: start the login again") from None
        except errors.SessionPasswordNeededError:
            try:
                return await telegram.sign_in(password=await ask_password())
            except errors.PasswordHashInvalidError:
                raise LoginRefused("the two-step verification password is wrong") from None
    raise LoginRefused("no code was given")
