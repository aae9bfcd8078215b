"""Telegram user account adapter: sending as the logged-in account over MTProto.

There are no webhooks: a user account receives over its own MTProto connection, kept by the
Telegram user worker (``crossdesk.workers.telegram_user``). ``send`` opens the account's
saved session (its auth key is in the session string: no key exchange, no password), sends,
and disconnects; the HTTP client is unused (Telethon has its own connection, through the
account's proxy).

Telegram deduplicates ``messages.sendMessage`` by ``random_id``: ours is derived from the
outbox row's idempotency key, so a resend after a crash is refused with RANDOM_ID_DUPLICATE
instead of reaching the customer twice.

A reply with a file (``Attachment.local_path``, the stored bytes) is uploaded in parts
(``upload.saveFilePart``) and sent with ``messages.sendMedia``, the text as its caption: a
JPEG or PNG as a photo, anything else as a document with its file name. We call sendMedia
ourselves rather than Telethon's ``send_file`` so the same derived ``random_id`` protects it.
One file per reply (Telegram captions are at most 1024 characters).
"""

import asyncio
import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import httpx
from telethon import errors, utils
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
from crossdesk.domain import Attachment, ChannelKind, MessageStatus, OutboundMessage, Receipt
from crossdesk.domain.events import PLACEHOLDER_ID_PREFIX
from crossdesk.errors import InvalidInput, PermanentSendError, RetryableSendError, SignatureInvalid
from crossdesk.workers.attachments import DEFAULT_MAX_BYTES, sniff

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_UPLOAD_BYTES = DEFAULT_MAX_BYTES  # what we accept inbound is what we send
CONNECT_TIMEOUT = 20.0
PHOTO_TYPES = frozenset({"image/jpeg", "image/png"})  # what Telegram takes as a photo


def random_id(idempotency_key: str) -> int:
    """A signed 64-bit id, the same on every attempt of one outbox row."""
    return int.from_bytes(hashlib.sha256(idempotency_key.encode()).digest()[:8], "big", signed=True)


class TelegramUserAdapter:
    kind: ClassVar[ChannelKind] = ChannelKind.TELEGRAM_USER
    capabilities: ClassVar[Capabilities] = Capabilities(
        attachments=True, echoes=True, deduplicates_sends=True, max_text_length=MAX_TEXT
    )
    # Telegram takes files up to 2 GB; we keep to the size we accept inbound.
    outbound_media: ClassVar[Mapping[str, int]] = {
        kind: MAX_UPLOAD_BYTES for kind in ("image", "video", "audio", "document")
    }

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
                "the account is not logged in: run `crossdesk account telegram-login` "
                "or Log in on the accounts page",
                reason="auth",
            )
        upload = _upload_file(message)
        if upload is None and not message.text.strip():
            raise PermanentSendError("empty message", reason="invalid_message")
        if len(message.text) > (MAX_TEXT if upload is None else MAX_CAPTION):
            raise PermanentSendError("the reply is too long for Telegram", reason="text_too_long")
        try:
            user_id, access_hash = parse_peer_reference(message.recipient_id)
        except ValueError as exc:
            raise PermanentSendError(str(exc), reason="invalid_recipient") from None
        peer = types.InputPeerUser(user_id, access_hash)
        telegram = make_client(settings)
        try:
            await _connect(telegram)
            if upload is None:
                request: Any = functions.messages.SendMessageRequest(
                    peer=peer,
                    message=message.text,
                    random_id=random_id(message.idempotency_key),
                    reply_to=_reply_to(message.reply_to_platform_id),
                )
            else:
                request = functions.messages.SendMediaRequest(
                    peer=peer,
                    media=await _uploaded_media(telegram, *upload),
                    message=message.text,
                    random_id=random_id(message.idempotency_key),
                    reply_to=_reply_to(message.reply_to_platform_id),
                )
            result = await telegram(request)
        except errors.FloodWaitError as exc:
            raise RetryableSendError(
                f"Telegram asks to wait {exc.seconds} s", retry_after=float(exc.seconds)
            ) from None
        except errors.RandomIdDuplicateError:
            # Already delivered by an earlier attempt whose answer we lost.
            return Receipt(
                platform_message_id=f"{PLACEHOLDER_ID_PREFIX}{random_id(message.idempotency_key)}"
            )
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


def _upload_file(message: OutboundMessage) -> tuple[Attachment, Path, str] | None:
    """The reply's file (its path and the type its bytes prove), checked before connecting."""
    if not message.attachments:
        return None
    if len(message.attachments) > 1:
        raise PermanentSendError(
            "Telegram user accounts send one file per reply", reason="unsupported"
        )
    attachment = message.attachments[0]
    if not attachment.local_path:
        raise PermanentSendError("the attachment has no stored file", reason="attachment_missing")
    path = Path(attachment.local_path)
    try:
        size = os.stat(path).st_size
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError:
        raise PermanentSendError(
            "the attachment's stored file is missing", reason="attachment_missing"
        ) from None
    if size == 0:
        raise PermanentSendError("the attachment is empty", reason="attachment_missing")
    if size > MAX_UPLOAD_BYTES:
        raise PermanentSendError(
            f"the file has {size} bytes; the limit is {MAX_UPLOAD_BYTES}", reason="too_big"
        )
    content_type = sniff(head) or attachment.content_type or "application/octet-stream"
    return attachment, path, content_type


async def _uploaded_media(
    telegram: Any, attachment: Attachment, path: Path, content_type: str
) -> Any:
    """Upload the file in parts; a photo when Telegram takes it as one, else a document."""
    name = attachment.filename or path.name
    uploaded = await telegram.upload_file(str(path), file_name=name)
    if content_type in PHOTO_TYPES and attachment.kind == "image":
        return types.InputMediaUploadedPhoto(file=uploaded)
    attributes, mime_type = utils.get_attributes(
        str(path), mime_type=content_type, force_document=True
    )
    attributes = [a for a in attributes if not isinstance(a, types.DocumentAttributeFilename)]
    attributes.append(types.DocumentAttributeFilename(name))
    return types.InputMediaUploadedDocument(
        file=uploaded, mime_type=mime_type, attributes=attributes, force_file=True
    )


async def _connect(telegram: Any) -> None:
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
