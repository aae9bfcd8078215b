"""Telegram user account adapter: sending as the logged-in account over MTProto.

There are no webhooks: a user account receives over its own MTProto connection, kept by the
Telegram user worker (``crossdesk.workers.telegram_user``). ``send`` opens the account's
saved session (its auth key is in the session string: no key exchange, no password), sends,
and disconnects; the HTTP client is unused (Telethon has its own connection, through the
account's proxy).

Telegram deduplicates ``messages.sendMessage`` by ``random_id``: ours is derived from the
outbox row's idempotency key, so a resend after a crash is refused with RANDOM_ID_DUPLICATE
instead of reaching the customer twice.
"""

import hashlib
from typing import Any, ClassVar

import httpx
from telethon import errors
from telethon.tl import functions, types

from crossdesk.channels.base import (
    AccountContext,
    Capabilities,
    HandshakeReply,
    ParsedEvent,
    WebhookRequest,
)
from crossdesk.channels.telegram_user.client import make_client, parse_peer_reference
from crossdesk.channels.telegram_user.settings import telegram_user_settings
from crossdesk.domain import ChannelKind, MessageStatus, OutboundMessage, Receipt
from crossdesk.errors import InvalidInput, PermanentSendError, RetryableSendError, SignatureInvalid

MAX_TEXT = 4096
CONNECT_TIMEOUT = 20.0


def random_id(idempotency_key: str) -> int:
    """A signed 64-bit id, the same on every attempt of one outbox row."""
    return int.from_bytes(hashlib.sha256(idempotency_key.encode()).digest()[:8], "big", signed=True)


class TelegramUserAdapter:
    kind: ClassVar[ChannelKind] = ChannelKind.TELEGRAM_USER
    capabilities: ClassVar[Capabilities] = Capabilities(
        echoes=True, deduplicates_sends=True, max_text_length=MAX_TEXT
    )

    def handshake(self, account: AccountContext, request: WebhookRequest) -> HandshakeReply | None:
        return None

    def verify(self, account: AccountContext, request: WebhookRequest) -> None:
        raise SignatureInvalid("Telegram user accounts receive over MTProto, not webhooks")

    def parse(self, account: AccountContext, request: WebhookRequest) -> list[ParsedEvent]:
        raise InvalidInput("Telegram user accounts receive over MTProto, not webhooks")

    async def send(
        self, client: httpx.AsyncClient, account: AccountContext, message: OutboundMessage
    ) -> Receipt:
        try:
            settings = telegram_user_settings(account)
        except InvalidInput as exc:
            raise PermanentSendError(exc.message, reason="config") from None
        if settings.session is None:
            raise PermanentSendError(
                "the account is not logged in: run `crossdesk account telegram-login`",
                reason="auth",
            )
        if message.attachments:
            raise PermanentSendError("attachments are not supported yet", reason="unsupported")
        if not message.text.strip():
            raise PermanentSendError("empty message", reason="invalid_message")
        if len(message.text) > MAX_TEXT:
            raise PermanentSendError("the reply is too long for Telegram", reason="text_too_long")
        try:
            user_id, access_hash = parse_peer_reference(message.recipient_id)
        except ValueError as exc:
            raise PermanentSendError(str(exc), reason="invalid_recipient") from None
        telegram = make_client(settings)
        try:
            await _connect(telegram)
            result = await telegram(
                functions.messages.SendMessageRequest(
                    peer=types.InputPeerUser(user_id, access_hash),
                    message=message.text,
                    random_id=random_id(message.idempotency_key),
                    reply_to=_reply_to(message.reply_to_platform_id),
                )
            )
        except errors.FloodWaitError as exc:
            raise RetryableSendError(
                f"Telegram asks to wait {exc.seconds} s", retry_after=float(exc.seconds)
            ) from None
        except errors.RandomIdDuplicateError:
            # Already delivered by an earlier attempt whose answer we lost.
            return Receipt(platform_message_id=f"random:{random_id(message.idempotency_key)}")
        except (errors.AuthKeyError, errors.UnauthorizedError) as exc:
            raise PermanentSendError(
                f"Telegram refused the saved session ({type(exc).__name__}): log in again",
                reason="auth",
            ) from None
        except errors.BadRequestError as exc:
            raise PermanentSendError(f"Telegram refused the message: {exc.message}") from None
        except errors.RPCError as exc:
            raise RetryableSendError(f"Telegram error {exc.code} {exc.message}") from None
        except (OSError, TimeoutError, ConnectionError) as exc:
            raise RetryableSendError(f"cannot reach Telegram: {type(exc).__name__}") from None
        finally:
            await telegram.disconnect()
        return Receipt(platform_message_id=_sent_id(result), status=MessageStatus.SENT)


async def _connect(telegram: Any) -> None:
    import asyncio

    await asyncio.wait_for(telegram.connect(), CONNECT_TIMEOUT)
    if not await telegram.is_user_authorized():
        raise errors.AuthKeyUnregisteredError(request=None)


def _reply_to(platform_id: str | None) -> Any:
    if platform_id is None or not platform_id.isdigit():
        return None
    return types.InputReplyToMessage(reply_to_msg_id=int(platform_id))


def _sent_id(result: Any) -> str:
    """The new message's id from UpdateShortSentMessage or Updates(updateMessageID ...)."""
    if isinstance(result, types.UpdateShortSentMessage):
        return str(result.id)
    for update in getattr(result, "updates", []):
        if isinstance(update, types.UpdateMessageID):
            return str(update.id)
    raise RetryableSendError("Telegram accepted the message without returning its id")
