"""Telegram bot adapter.

Secrets: ``bot_token`` (from @BotFather), ``webhook_secret`` (the ``secret_token`` given to
``setWebhook``; checked on every webhook request).
Config: ``api_base_url`` (default ``https://api.telegram.org``; a fake in tests),
``poll_timeout`` (long-poll seconds for ``getUpdates``, default 25).
``external_id`` is the bot's numeric id. The caller passes an ``httpx.AsyncClient``
configured with the account's ``proxy_url``.

References:
    https://core.telegram.org/bots/api#getting-updates (webhook or getUpdates, not both)
    https://core.telegram.org/bots/api#sendmessage, #sendphoto, #senddocument, #sendvideo,
    #sendaudio, #replyparameters, #sending-files (a file agents send is uploaded as
    multipart/form-data: photos up to 10 MB, other files up to 50 MB)
"""

import logging
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx
from pydantic import TypeAdapter, ValidationError

from crossdesk.channels.base import (
    AccountContext,
    Capabilities,
    HandshakeReply,
    ParsedEvent,
    WebhookRequest,
)
from crossdesk.channels.decoding import decode_body
from crossdesk.channels.telegram_bot import api
from crossdesk.channels.telegram_bot.events import message_id, update_events
from crossdesk.channels.telegram_bot.payloads import SentMessage, Update
from crossdesk.channels.telegram_bot.signature import valid_secret, verify_secret_token
from crossdesk.domain import Attachment, ChannelKind, MessageStatus, OutboundMessage, Receipt
from crossdesk.errors import InvalidInput, PermanentSendError, RetryableSendError

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = ("message", "edited_message", "message_reaction")
MB = 1024 * 1024
MAX_CAPTION = 1024
_SEND_METHODS = {
    "image": ("sendPhoto", "photo"),
    "video": ("sendVideo", "video"),
    "audio": ("sendAudio", "audio"),
    "document": ("sendDocument", "document"),
    "sticker": ("sendSticker", "sticker"),
}
_UPDATES = TypeAdapter(list[dict[str, Any]])  # Any: each update is validated on its own


class TelegramBotAdapter:
    """One Telegram bot."""

    kind: ClassVar[ChannelKind] = ChannelKind.TELEGRAM_BOT
    capabilities: ClassVar[Capabilities] = Capabilities(
        attachments=True, edits=True, reactions=True, max_text_length=4096
    )
    outbound_media: ClassVar[Mapping[str, int]] = {
        "image": 10 * MB,
        "video": 50 * MB,
        "audio": 50 * MB,
        "document": 50 * MB,
    }

    def handshake(self, account: AccountContext, request: WebhookRequest) -> HandshakeReply | None:
        """Telegram has no subscription handshake."""
        return None

    def verify(self, account: AccountContext, request: WebhookRequest) -> None:
        """Check ``X-Telegram-Bot-Api-Secret-Token``."""
        verify_secret_token(account.secrets, request)

    def parse(self, account: AccountContext, request: WebhookRequest) -> list[ParsedEvent]:
        """A webhook request carries exactly one Update."""
        return update_events(decode_body(Update, request.body, "telegram_bot"))

    async def poll(
        self, client: httpx.AsyncClient, account: AccountContext, offset: int | None
    ) -> tuple[list[ParsedEvent], int | None]:
        """Long-poll ``getUpdates`` once; return the events and the next offset.

        Pass the returned offset to the next call: Telegram then forgets the updates
        before it, so store events before calling again. An update that does not parse is
        logged (by id only) and skipped rather than blocking the queue forever.
        Telegram refuses getUpdates while a webhook is set (409, ``reason="conflict"``).
        """
        timeout = int(account.config.get("poll_timeout", "25"))
        params: dict[str, Any] = {"timeout": timeout, "allowed_updates": list(ALLOWED_UPDATES)}
        if offset is not None:
            params["offset"] = offset
        result = await api.call(client, account, "getUpdates", params, long_poll=float(timeout))
        try:
            raw_updates = _UPDATES.validate_python(result)
        except ValidationError:
            raise RetryableSendError("getUpdates result is not a list of updates") from None
        events: list[ParsedEvent] = []
        next_offset = offset
        for raw in raw_updates:
            update_id = raw.get("update_id")
            if isinstance(update_id, int):
                next_offset = max(next_offset or 0, update_id + 1)
            try:
                update = Update.model_validate(raw)
            except ValidationError:
                logger.warning("skipping unparseable Telegram update %s", update_id)
                continue
            events.extend(update_events(update))
        return events, next_offset

    async def set_webhook(
        self, client: httpx.AsyncClient, account: AccountContext, url: str
    ) -> None:
        """Register ``url`` with the account's ``webhook_secret`` (setup, not per message)."""
        secret = account.secrets.get("webhook_secret", "")
        if not valid_secret(secret):
            raise InvalidInput("webhook_secret must be 1-256 characters of A-Z a-z 0-9 _ -")
        params = {"url": url, "secret_token": secret, "allowed_updates": list(ALLOWED_UPDATES)}
        await api.call(client, account, "setWebhook", params)

    async def send(
        self, client: httpx.AsyncClient, account: AccountContext, message: OutboundMessage
    ) -> Receipt:
        """sendMessage, or sendPhoto/sendVideo/sendAudio/sendDocument/sendSticker with the
        text as caption. Attachments are referenced by Telegram ``file_id`` or by URL, or
        uploaded from their stored file (``local_path``)."""
        method, params = _request(message)
        upload = _upload_field(message)
        if upload is not None:
            field, attachment = upload
            result = await api.call_upload(client, account, method, params, field, attachment)
        else:
            result = await api.call(client, account, method, params)
        try:
            sent = SentMessage.model_validate(result)
        except ValidationError:
            raise RetryableSendError(f"{method} reply has no message", outcome="unknown") from None
        return Receipt(
            platform_message_id=message_id(sent.chat.id, sent.message_id),
            status=MessageStatus.SENT,
        )


def _request(message: OutboundMessage) -> tuple[str, dict[str, Any]]:
    params: dict[str, Any] = {"chat_id": _chat_id(message.recipient_id)}
    if message.reply_to_platform_id:
        params["reply_parameters"] = {
            "message_id": _message_number(message.reply_to_platform_id),
            "allow_sending_without_reply": True,
        }
    if len(message.attachments) > 1:
        raise PermanentSendError("one attachment per message", reason="split_required")
    if message.attachments:
        method, field = _attachment_method(message.attachments[0])
        if _upload_field(message) is None:  # else the file goes as a multipart upload
            params[field] = _file_ref(message.attachments[0])
        if message.text:
            if field == "sticker":
                raise PermanentSendError("a sticker cannot carry text", reason="split_required")
            if len(message.text) > MAX_CAPTION:
                raise PermanentSendError(
                    "caption longer than 1024 characters", reason="text_too_long"
                )
            params["caption"] = message.text
        return method, params
    if not message.text:
        raise PermanentSendError("empty message", reason="invalid_message")
    if len(message.text) > TelegramBotAdapter.capabilities.max_text_length:
        raise PermanentSendError("text longer than 4096 characters", reason="text_too_long")
    params["text"] = message.text
    return "sendMessage", params


def _upload_field(message: OutboundMessage) -> tuple[str, Attachment] | None:
    """The multipart field and the stored file to upload, when the file is ours."""
    if len(message.attachments) != 1:
        return None
    item = message.attachments[0]
    if item.platform_file_id or not item.local_path:
        return None
    return _attachment_method(item)[1], item


def _attachment_method(attachment: Attachment) -> tuple[str, str]:
    try:
        return _SEND_METHODS[attachment.kind]
    except KeyError:
        raise PermanentSendError(
            f"cannot send a {attachment.kind} attachment", reason="unsupported"
        ) from None


def _file_ref(attachment: Attachment) -> str:
    ref = attachment.platform_file_id or attachment.url
    if not ref:
        raise PermanentSendError("attachment has neither file_id nor url", reason="invalid_message")
    return ref


def _chat_id(recipient: str) -> int | str:
    """Numeric chat ids as integers; ``@channelusername`` stays a string."""
    try:
        return int(recipient)
    except ValueError:
        return recipient


def _message_number(platform_id: str) -> int:
    """``"{chat_id}:{message_id}"`` (or a bare message id) → the message id."""
    try:
        return int(platform_id.rsplit(":", 1)[-1])
    except ValueError:
        raise PermanentSendError(
            "reply target is not a Telegram message id", reason="invalid_message"
        ) from None
