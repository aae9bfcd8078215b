"""LINE webhook events → crossdesk events.

``sender_id`` is the conversation's push target: the group or room id in a group or room,
otherwise the user id. LINE message ids are unique, so they are used as they are; an
unsend becomes ``kind="delete"`` with id ``delete:{messageId}``. LINE sends no delivery or
read receipts to bots, so there are no status events. A sticker without text reads
``[sticker]``, a location without a title or address ``[location: lat,lng]``. Every other
event type (follow, join, postback, beacon, membership ...) is accepted and ignored, and a
redelivery (``deliveryContext.isRedelivery``) carries the same message id, so the core
stores it once.
"""

from datetime import UTC, datetime

from crossdesk.channels.base import ParsedEvent
from crossdesk.channels.line.payloads import Event, EventMessage
from crossdesk.domain import Attachment, InboundEvent
from crossdesk.errors import InvalidInput

_MEDIA = {"image": "image", "video": "video", "audio": "audio"}
MAX_SIZE = 2**31 - 1  # sizes are stored in a 32-bit column


def event_to_events(event: Event, index: int) -> list[ParsedEvent]:
    """Events of one LINE event; follow, join, postback, beacon ... yield none."""
    if event.type not in ("message", "unsend"):
        return []
    chat = event.source.chat_id if event.source is not None else None
    if chat is None:
        raise InvalidInput(f"line events.{index} ({event.type}) has no source id")
    at = datetime.fromtimestamp(event.timestamp / 1000, tz=UTC)
    if event.type == "unsend":
        if event.unsend is None:
            raise InvalidInput(f"line events.{index} (unsend) has no 'unsend' object")
        target = event.unsend.messageId
        return [
            InboundEvent(
                platform_message_id=f"delete:{target}",
                sender_id=chat,
                text="",
                sent_at=at,
                reply_to_platform_id=target,
                kind="delete",
            )
        ]
    if event.message is None:
        raise InvalidInput(f"line events.{index} (message) has no 'message' object")
    text, attachments = _content(event.message, index)
    return [
        InboundEvent(
            platform_message_id=event.message.id,
            sender_id=chat,
            text=text,
            sent_at=at,
            attachments=attachments,
            reply_to_platform_id=event.message.quotedMessageId,
        )
    ]


def _content(message: EventMessage, index: int) -> tuple[str, tuple[Attachment, ...]]:
    if message.type == "text":
        if message.text is None:
            raise InvalidInput(f"line events.{index}.message (text) has no 'text'")
        return message.text, ()
    if message.type in _MEDIA:
        provider = message.contentProvider
        url = provider.originalContentUrl if provider is not None else None
        return "", (Attachment(kind=_MEDIA[message.type], url=url, platform_file_id=message.id),)
    if message.type == "file":
        attachment = Attachment(
            kind="document",
            platform_file_id=message.id,
            filename=message.fileName[-255:] if message.fileName else None,  # keeps the extension
            size=message.fileSize if (message.fileSize or 0) <= MAX_SIZE else None,
        )
        return "", (attachment,)
    if message.type == "location":
        if message.latitude is None or message.longitude is None:
            raise InvalidInput(f"line events.{index}.message (location) has no coordinates")
        label = ", ".join(p for p in (message.title, message.address) if p)
        where = f"{message.latitude},{message.longitude}"
        geo = Attachment(kind="location", url=f"geo:{where}", caption=label or None)
        return label or f"[location: {where}]", (geo,)
    if message.type == "sticker":
        sticker = Attachment(
            kind="sticker",
            platform_file_id=f"{message.packageId}:{message.stickerId}",
            caption=", ".join(message.keywords) or None,
        )
        return message.text or "[sticker]", (sticker,)
    # A message type newer than this code: the customer still wrote something.
    return f"[{message.type[:40]}]", ()
