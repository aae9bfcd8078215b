"""WAHA webhook events → crossdesk events.

- ``message`` / ``message.any``: a chat message; ``fromMe`` ones (sent from the phone) are
  echoes. Both events may arrive for one message: it is stored once (same id).
- ``message.ack``: delivery status of one of our messages.
- ``session.status`` and everything else: no message event (the session state is handled by
  the bridge session route).
Group chats (``@g.us``), status broadcasts and channels are not conversations here.
"""

from datetime import UTC, datetime
from typing import TypeVar

from pydantic import ValidationError

from crossdesk.channels.base import ParsedEvent
from crossdesk.channels.decoding import describe_validation_error
from crossdesk.channels.whatsapp_bridge.payloads import AckPayload, Envelope, MessagePayload
from crossdesk.domain import Attachment, InboundEvent, MessageStatus, StatusEvent
from crossdesk.errors import InvalidInput

MESSAGE_EVENTS = ("message", "message.any")
_ACKS = {
    -1: MessageStatus.FAILED,
    1: MessageStatus.SENT,
    2: MessageStatus.DELIVERED,
    3: MessageStatus.READ,
    4: MessageStatus.READ,  # PLAYED (voice notes)
}
_NOT_CHATS = ("@g.us", "@broadcast", "@newsletter")


def _kind(mimetype: str | None) -> str:
    major = (mimetype or "").split("/", 1)[0]
    return major if major in ("image", "video", "audio") else "document"


def envelope_events(envelope: Envelope) -> list[ParsedEvent]:
    if envelope.event in MESSAGE_EVENTS:
        message = _validated(MessagePayload, envelope)
        chat = message.to if message.fromMe else message.from_
        if not chat or chat.endswith(_NOT_CHATS):
            return []
        attachments: tuple[Attachment, ...] = ()
        if message.hasMedia and message.media is not None:
            attachments = (
                Attachment(
                    kind=_kind(message.media.mimetype),
                    content_type=message.media.mimetype,
                    url=message.media.url,
                    # The bridge's URL is also the file's id: fetched with the API key.
                    platform_file_id=message.media.url,
                    filename=message.media.filename,
                ),
            )
        if not (message.body or attachments):
            return []  # revoked, e2e notifications, calls ...
        return [
            InboundEvent(
                platform_message_id=message.id,
                sender_id=chat,
                text=message.body or "",
                sent_at=datetime.fromtimestamp(message.timestamp, tz=UTC),
                attachments=attachments,
                reply_to_platform_id=message.replyTo.id if message.replyTo else None,
                echo=message.fromMe,
                kind="echo" if message.fromMe else "message",
            )
        ]
    if envelope.event == "message.ack":
        ack = _validated(AckPayload, envelope)
        status = _ACKS.get(ack.ack)
        if status is None:
            return []
        at = (
            datetime.fromtimestamp(envelope.timestamp / 1000, tz=UTC)  # milliseconds
            if envelope.timestamp
            else datetime.now(UTC)
        )
        return [
            StatusEvent(
                platform_message_id=ack.id,
                status=status,
                at=at,
                error_detail=(
                    "WhatsApp reported an error" if status is MessageStatus.FAILED else None
                ),
            )
        ]
    return []


M = TypeVar("M", MessagePayload, AckPayload)


def _validated(model: type[M], envelope: Envelope) -> M:
    try:
        return model.model_validate(envelope.payload)
    except ValidationError as exc:
        where = f"waha {envelope.event} payload"
        raise InvalidInput(describe_validation_error(exc, where)) from None
