"""Telegram updates → crossdesk events.

Identity conventions:
    * ``sender_id`` is the chat id (what ``sendMessage`` needs; for private chats it equals
      the user id), ``sender_name`` the author's name.
    * Telegram message ids are only unique within a chat, so ``platform_message_id`` is
      ``"{chat_id}:{message_id}"``; ``reply_to_platform_id`` uses the same form.
    * Edits and reactions get ids of their own (``…:edit:{edit_date}``,
      ``…:reaction:{user}:{date}``) so de-duplication never mistakes them for redeliveries.

The Bot API reports no delivery or read receipts, so there are no status events, and a
bot's own messages are not echoed back to it. Content without text of its own reads as a
placeholder (``[sticker 😀]``, ``[location: lat,lng]``, ``[contact: name phone]``,
``[poll: question]`` ...); files keep their caption (or no text) and their metadata.
Channel posts are the channel's own broadcasts, not a customer writing, and are ignored,
as are service messages (members joining, pins ...) and update kinds we do not file.
"""

from datetime import UTC, datetime

from crossdesk.channels.base import ParsedEvent
from crossdesk.channels.telegram_bot.payloads import File, Message, MessageReactionUpdated, Update
from crossdesk.domain import Attachment, InboundEvent

# Sizes are stored in a 32-bit column; files of 2 GiB and more (Telegram allows up to 4 GB)
# are kept without a size rather than refused.
MAX_SIZE = 2**31 - 1


def message_id(chat_id: int, message_id: int) -> str:
    """The crossdesk id of a Telegram message."""
    return f"{chat_id}:{message_id}"


def update_events(update: Update) -> list[ParsedEvent]:
    """Events of one update; channel posts and update kinds we do not file yield none."""
    if update.message is not None:
        event = _message(update.message, edit=False)
        return [event] if event is not None else []
    if update.edited_message is not None:
        event = _message(update.edited_message, edit=True)
        return [event] if event is not None else []
    if update.message_reaction is not None:
        return [_reaction(update.message_reaction)]
    return []


def _at(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


def _message(message: Message, *, edit: bool) -> InboundEvent | None:
    text, attachments = _content(message)
    if not text and not attachments:
        return None  # service messages: members joining or leaving, pins, topics ...
    chat_id = message.chat.id
    original = message_id(chat_id, message.message_id)
    reply_to = (
        message_id(chat_id, message.reply_to_message.message_id)
        if message.reply_to_message is not None
        else None
    )
    author = message.from_
    if edit:
        stamp = message.edit_date or message.date
        return InboundEvent(
            platform_message_id=f"{original}:edit:{stamp}",
            sender_id=str(chat_id),
            text=text,
            sent_at=_at(stamp),
            sender_name=_name(message),
            attachments=attachments,
            reply_to_platform_id=original,
            kind="edit",
        )
    return InboundEvent(
        platform_message_id=original,
        sender_id=str(chat_id),
        text=text,
        sent_at=_at(message.date),
        sender_name=_name(message),
        language_hint=author.language_code if author else None,
        attachments=attachments,
        reply_to_platform_id=reply_to,
    )


def _name(message: Message) -> str | None:
    """The author's name; an anonymous group admin or channel writes as a chat."""
    if message.from_ is not None and not message.sender_chat:
        return message.from_.full_name or None
    chat = message.sender_chat or message.chat
    return chat.title or " ".join(p for p in (chat.first_name, chat.last_name) if p) or None


def _file(
    kind: str, item: File, caption: str | None, content_type: str | None = None
) -> Attachment:
    mime_type = item.mime_type if item.mime_type and len(item.mime_type) <= 100 else None
    return Attachment(
        kind=kind,
        content_type=mime_type or content_type,
        platform_file_id=item.file_id,
        # Stored names are bounded; the tail keeps the extension.
        filename=item.file_name[-255:] if item.file_name else None,
        size=item.file_size if item.file_size is not None and item.file_size <= MAX_SIZE else None,
        caption=caption,
    )


def _geo(latitude: float, longitude: float, caption: str | None = None) -> Attachment:
    return Attachment(kind="location", url=f"geo:{latitude},{longitude}", caption=caption)


def _content(message: Message) -> tuple[str, tuple[Attachment, ...]]:
    caption = message.caption
    text = message.text or caption or ""
    if message.photo:
        # Sizes come smallest first; file_size may be missing, the dimensions are not.
        largest = max(
            message.photo, key=lambda p: ((p.width or 0) * (p.height or 0), p.file_size or 0)
        )
        return text, (_file("image", largest, caption, "image/jpeg"),)
    # An animation message also carries the same file as ``document``: check it first.
    for kind, item, default_type in (
        ("video", message.animation, "video/mp4"),
        ("video", message.video, None),
        ("video", message.video_note, "video/mp4"),
        ("audio", message.voice, "audio/ogg"),
        ("audio", message.audio, None),
        ("document", message.document, None),
    ):
        if item is not None:
            return text, (_file(kind, item, caption, default_type),)
    if message.sticker is not None:
        sticker = message.sticker
        sticker_type = (
            "video/webm"
            if sticker.is_video
            else "application/x-tgsticker"
            if sticker.is_animated
            else "image/webp"
        )
        label = f"[sticker {sticker.emoji}]" if sticker.emoji else "[sticker]"
        return text or label, (_file("sticker", sticker, None, sticker_type),)
    if message.venue is not None:
        venue = message.venue
        point = venue.location
        name = ", ".join(p for p in (venue.title, venue.address) if p)
        label = f"[location: {point.latitude},{point.longitude} {name}]"
        return label, (_geo(point.latitude, point.longitude, name or None),)
    if message.location is not None:
        point = message.location
        label = f"[location: {point.latitude},{point.longitude}]"
        return text or label, (_geo(point.latitude, point.longitude),)
    if message.contact is not None:
        contact = message.contact
        name = " ".join(p for p in (contact.first_name, contact.last_name) if p)
        return f"[contact: {name} {contact.phone_number}]", ()
    if message.poll is not None:
        options = " / ".join(o.text for o in message.poll.options)
        return f"[poll: {message.poll.question}]" + (f" {options}" if options else ""), ()
    if message.dice is not None:
        return f"[dice {message.dice.emoji} {message.dice.value}]", ()
    for label, titled in (
        ("game", message.game),
        ("invoice", message.invoice),
        ("checklist", message.checklist),
    ):
        if titled is not None:
            return text or (f"[{label}: {titled.title}]" if titled.title else f"[{label}]"), ()
    for label, present in (
        ("story", message.story),
        ("paid media", message.paid_media),
        ("giveaway", message.giveaway),
    ):
        if present is not None:
            return text or f"[{label}]", ()
    return text, ()


def _reaction(update: MessageReactionUpdated) -> InboundEvent:
    chat_id = update.chat.id
    target = message_id(chat_id, update.message_id)
    actor = update.actor_chat.id if update.actor_chat is not None else chat_id
    who = update.user.id if update.user is not None else actor
    emoji = "".join(r.emoji or "" for r in update.new_reaction if r.type == "emoji")
    return InboundEvent(
        platform_message_id=f"{target}:reaction:{who}:{update.date}",
        sender_id=str(chat_id),
        text=emoji,
        sent_at=_at(update.date),
        sender_name=update.user.full_name if update.user is not None else None,
        reply_to_platform_id=target,
        kind="reaction",
    )
