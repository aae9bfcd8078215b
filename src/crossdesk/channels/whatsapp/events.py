"""WhatsApp Cloud API webhook payloads → crossdesk events.

``sender_id`` is the customer's WhatsApp id (``wa_id``, their phone number) for messages and
echoes alike, or their business-scoped user id when the phone number is withheld. A reaction
keeps its own wamid as ``platform_message_id`` and names the reacted-to message in
``reply_to_platform_id`` (an empty text means the reaction was removed); so do an edit (kind
``edit``, the new text) and a revoke (kind ``delete``).

Every customer message becomes a message: text, the caption of a file, or a readable
placeholder (``[sticker]``, ``[location: lat,lng name, address]``, ``[contact: name phone]``,
``[order: 3 items]``, ``[flow response: name] {...}``, ``[unsupported message: type]``, and
``[type]`` for a type newer than this code). Only ``request_welcome`` (the customer opened the
chat, wrote nothing) is accepted without an event.
"""

from datetime import UTC, datetime

from pydantic import ValidationError

from crossdesk.channels.base import ParsedEvent
from crossdesk.channels.decoding import describe_validation_error
from crossdesk.channels.meta.graph import error_reason
from crossdesk.channels.whatsapp.payloads import (
    ContactCard,
    EditedContent,
    Media,
    Message,
    MessagesValue,
    Order,
    Status,
)
from crossdesk.domain import Attachment, InboundEvent, MessageStatus, StatusEvent
from crossdesk.errors import InvalidInput

_MEDIA_TYPES = ("image", "video", "audio", "document", "sticker")
_STATUSES = {
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.READ,
    "played": MessageStatus.READ,  # a voice message played was displayed first
    "failed": MessageStatus.FAILED,
}
# Fields whose ``value`` carries messages; every other field (account_update, templates,
# phone number quality, user_preferences, history, smb_app_state_sync ...) is an authentic
# event we do not handle.
MESSAGE_FIELDS = ("messages", "smb_message_echoes")
# Message types that are not something the customer wrote.
_IGNORED_TYPES = ("request_welcome",)
# Stored columns: content types (200), file names (300), URLs (2000), status errors (500).
_MAX_MIME = 100
_MAX_FILENAME = 255
_MAX_URL = 2000
_MAX_ERROR = 300
_MAX_FLOW_JSON = 1000

Content = tuple[str, tuple[Attachment, ...], str | None, str | None]


def change_events(
    field: str, raw_value: object, where: str, phone_number_id: str | None = None
) -> list[ParsedEvent]:
    """Events of one ``changes[]`` element; unhandled fields, ``request_welcome`` and (given
    ``phone_number_id``) changes of another business number yield none."""
    if field not in MESSAGE_FIELDS:
        return []
    try:
        value = MessagesValue.model_validate(raw_value)
    except ValidationError as exc:
        raise InvalidInput(describe_validation_error(exc, f"whatsapp {where}")) from None
    if phone_number_id is not None and value.metadata.phone_number_id != phone_number_id:
        return []
    names: dict[str, str] = {}
    for contact in value.contacts:
        if contact.profile is not None and contact.profile.name:
            for key in (contact.wa_id, contact.user_id):
                if key:
                    names[key] = contact.profile.name
    events: list[ParsedEvent] = []
    for m, message in enumerate(value.messages):
        sender = message.from_ or message.from_user_id
        if sender is None:
            raise InvalidInput(f"whatsapp {where}.messages.{m} has no 'from' nor 'from_user_id'")
        event = _message(message, sender, names.get(sender), echo=False)
        if event is not None:
            events.append(event)
    for m, echo in enumerate(value.message_echoes):
        contact_id = echo.to or echo.to_user_id
        if contact_id is None:
            raise InvalidInput(f"whatsapp {where}.message_echoes.{m} has no 'to' nor 'to_user_id'")
        event = _message(echo, contact_id, None, echo=True)
        if event is not None:
            events.append(event)
    events.extend(s for s in (_status(s) for s in value.statuses) if s is not None)
    return events


def _at(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


def _status(status: Status) -> StatusEvent | None:
    mapped = _STATUSES.get(status.status)
    if mapped is None:  # "deleted", "warning" ...: nothing to move forward
        return None
    error = status.errors[0] if status.errors and mapped is MessageStatus.FAILED else None
    code = detail = None
    if error is not None:
        code = str(error.code)
        details = error.error_data.details if error.error_data else None
        text = details or error.message or error.title
        # The same stable reason a refused send gets (window_closed, undeliverable ...).
        detail = ": ".join(p for p in (error_reason(error.code), text) if p)[:_MAX_ERROR] or None
    return StatusEvent(
        platform_message_id=status.id,
        status=mapped,
        at=_at(status.timestamp),
        error_code=code,
        error_detail=detail,
    )


def _message(
    message: Message, contact: str, name: str | None, *, echo: bool
) -> InboundEvent | None:
    if message.type in _IGNORED_TYPES:
        return None
    text, attachments, kind, reply_to = _content(message)
    if echo and kind == "message":
        kind = "echo"
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
        kind=kind or "message",
    )


def _content(message: Message) -> Content:
    """(text, attachments, kind, reply_to) of a message."""
    kind = message.type
    if kind == "text":
        if message.text is None:
            raise _missing(message, "text")
        return message.text.body, (), "message", None
    if kind in _MEDIA_TYPES:
        media: Media | None = getattr(message, kind)
        if media is None:
            raise _missing(message, kind)
        return _media_text(kind, media), (_attachment(kind, media),), "message", None
    if kind == "location":
        if message.location is None:
            raise _missing(message, "location")
        place = message.location
        label = ", ".join(part for part in (place.name, place.address) if part)
        point = f"{place.latitude},{place.longitude}"
        attachment = Attachment(kind="location", url=f"geo:{point}", caption=label or None)
        text = f"[location: {point} {label}]" if label else f"[location: {point}]"
        return text, (attachment,), "message", None
    if kind == "reaction":
        if message.reaction is None:
            raise _missing(message, "reaction")
        return message.reaction.emoji or "", (), "reaction", message.reaction.message_id
    if kind == "button":
        if message.button is None:
            raise _missing(message, "button")
        return message.button.text or message.button.payload or "[button]", (), "message", None
    if kind == "interactive":
        return _interactive(message), (), "message", None
    if kind == "contacts":
        if not message.contacts:
            raise _missing(message, "contacts")
        return "\n".join(_card(card) for card in message.contacts), (), "message", None
    if kind == "order":
        if message.order is None:
            raise _missing(message, "order")
        return _order(message.order), (), "message", None
    if kind == "system":
        system = message.system
        body = (system.body or system.type) if system is not None else None
        return f"[system: {body}]" if body else "[system]", (), "message", None
    if kind == "edit":
        if message.edit is None:
            raise _missing(message, "edit")
        edited = _edited_text(message.edit.message)
        return edited, (), "edit", message.edit.original_message_id
    if kind == "revoke":
        if message.revoke is None:
            raise _missing(message, "revoke")
        return "", (), "delete", message.revoke.original_message_id
    if kind in ("unsupported", "unknown"):
        what = message.unsupported.type if message.unsupported is not None else None
        return (
            f"[unsupported message: {what[:40]}]" if what else "[unsupported message]",
            (),
            "message",
            None,
        )
    # A message type newer than this code: the customer still wrote something.
    return f"[{kind[:40]}]", (), "message", None


def _media_text(kind: str, media: Media) -> str:
    if media.caption:
        return media.caption
    return "[sticker]" if kind == "sticker" else ""


def _attachment(kind: str, media: Media) -> Attachment:
    mime = media.mime_type if media.mime_type and len(media.mime_type) <= _MAX_MIME else None
    url = media.url if media.url and len(media.url) <= _MAX_URL else None
    return Attachment(
        kind=kind,
        content_type=mime,
        url=url,
        platform_file_id=media.id,
        # Stored names are bounded; the tail keeps the extension.
        filename=media.filename[-_MAX_FILENAME:] if media.filename else None,
        caption=media.caption,
    )


def _interactive(message: Message) -> str:
    interactive = message.interactive
    if interactive is None:
        raise _missing(message, "interactive")
    reply = interactive.button_reply or interactive.list_reply
    if reply is not None:
        return reply.title
    flow = interactive.nfm_reply
    if flow is not None:
        label = f"[flow response: {flow.name}]" if flow.name else "[flow response]"
        answers = (flow.response_json or flow.body or "")[:_MAX_FLOW_JSON]
        return f"{label} {answers}" if answers else label
    return f"[interactive: {interactive.type[:40]}]"


def _card(card: ContactCard) -> str:
    name = None
    if card.name is not None:
        name = card.name.formatted_name or " ".join(
            p for p in (card.name.first_name, card.name.last_name) if p
        )
    phones = [p.phone or p.wa_id for p in card.phones]
    parts = [part for part in (name, *phones) if part]
    return f"[contact: {' '.join(parts)}]" if parts else "[contact]"


def _order(order: Order) -> str:
    count = sum(max(item.quantity, 0) for item in order.product_items)
    label = f"[order: {count} item{'' if count == 1 else 's'}]"
    return f"{label} {order.text}" if order.text else label


def _edited_text(content: EditedContent | None) -> str:
    if content is None:
        return "[edited message]"
    if content.text is not None:
        return content.text.body
    for media in (content.image, content.video, content.document, content.audio):
        if media is not None and media.caption:
            return media.caption
    return f"[edited {content.type[:40]}]" if content.type else "[edited message]"


def _missing(message: Message, field: str) -> InvalidInput:
    return InvalidInput(
        f"whatsapp message {message.id!r} of type {message.type!r} has no {field!r} object"
    )
