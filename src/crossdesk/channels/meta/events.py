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

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from crossdesk.channels.base import ParsedEvent
from crossdesk.channels.meta.payloads import (
    Entry,
    Message,
    MessageAttachment,
    MessagingEvent,
    Party,
)
from crossdesk.domain import Attachment, InboundEvent, MessageStatus, StatusEvent

_ATTACHMENT_KINDS = {
    "image": "image",
    "video": "video",
    "audio": "audio",
    "file": "document",
    "location": "location",
}
# Attachment types that are files of their own: a message of only these needs no text.
_MEDIA_TYPES = frozenset({"image", "video", "audio", "file"})
# What an agent reads for content that has no text of its own.
_LABELS = {
    "share": "shared post",
    "ig_post": "shared post",
    "story_mention": "story mention",
    "ig_reel": "reel",
    "reel": "reel",
    "fallback": "link",
    "template": "template",
}


# Stored platform ids and attachment kinds have bounded columns (200 and 32 characters).
MAX_ID = 200
MAX_KIND = 32


def own_id(kind: str, *parts: object) -> str:
    """The id of a reaction, edit, delete or postback: readable, or hashed when a long
    mid would not fit (the same input always gives the same id, so redeliveries match)."""
    readable = ":".join((kind, *(str(p) for p in parts)))
    if len(readable) <= MAX_ID:
        return readable
    return f"{kind}:sha256:{hashlib.sha256(readable.encode()).hexdigest()}"


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


def entry_events(entry: Entry) -> list[ParsedEvent]:
    """Events of one ``entry[]``: ``messaging[]``, ``standby[]`` and messaging ``changes``.

    Standby events (another app owns the thread under the handover protocol) are still the
    customer's messages and the page's replies, so the inbox shows them too.
    """
    events: list[ParsedEvent] = []
    for item in (*entry.messaging, *entry.standby, *entry.messaging_changes):
        events.extend(to_events(item, entry.time))
    return events


def _id(party: Party | None) -> str | None:
    return party.id if party is not None else None


def to_events(item: MessagingEvent, entry_time: int | None = None) -> list[ParsedEvent]:
    """Convert one ``messaging[]`` element; event types we do not handle yield nothing.

    Without its own ``timestamp`` an event takes the entry's ``time``.
    """
    stamp = item.timestamp if item.timestamp is not None else entry_time
    at = ms_to_datetime(stamp) if stamp is not None else datetime.now(UTC)
    sender = _id(item.sender)
    if item.message is not None:
        echo = item.message.is_echo
        contact = _id(item.recipient) if echo else sender
        return _message(contact, item.message, at) if contact else []
    if sender is None:  # policy_enforcement, plugin opt-ins by user_ref: no contact
        return []
    if item.delivery is not None:
        when = ms_to_datetime(item.delivery.watermark)
        if item.delivery.mids:
            return [
                StatusEvent(platform_message_id=mid, status=MessageStatus.DELIVERED, at=when)
                for mid in item.delivery.mids
            ]
        return [_watermark(sender, MessageStatus.DELIVERED, when)]
    if item.read is not None:
        if item.read.mid:
            return [
                StatusEvent(platform_message_id=item.read.mid, status=MessageStatus.READ, at=at)
            ]
        if item.read.watermark is not None:
            when = ms_to_datetime(item.read.watermark)
            return [_watermark(sender, MessageStatus.READ, when)]
        return []
    if item.reaction is not None:
        reaction = item.reaction
        text = "" if reaction.action == "unreact" else reaction.emoji or reaction.reaction or ""
        return [
            InboundEvent(
                platform_message_id=own_id("reaction", reaction.mid, sender, stamp),
                sender_id=sender,
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
                platform_message_id=own_id("edit", edit.mid, edit.num_edit),
                sender_id=sender,
                text=edit.text,
                sent_at=at,
                reply_to_platform_id=edit.mid,
                kind="edit",
            )
        ]
    if item.postback is not None:
        # A tapped button reads like a message from the customer (its title). Before
        # v11.0 there is no mid: the (sender, time) pair is stable across redeliveries.
        postback = item.postback
        return [
            InboundEvent(
                platform_message_id=postback.mid or own_id("postback", sender, stamp),
                sender_id=sender,
                text=postback.title or postback.payload or "[button]",
                sent_at=at,
            )
        ]
    return []  # referral, optin, handover, account linking, feedback, game plays ...


def _watermark(contact_id: str, status: MessageStatus, at: datetime) -> WatermarkStatus:
    return WatermarkStatus(platform_message_id="", status=status, at=at, contact_id=contact_id)


def _message(contact: str, message: Message, at: datetime) -> list[ParsedEvent]:
    echo = message.is_echo
    if message.is_deleted:
        return [
            InboundEvent(
                platform_message_id=own_id("delete", message.mid),
                sender_id=contact,
                text="",
                sent_at=at,
                reply_to_platform_id=message.mid,
                echo=echo,
                kind="delete",
            )
        ]
    attachments = [_attachment(a) for a in message.attachments]
    reply_to = message.reply_to
    story = reply_to.story if reply_to is not None else None
    if story is not None:  # an Instagram story reply: keep a link to the story
        attachments.append(
            Attachment(kind="story", url=story.url, platform_file_id=story.id, caption="story")
        )
    text = message.text or _placeholder(message.attachments)
    if not text and not attachments and message.is_unsupported:
        # Meta cannot show its content either; the agent still sees that the customer wrote
        # (and can look in the Instagram app), as with WhatsApp's unsupported messages.
        text = "[unsupported message]"
    if not text and not attachments:
        return []
    return [
        InboundEvent(
            platform_message_id=message.mid,
            sender_id=contact,
            text=text,
            sent_at=at,
            attachments=tuple(attachments),
            reply_to_platform_id=reply_to.mid if reply_to is not None else None,
            echo=echo,
            kind="echo" if echo else "message",
        )
    ]


def _placeholder(items: tuple[MessageAttachment, ...]) -> str:
    """Readable text for attachments that are not plain files ("" when all are files)."""
    labels = []
    for item in items:
        payload = item.payload
        title = (payload.title if payload is not None else None) or item.title
        if payload is not None and payload.sticker_id:
            labels.append("[sticker]")
        elif item.type == "location":
            point = payload.coordinates if payload is not None else None
            where = f"{point.lat},{point.long}" if point is not None else ""
            labels.append("[" + " ".join(p for p in (f"location: {where}", title) if p) + "]")
        elif item.type not in _MEDIA_TYPES:
            label = _LABELS.get(item.type, item.type.replace("_", " "))
            labels.append(f"[{label}: {title}]" if title else f"[{label}]")
    return " ".join(labels)


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
        kind=_ATTACHMENT_KINDS.get(item.type, item.type[:MAX_KIND]),
        url=(payload.url if payload is not None else None) or item.url,
        platform_file_id=payload.reel_video_id if payload is not None else None,
        caption=(payload.title if payload is not None else None) or item.title,
    )
