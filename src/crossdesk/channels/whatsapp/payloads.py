"""Typed WhatsApp Cloud API webhook payloads and message-send replies.

References:
    https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components
    (``entry[].changes[].value`` with ``metadata``, ``contacts``, ``messages``, ``statuses``),
    https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/payload-examples
    (text, media, location, contacts, reaction, interactive, button, unsupported, statuses),
    https://developers.facebook.com/docs/whatsapp/embedded-signup/custom-flows/onboarding-business-app-users
    (coexistence: ``smb_message_echoes`` with ``value.message_echoes[]``),
    https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages (send reply).
"""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class WaModel(BaseModel):
    """Base for WhatsApp payload models: frozen, tolerant of new fields, ids as strings."""

    model_config = ConfigDict(
        extra="ignore", frozen=True, coerce_numbers_to_str=True, populate_by_name=True
    )


class Profile(WaModel):
    name: str | None = None


class Contact(WaModel):
    """``value.contacts[]``: the customer's WhatsApp id and profile name."""

    wa_id: str
    profile: Profile | None = None


class Text(WaModel):
    body: str


class Media(WaModel):
    """``image``, ``video``, ``audio``, ``document`` and ``sticker`` objects."""

    id: str
    mime_type: str | None = None
    sha256: str | None = None
    caption: str | None = None
    filename: str | None = None
    url: str | None = None
    animated: bool | None = None
    voice: bool | None = None


class Location(WaModel):
    latitude: float
    longitude: float
    name: str | None = None
    address: str | None = None
    url: str | None = None


class Reaction(WaModel):
    """``reaction``: an empty or missing ``emoji`` means the reaction was removed."""

    message_id: str
    emoji: str | None = None


class Context(WaModel):
    """``context``: the message this one replies to (or the forwarded flag)."""

    id: str | None = None
    from_: str | None = Field(default=None, alias="from")
    forwarded: bool | None = None


class Button(WaModel):
    """``button``: a quick-reply button pressed on a template."""

    text: str
    payload: str | None = None


class Reply(WaModel):
    id: str
    title: str


class Interactive(WaModel):
    """``interactive``: ``button_reply`` or ``list_reply`` (``nfm_reply`` for Flows)."""

    type: str
    button_reply: Reply | None = None
    list_reply: Reply | None = None


class ContactName(WaModel):
    formatted_name: str | None = None


class ContactPhone(WaModel):
    phone: str | None = None


class ContactCard(WaModel):
    """One element of a ``contacts`` message."""

    name: ContactName | None = None
    phones: tuple[ContactPhone, ...] = ()


class Message(WaModel):
    """``value.messages[]``: one customer message. ``type`` selects the content object."""

    from_: str = Field(alias="from")
    id: str
    timestamp: int
    type: str
    context: Context | None = None
    text: Text | None = None
    image: Media | None = None
    video: Media | None = None
    audio: Media | None = None
    document: Media | None = None
    sticker: Media | None = None
    location: Location | None = None
    reaction: Reaction | None = None
    button: Button | None = None
    interactive: Interactive | None = None
    contacts: tuple[ContactCard, ...] = ()


class EchoMessage(Message):
    """``value.message_echoes[]``: sent by the business from the WhatsApp Business app."""

    to: str


class ErrorData(WaModel):
    details: str | None = None


class StatusError(WaModel):
    """``statuses[].errors[]`` on a ``failed`` status."""

    code: int
    title: str | None = None
    message: str | None = None
    error_data: ErrorData | None = None


class Status(WaModel):
    """``value.statuses[]``: sent, delivered, read, failed (and others we ignore)."""

    id: str
    status: str
    timestamp: int
    recipient_id: str | None = None
    biz_opaque_callback_data: str | None = None
    errors: tuple[StatusError, ...] = ()


class Metadata(WaModel):
    display_phone_number: str | None = None
    phone_number_id: str


class MessagesValue(WaModel):
    """``value`` of a ``messages`` or ``smb_message_echoes`` change."""

    messaging_product: str | None = None
    metadata: Metadata
    contacts: tuple[Contact, ...] = ()
    messages: tuple[Message, ...] = ()
    statuses: tuple[Status, ...] = ()
    message_echoes: tuple[EchoMessage, ...] = ()


class Change(WaModel):
    """``entry[].changes[]``; ``value`` is typed per ``field`` once the field is known."""

    field: str
    value: dict[str, Any]  # Any: the shape depends on ``field``; see MessagesValue


class Entry(WaModel):
    """``entry[]``: ``id`` is the WhatsApp Business Account id."""

    id: str
    changes: tuple[Change, ...]


class WebhookBody(WaModel):
    object: str
    entry: tuple[Entry, ...]


class SentMessage(WaModel):
    id: str
    message_status: str | None = None


class SendReply(WaModel):
    """Reply of ``POST /{phone-number-id}/messages``."""

    messaging_product: str | None = None
    messages: tuple[SentMessage, ...] = Field(min_length=1)
