"""WhatsApp Cloud API webhook payloads → crossdesk events.

``sender_id`` is the customer's WhatsApp id (``wa_id``) for messages and echoes alike; a
reaction keeps its own wamid as ``platform_message_id`` and names the reacted-to message in
``reply_to_platform_id`` (an empty text means the reaction was removed).
"""

from datetime import UTC, datetime

from pydantic import ValidationError

from crossdesk.channels.base import ParsedEvent
from crossdesk.channels.decoding import describe_validation_error
from crossdesk.channels.whatsapp.payloads import Media, Message, MessagesValue, Status
from crossdesk.domain import Attachment, InboundEvent, MessageStatus, StatusEvent
from crossdesk.errors import InvalidInput

_MEDIA_TYPES = ("image", "video", "audio", "document", "sticker")
_STATUSES = {
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.READ,
    "failed": MessageStatus.FAILED,
}
# Fields whose ``value`` carries messages; every other field (account_update, templates,
# history, smb_app_state_sync ...) is an authentic event we do not handle.
MESSAGE_FIELDS = ("messages", "smb_message_echoes")


def change_events(field: str, raw_value: dict[str, object], where: str) -> list[ParsedEvent]:
    """Events of one ``changes[]`` element; unhandled fields and message types yield none."""
    if field not in MESSAGE_FIELDS:
        return []
    try:
        value = MessagesValue.model_validate(raw_value)
    except ValidationError as exc:
        raise InvalidInput(describe_validation_error(exc, f"whatsapp {where}")) from None
    names = {c.wa_id: c.profile.name for c in value.contacts if c.profile is not None}
    events: list[ParsedEvent] = []
    for message in value.messages:
        event = _message(message, message.from_, names.get(message.from_), echo=False)
        if event is not None:
            events.append(event)
    for echo in value.message_echoes:
        event = _message(echo, echo.to, None, echo=True)
        if event is not None:
            events.append(event)
    events.extend(s for s in (_status(s) for s in value.statuses) if s is not None)
    return events


def _at(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


def _status(status: Status) -> StatusEvent | None:
    mapped = _STATUSES.get(status.status)
    if mapped is None:  # "deleted", "warning", "played": nothing to move forward
        return None
    error = status.errors[0] if status.errors else None
    detail = None
    if error is not None:
        details = error.error_data.details if error.error_data else None
        detail = details or error.message or error.title
    return StatusEvent(
        platform_message_id=status.id,
        status=mapped,
        at=_at(status.timestamp),
        error_code=str(error.code) if error is not None else None,
        error_detail=detail,
    )


def _message(
    message: Message, contact: str, name: str | None, *, echo: bool
) -> InboundEvent | None:
    text, attachments, kind, reply_to = _content(message)
    if kind is None:
        return None
    if echo:
        kind = "echo" if kind == "message" else kind
    if reply_to is None and message.context is not None:
        reply_to = message.context.id
    return InboundEvent(
        platform_message_id=message.id,
        sender_id=contact,
        text=text,
        sent_at=_at(message.timestamp),
        sender_name=name,
        attachments=attachments,
        reply_to_platform_id=reply_to,
        echo=echo,
        kind=kind,
    )


def _content(
    message: Message,
) -> tuple[str, tuple[Attachment, ...], str | None, str | None]:
    """(text, attachments, kind, reply_to) of a message; kind None for unsupported types."""
    kind = message.type
    if kind == "text":
        if message.text is None:
            raise _missing(message, "text")
        return message.text.body, (), "message", None
    if kind in _MEDIA_TYPES:
        media: Media | None = getattr(message, kind)
        if media is None:
            raise _missing(message, kind)
        attachment = Attachment(
            kind=kind,
            content_type=media.mime_type,
            url=media.url,
            platform_file_id=media.id,
            filename=media.filename,
            caption=media.caption,
        )
        return media.caption or "", (attachment,), "message", None
    if kind == "location":
        if message.location is None:
            raise _missing(message, "location")
        place = message.location
        label = ", ".join(part for part in (place.name, place.address) if part)
        attachment = Attachment(
            kind="location",
            url=f"geo:{place.latitude},{place.longitude}",
            caption=label or None,
        )
        return label, (attachment,), "message", None
    if kind == "reaction":
        if message.reaction is None:
            raise _missing(message, "reaction")
        return message.reaction.emoji or "", (), "reaction", message.reaction.message_id
    if kind == "button" and message.button is not None:
        return message.button.text, (), "message", None
    if kind == "interactive" and message.interactive is not None:
        reply = message.interactive.button_reply or message.interactive.list_reply
        return (reply.title, (), "message", None) if reply is not None else ("", (), None, None)
    if kind == "contacts" and message.contacts:
        cards = [
            " ".join(
                part
                for part in (
                    card.name.formatted_name if card.name else None,
                    *(p.phone for p in card.phones),
                )
                if part
            )
            for card in message.contacts
        ]
        return "\n".join(cards), (), "message", None
    # unsupported, unknown, system, order, ephemeral, request_welcome ...: ignored.
    return "", (), None, None


def _missing(message: Message, field: str) -> InvalidInput:
    return InvalidInput(
        f"whatsapp message {message.id!r} of type {message.type!r} has no {field!r} object"
    )
