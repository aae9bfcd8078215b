"""The login of a Telegram user account, step by step: phone → code (→ 2FA password) → session.

Each step connects with the partially authorised session of the previous one, makes its one
request and disconnects, so the steps can run in different processes and requests: the CLI
runs them in a row (``login``), the accounts page runs one per form (its pending login is kept
sealed server-side between requests). What carries over between steps is a ``PendingLogin``:
the StringSession of the not yet authorised client (its auth key: Telegram ties the code to
it) and the ``phone_code_hash``. Both are credentials in the making: keep them sealed, never
in a cookie, a page or a log.

The returned StringSession is the login itself: store it sealed, never print or log it.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from telethon import errors

from crossdesk.channels.telegram_user.client import make_client
from crossdesk.channels.telegram_user.settings import TelegramUserSettings
from crossdesk.errors import InvalidInput

Prompt = Callable[[], Awaitable[str]]
T = TypeVar("T")
STEP_TIMEOUT = 30.0  # one connect + one or two requests; a web request must not hang
AUTH_KEY_BYTES = 256
KEY_ATTEMPTS = 4
CODE = "code"
PASSWORD = "password"  # noqa: S105  # the name of a step, not a password


class LoginRefused(InvalidInput):
    """Telegram refused the phone number, the code or the password."""


class CodeInvalid(LoginRefused):
    """A wrong code: the same pending login may try again."""


class CodeExpired(LoginRefused):
    """The code (or its phone_code_hash) expired: a new code must be sent."""


class PasswordInvalid(LoginRefused):
    """A wrong two-step verification password: the same pending login may try again."""


class TelegramUnreachable(LoginRefused):
    """No answer from Telegram (network, proxy, timeout); nothing was decided."""


@dataclass(frozen=True, slots=True)
class PendingLogin:
    """A login between steps: a code was sent (step ``code``) or the password is asked
    (step ``password``)."""

    session: str  # StringSession of the unauthorised client: a credential in the making
    phone: str  # normalised: "+" and digits
    phone_code_hash: str
    step: str = CODE

    def __repr__(self) -> str:  # the session and the hash must not reach logs
        return f"PendingLogin(phone={mask_phone(self.phone)}, step={self.step})"


@dataclass(frozen=True, slots=True)
class LoggedIn:
    session: str  # the login itself
    telegram_user_id: int

    def __repr__(self) -> str:
        return f"LoggedIn(telegram_user_id={self.telegram_user_id})"


def normalise_phone(phone: str) -> str:
    """ "+49 151 1234-5678" → "+4915112345678"; refuses anything else clearly."""
    digits = "".join(c for c in phone.strip() if c not in " -().")
    bare = digits.removeprefix("+")
    if not bare.isdigit() or not 6 <= len(bare) <= 15:
        raise InvalidInput(
            "the phone number must be in international format, e.g. +4915112345678",
            field="phone",
        )
    return "+" + bare


def mask_phone(phone: str) -> str:
    """A phone number for logs and audit details: country prefix and last two digits only
    ("+4915112345678" → "+49•••••••••78"); enough to tell accounts apart, not to call."""
    bare = "".join(c for c in phone if c.isdigit())
    if len(bare) < 6:
        return "•" * len(bare)
    return "+" + bare[:2] + "•" * (len(bare) - 4) + bare[-2:]


async def send_code(settings: TelegramUserSettings, phone: str) -> PendingLogin:
    """Step 1: ask Telegram to send a login code to the account's app (or SMS)."""
    number = normalise_phone(phone)
    telegram = await _new_auth_key(settings)
    try:
        try:
            sent = await _within(telegram.send_code_request(number))
        except errors.PhoneNumberInvalidError:
            raise LoginRefused("Telegram does not know this phone number", field="phone") from None
        except errors.PhoneNumberBannedError:
            raise LoginRefused("Telegram has banned this phone number", field="phone") from None
        except errors.FloodWaitError as exc:
            raise LoginRefused(
                f"Telegram asks to wait {exc.seconds} s before a new code", field="phone"
            ) from None
        except errors.ApiIdInvalidError:
            raise LoginRefused("Telegram refused the api_id and api_hash") from None
        except errors.RPCError as exc:
            raise _refused(exc) from None
        return PendingLogin(_saved(telegram), number, sent.phone_code_hash)
    finally:
        await telegram.disconnect()


async def submit_code(
    settings: TelegramUserSettings, pending: PendingLogin, code: str
) -> LoggedIn | PendingLogin:
    """Step 2: the code. Logged in, or the same login now at the ``password`` step (the
    account has two-step verification). Raises CodeInvalid (ask again) or CodeExpired."""
    given = "".join(code.split())
    if not given.isdigit() or not 4 <= len(given) <= 8:
        raise CodeInvalid("the code is the digits Telegram sent: check it and type it again")
    telegram: Any = make_client(settings, session=pending.session)
    try:
        await _within(telegram.connect())
        try:
            user = await _within(
                telegram.sign_in(pending.phone, given, phone_code_hash=pending.phone_code_hash)
            )
        except errors.PhoneCodeInvalidError:
            raise CodeInvalid("the code is wrong: check it and type it again") from None
        except (errors.PhoneCodeExpiredError, errors.PhoneCodeHashEmptyError):
            raise CodeExpired("the code expired: send a new code") from None
        except errors.SessionPasswordNeededError:
            return replace(pending, session=_saved(telegram), step=PASSWORD)
        except errors.PhoneNumberUnoccupiedError:
            raise LoginRefused("this phone number has no Telegram account yet") from None
        except errors.FloodWaitError as exc:
            raise LoginRefused(f"Telegram asks to wait {exc.seconds} s") from None
        except errors.RPCError as exc:
            raise _refused(exc) from None
        return LoggedIn(_saved(telegram), int(user.id))
    finally:
        await telegram.disconnect()


async def submit_password(
    settings: TelegramUserSettings, pending: PendingLogin, password: str
) -> LoggedIn:
    """Step 3: the two-step verification password, proven by SRP (it never leaves us in
    clear). Raises PasswordInvalid (ask again)."""
    if pending.step != PASSWORD:
        raise LoginRefused("this login does not need a password")
    if not password:
        raise PasswordInvalid("type the two-step verification password")
    telegram: Any = make_client(settings, session=pending.session)
    try:
        await _within(telegram.connect())
        try:
            user = await _within(telegram.sign_in(password=password))
        except errors.PasswordHashInvalidError:
            raise PasswordInvalid("the two-step verification password is wrong") from None
        except errors.FloodWaitError as exc:
            raise LoginRefused(f"Telegram asks to wait {exc.seconds} s") from None
        except (errors.AuthKeyError, errors.UnauthorizedError):
            # The half-done login is gone on Telegram's side (it ended or expired).
            raise CodeExpired("the login expired: send a new code") from None
        except errors.RPCError as exc:
            raise _refused(exc) from None
        return LoggedIn(_saved(telegram), int(user.id))
    finally:
        await telegram.disconnect()


async def login(
    settings: TelegramUserSettings,
    phone: str,
    ask_code: Prompt,
    ask_password: Prompt,
    *,
    attempts: int = 3,
    on_step: Callable[[str], None] = lambda _: None,
) -> tuple[str, int]:
    """All steps in a row (the CLI): the code is asked again after a wrong one, up to
    ``attempts`` times. Returns (session string, Telegram user id of the account)."""
    normalise_phone(phone)  # refused before anything goes to Telegram
    on_step("connecting to Telegram")
    pending = await send_code(settings, phone)
    on_step("code sent (look in the Telegram app or SMS)")
    for attempt in range(1, attempts + 1):
        try:
            result = await submit_code(settings, pending, await ask_code())
        except CodeInvalid:
            if attempt == attempts:
                raise LoginRefused("the code was wrong too many times") from None
            continue
        except CodeExpired:
            raise LoginRefused("the code expired: start the login again") from None
        if isinstance(result, PendingLogin):
            result = await submit_password(settings, result, await ask_password())
        return result.session, result.telegram_user_id
    raise LoginRefused("no code was given")


async def _new_auth_key(settings: TelegramUserSettings) -> Any:
    """A connected client with a fresh auth key that survives a StringSession round trip.

    Telethon keeps the key as the minimal big-endian bytes of g^ab, but StringSession stores
    it as 256 bytes (padding a shorter one at the end): a key whose top byte is zero (1 in
    256) would come back different, and Telegram would not know it at the next step. Such a
    key is thrown away and a new one negotiated.
    """
    for _ in range(KEY_ATTEMPTS):
        telegram: Any = make_client(settings, session="")
        try:
            await _within(telegram.connect())
        except BaseException:
            await telegram.disconnect()
            raise
        if len(telegram.session.auth_key.key) == AUTH_KEY_BYTES:
            return telegram
        await telegram.disconnect()
    raise TelegramUnreachable("could not agree on a key with Telegram: try again")


def _refused(exc: errors.RPCError) -> LoginRefused:
    """Any other refusal, named by Telegram's error (e.g. PHONE_NUMBER_FLOOD): no secret."""
    return LoginRefused(f"Telegram refused the login: {exc.message} ({exc.code})")


def _saved(telegram: Any) -> str:
    saved: str = telegram.session.save()
    return saved


async def _within(step: Awaitable[T]) -> T:
    """One network step with a deadline; network trouble becomes TelegramUnreachable."""
    try:
        return await asyncio.wait_for(step, STEP_TIMEOUT)
    except (OSError, TimeoutError, ConnectionError) as exc:
        raise TelegramUnreachable(f"could not reach Telegram: {type(exc).__name__}") from None
