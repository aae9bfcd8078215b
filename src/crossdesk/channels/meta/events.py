"""Messenger / Instagram webhook payloads → crossdesk events.

Identity conventions (the same for every adapter in crossdesk):
    * ``sender_id`` is always the contact (PSID / IGSID), also for echoes, whose platform
      sender is the account itself: the core files an echo under the contact's conversation
      as an outbound message "sent from the phone app".
    * Reactions, edits and unsends get an id of their own (``reaction:…``, ``edit:…``,
      ``delete:…``) so that de-duplication on (account, platform_message_id) never swallows
      them as a redelivery of the original message; ``reply_to_platform_id`` names the
      original.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from crossdesk.channels.base import ParsedEvent
from crossdesk.channels.meta.payloads import Message, MessageAttachment, MessagingEvent
from crossdesk.domain import Attachment, InboundEvent, MessageStatus, StatusEvent

_ATTACHMENT_KINDS = {
    "image": "image",
    "video": "video",
    "audio": "audio",
    "file": "document",
    "location": "location",
}


@dataclass(frozen=True, slots=True)
class WatermarkStatus(StatusEvent):
    """A status covering every outbound message to ``contact_id`` sent before ``at``.

    Messenger reports reads (and sometimes deliveries) only as a watermark, without message
    ids, so ``platform_message_id`` is empty: the core applies the status to the contact's
    outbound messages up to ``at``.
    """

    contact_id: str = ""


def ms_to_datetime(value: int) -> datetime:
    """Meta messaging timestamps are milliseconds since the epoch."""
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def to_events(item: MessagingEvent) -> list[ParsedEvent]:
    """Convert one ``messaging[]`` element; event types we do not handle yield nothing."""
    at = ms_to_datetime(item.timestamp)
    if item.message is not None:
        return _message(item, item.message, at)
    if item.delivery is not None:
        when = ms_to_datetime(item.delivery.watermark)
        if item.delivery.mids:
            return [
                StatusEvent(platform_message_id=mid, status=MessageStatus.DELIVERED, at=when)
                for mid in item.delivery.mids
            ]
        return [_watermark(item.sender.id, MessageStatus.DELIVERED, when)]
    if item.read is not None:
        if item.read.mid:
            return [
                StatusEvent(platform_message_id=item.read.mid, status=MessageStatus.READ, at=at)
            ]
        if item.read.watermark is not None:
            when = ms_to_datetime(item.read.watermark)
            return [_watermark(item.sender.id, MessageStatus.READ, when)]
        return []
    if item.reaction is not None:
        reaction = item.reaction
        text = "" if reaction.action == "unreact" else reaction.emoji or reaction.reaction or ""
        return [
            InboundEvent(
                platform_message_id=f"reaction:{reaction.mid}:{item.sender.id}:{item.timestamp}",
                sender_id=item.sender.id,
                text=text,
                sent_at=at,
                reply_to_platform_id=reaction.mid,
                kind="reaction",
            )
        ]
    if item.message_edit is not None:
        edit = item.message_edit
        return [
            InboundEvent(
                platform_message_id=f"edit:{edit.mid}:{edit.num_edit}",
                sender_id=item.sender.id,
                text=edit.text,
                sent_at=at,
                reply_to_platform_id=edit.mid,
                kind="edit",
            )
        ]
    if item.postback is not None and item.postback.mid:
        return [
            InboundEvent(
                platform_message_id=item.postback.mid,
                sender_id=item.sender.id,
                text=item.postback.title or item.postback.payload or "",
                sent_at=at,
            )
        ]
    return []


def _watermark(contact_id: str, status: MessageStatus, at: datetime) -> WatermarkStatus:
    return WatermarkStatus(platform_message_id="", status=status, at=at, contact_id=contact_id)


def _message(item: MessagingEvent, message: Message, at: datetime) -> list[ParsedEvent]:
    if message.is_unsupported:
        return []
    echo = message.is_echo
    contact = item.recipient.id if echo else item.sender.id
    if message.is_deleted:
        return [
            InboundEvent(
                platform_message_id=f"delete:{message.mid}",
                sender_id=contact,
                text="",
                sent_at=at,
                reply_to_platform_id=message.mid,
                echo=echo,
                kind="delete",
            )
        ]
    attachments = tuple(_attachment(a) for a in message.attachments)
    text = message.text or ""
    if not text and not attachments:
        return []
    return [
        InboundEvent(
            platform_message_id=message.mid,
            sender_id=contact,
            text=text,
            sent_at=at,
            attachments=attachments,
            reply_to_platform_id=message.reply_to.mid if message.reply_to else None,
            echo=echo,
            kind="echo" if echo else "message",
        )
    ]


def _attachment(item: MessageAttachment) -> Attachment:
    payload = item.payload
    if payload is not None and payload.sticker_id:
        return Attachment(kind="sticker", url=payload.url, platform_file_id=payload.sticker_id)
    if item.type == "location" and payload is not None and payload.coordinates is not None:
        point = payload.coordinates
        return Attachment(
            kind="location",
            url=f"geo:{point.lat},{point.long}",
            caption=payload.title or item.title,
        )
    # share, story_mention, ig_reel, reel, ig_post, template, fallback keep Meta's type name.
    return Attachment(
        kind=_ATTACHMENT_KINDS.get(item.type, item.type),
        url=payload.url if payload is not None else None,
        caption=(payload.title if payload is not None else None) or item.title,
    )
