"""Evolution API (v2) webhook events → crossdesk events and bridge session states.

- ``messages.upsert``: a chat message (text, extended text, image, document, audio, video
  with a caption); ``fromMe`` ones were sent from the phone itself (echoes). Media bytes are
  not in the webhook: the attachment's file id is the message id, fetched later through
  ``chat/getBase64FromMediaMessage`` (see media.py).
- ``messages.update``: the delivery status of one of our messages.
- ``connection.update`` / ``qrcode.updated``: the session state (handled by the bridge's
  Evolution webhook route, not stored as messages).
Group chats, status broadcasts and channels are not conversations here.
"""

from datetime import UTC, datetime
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from crossdesk.channels.base import ParsedEvent
from crossdesk.channels.decoding import describe_validation_error
from crossdesk.channels.whatsapp_bridge.evolution_payloads import (
    ConnectionData,
    EvolutionEnvelope,
    MediaContent,
    UpdateData,
    UpsertData,
)
from crossdesk.domain import Attachment, InboundEvent, MessageStatus, StatusEvent
from crossdesk.errors import InvalidInput

UPSERT = "messages.upsert"
UPDATE = "messages.update"
CONNECTION = "connection.update"
QRCODE = "qrcode.updated"
# What crossdesk subscribes to (``POST /webhook/set``: upper-case names).
WEBHOOK_EVENTS = ("MESSAGES_UPSERT", "MESSAGES_UPDATE", "CONNECTION_UPDATE", "QRCODE_UPDATED")

_STATUSES = {
    "ERROR": MessageStatus.FAILED,
    "SERVER_ACK": MessageStatus.SENT,
    "DELIVERY_ACK": MessageStatus.DELIVERED,
    "READ": MessageStatus.READ,
    "PLAYED": MessageStatus.READ,  # voice notes listened to
}
_NOT_CHATS = ("@g.us", "@broadcast", "@newsletter")
_MEDIA = (
    ("imageMessage", "image"),
    ("videoMessage", "video"),
    ("audioMessage", "audio"),
    ("documentMessage", "document"),
    ("stickerMessage", "sticker"),
)
LOGGED_OUT = 401  # Baileys' DisconnectReason.loggedOut


def normalized_event(name: str) -> str:
    """``MESSAGES_UPSERT`` and ``messages.upsert`` both name one event."""
    return name.strip().lower().replace("_", ".")


def envelope_events(envelope: EvolutionEnvelope) -> list[ParsedEvent]:
    event = normalized_event(envelope.event)
    if event == UPSERT:
        return _upsert(_validated(UpsertData, envelope))
    if event == UPDATE:
        return _update(_validated(UpdateData, envelope))
    return []


def _chat(data: UpsertData) -> str | None:
    key = data.key
    chat = key.remoteJid
    if chat.endswith("@lid"):  # a hidden-number id; the phone JID when Evolution gives it
        chat = key.remoteJidAlt or key.senderPn or chat
    if not chat or chat.endswith(_NOT_CHATS) or chat == "status@broadcast":
        return None
    return chat


def _upsert(data: UpsertData) -> list[ParsedEvent]:
    chat = _chat(data)
    content = data.message
    if chat is None or content is None:
        return []
    text = content.conversation or ""
    reply_to = data.contextInfo.stanzaId if data.contextInfo else None
    if not text and content.extendedTextMessage is not None:
        text = content.extendedTextMessage.text or ""
        context = content.extendedTextMessage.contextInfo
        reply_to = reply_to or (context.stanzaId if context else None)
    attachments: list[Attachment] = []
    for field, kind in _MEDIA:
        media: MediaContent | None = getattr(content, field)
        if media is None:
            continue
        text = text or media.caption or ""
        reply_to = reply_to or (media.contextInfo.stanzaId if media.contextInfo else None)
        attachments.append(
            Attachment(
                kind=kind,
                content_type=media.mimetype,
                # The message id is the file's id: chat/getBase64FromMediaMessage takes it.
                platform_file_id=data.key.id,
                filename=media.fileName,
                size=media.fileLength,
                caption=media.caption,
            )
        )
        break  # one media part per WhatsApp message
    if not (text or attachments):
        return []  # reactions, protocol messages, polls, calls ...
    sent_at = (
        datetime.fromtimestamp(data.messageTimestamp, tz=UTC)
        if data.messageTimestamp
        else datetime.now(UTC)
    )
    echo = data.key.fromMe
    return [
        InboundEvent(
            platform_message_id=data.key.id,
            sender_id=chat,
            text=text,
            sent_at=sent_at,
            sender_name=None if echo else data.pushName,
            attachments=tuple(attachments),
            reply_to_platform_id=reply_to,
            echo=echo,
            kind="echo" if echo else "message",
        )
    ]


def _update(data: UpdateData) -> list[ParsedEvent]:
    message_id = data.keyId or data.id
    if not message_id:
        raise InvalidInput("evolution messages.update data has no keyId")
    status = _STATUSES.get((data.status or "").upper())
    if status is None or data.fromMe is False:
        return []  # PENDING, DELETED, edits, or a status of the customer's own message
    return [
        StatusEvent(
            platform_message_id=message_id,
            status=status,
            at=datetime.now(UTC),
            error_detail="WhatsApp reported an error" if status is MessageStatus.FAILED else None,
        )
    ]


def session_status(envelope: EvolutionEnvelope) -> tuple[str, str | None] | None:
    """The bridge status (WAHA's vocabulary, which the accounts page speaks) a
    ``connection.update`` / ``qrcode.updated`` webhook reports, with the linked phone's id;
    None for other events."""
    event = normalized_event(envelope.event)
    if event == QRCODE:
        return "SCAN_QR_CODE", None
    if event != CONNECTION:
        return None
    data = _validated(ConnectionData, envelope)
    return connection_status(data.state, data.statusReason), data.wuid


def connection_status(state: str, reason: int | None = None) -> str:
    """Evolution's connection state → bridge status.

    ``open``: linked. ``close`` with reason 401: the phone logged this device out, a new QR
    scan is needed; other ``close`` reasons are reconnects Evolution makes by itself.
    ``refused``: it gave up (QR code limit reached): Link must restart it.
    """
    state = state.lower()
    if state == "open":
        return "WORKING"
    if state == "close":
        return "SCAN_QR_CODE" if reason in (None, LOGGED_OUT) else "STARTING"
    if state == "refused":
        return "FAILED"
    return "STARTING"  # connecting: a QR code may or may not be waiting (see api)


M = TypeVar("M", bound=BaseModel)


def _validated(model: type[M], envelope: EvolutionEnvelope) -> M:
    try:
        return model.model_validate(envelope.data)
    except ValidationError as exc:
        where = f"evolution {normalized_event(envelope.event)} data"
        raise InvalidInput(describe_validation_error(exc, where)) from None
