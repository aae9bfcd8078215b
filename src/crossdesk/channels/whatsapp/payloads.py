"""Typed WhatsApp Cloud API webhook payloads and message-send replies.

References (developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/):
    reference/messages (``entry[].changes[].value`` with ``metadata``, ``contacts``,
    ``messages``, ``statuses``) and its pages per message type: text, image, video, audio,
    document, sticker, location, contacts, interactive (``button_reply``, ``list_reply``,
    ``nfm_reply``), button, reaction, order, system (no ``contacts`` array), unsupported
    (``errors``, ``unsupported.type``), edit and revoke (coexistence numbers), status
    (``conversation``, ``pricing``, ``errors``); reference/smb_message_echoes
    (``value.message_echoes[]``); business-scoped user ids (``contacts[].user_id``,
    ``from_user_id``: the phone number may be withheld for users with a username);
    reference/messages/send (send reply).

Every model ignores fields it does not read, so documented additions never turn an authentic
webhook into a 400; the fields it reads are typed and bounded (ids fit the stored columns,
times fit ``datetime``, no NaN coordinates), so a hostile value is a 400 naming the field.
"""

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

# Unix seconds (sent as strings), bounded so a hostile value cannot overflow ``datetime``.
Seconds = Annotated[int, Field(ge=0, le=253_402_300_799)]
# wamids (~60 characters), phone numbers and BSUIDs (country code + up to 128 characters)
# are stored in 200-character columns.
WaId = Annotated[str, Field(min_length=1, max_length=200)]
Int64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]


class WaModel(BaseModel):
    """Base for WhatsApp payload models: frozen, tolerant of new fields, ids as strings."""

    model_config = ConfigDict(
        extra="ignore",
        frozen=True,
        coerce_numbers_to_str=True,
        populate_by_name=True,
        allow_inf_nan=False,  # NaN / Infinity coordinates are a malformed body, not a place
    )


class Profile(WaModel):
    name: str | None = None
    username: str | None = None


class Contact(WaModel):
    """``value.contacts[]``: the customer's WhatsApp id (phone, may be withheld), business-scoped
    user id and profile name."""

    wa_id: WaId | None = None
    user_id: WaId | None = None
    profile: Profile | None = None


class Text(WaModel):
    body: str


class Media(WaModel):
    """``image``, ``video``, ``audio`` (``voice`` for voice notes), ``document`` and
    ``sticker`` (``animated``) objects."""

    id: WaId
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

    message_id: WaId
    emoji: str | None = None


class Context(WaModel):
    """``context``: the message replied to, the forwarded flags, or the product asked about."""

    id: WaId | None = None
    from_: str | None = Field(default=None, alias="from")
    forwarded: bool | None = None
    frequently_forwarded: bool | None = None


class Referral(WaModel):
    """``referral``: the click-to-WhatsApp ad or post the customer came from."""

    source_url: str | None = None
    source_type: str | None = None
    source_id: str | None = None
    headline: str | None = None
    body: str | None = None
    ctwa_clid: str | None = None


class Button(WaModel):
    """``button``: a quick-reply button pressed on a template."""

    text: str | None = None
    payload: str | None = None


class Reply(WaModel):
    id: str | None = None
    title: str
    description: str | None = None


class FlowReply(WaModel):
    """``nfm_reply``: a completed WhatsApp Flow; ``response_json`` is the form's answers."""

    name: str | None = None
    body: str | None = None
    response_json: str | None = None


class Interactive(WaModel):
    """``interactive``: ``button_reply``, ``list_reply`` or ``nfm_reply`` (Flows)."""

    type: str
    button_reply: Reply | None = None
    list_reply: Reply | None = None
    nfm_reply: FlowReply | None = None


class ContactName(WaModel):
    formatted_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class ContactPhone(WaModel):
    phone: str | None = None
    wa_id: str | None = None


class ContactCard(WaModel):
    """One element of a ``contacts`` message."""

    name: ContactName | None = None
    phones: tuple[ContactPhone, ...] = ()


class ProductItem(WaModel):
    product_retailer_id: str | None = None
    quantity: Int64 = 1
    item_price: float | None = None
    currency: str | None = None


class Order(WaModel):
    """``order``: a cart sent from a catalog, single- or multi-product message."""

    catalog_id: str | None = None
    text: str | None = None
    product_items: tuple[ProductItem, ...] = ()


class System(WaModel):
    """``system``: the customer changed number (``user_changed_number``, formerly
    ``customer_changed_number``), user id or identity."""

    body: str | None = None
    type: str | None = None
    wa_id: str | None = None
    new_wa_id: str | None = None
    user_id: str | None = None


class Unsupported(WaModel):
    """``unsupported``: which kind of message Cloud API could not deliver (e.g. ``edit``)."""

    type: str | None = None


class ErrorData(WaModel):
    details: str | None = None


class MessageError(WaModel):
    """``errors[]`` of a message, a status or a whole ``value``."""

    code: Int64
    title: str | None = None
    message: str | None = None
    error_data: ErrorData | None = None


class EditedContent(WaModel):
    """``edit.message``: the new version of the message (text, or media with a caption)."""

    type: str | None = None
    text: Text | None = None
    image: Media | None = None
    video: Media | None = None
    document: Media | None = None
    audio: Media | None = None
    sticker: Media | None = None


class Edit(WaModel):
    original_message_id: WaId
    message: EditedContent | None = None


class Revoke(WaModel):
    original_message_id: WaId


class Message(WaModel):
    """``value.messages[]``: one customer message. ``type`` selects the content object.

    ``from`` is the customer's phone number; since business-scoped user ids it may be
    withheld, and ``from_user_id`` names the customer instead.
    """

    from_: WaId | None = Field(default=None, alias="from")
    from_user_id: WaId | None = None
    id: WaId
    timestamp: Seconds
    type: str
    context: Context | None = None
    referral: Referral | None = None
    errors: tuple[MessageError, ...] = ()
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
    order: Order | None = None
    system: System | None = None
    unsupported: Unsupported | None = None
    edit: Edit | None = None
    revoke: Revoke | None = None


class EchoMessage(Message):
    """``value.message_echoes[]``: sent by the business from the WhatsApp Business app."""

    to: WaId | None = None
    to_user_id: WaId | None = None


class Status(WaModel):
    """``value.statuses[]``: sent, delivered, read, failed (deleted, warning, played ...)."""

    id: WaId
    status: str
    timestamp: Seconds
    recipient_id: str | None = None
    biz_opaque_callback_data: str | None = None
    errors: tuple[MessageError, ...] = ()
    # ``conversation`` and ``pricing`` (billing) are accepted and not read.


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
    errors: tuple[MessageError, ...] = ()


class Change(WaModel):
    """``entry[].changes[]``; ``value`` is typed per ``field`` once the field is known."""

    field: str
    value: Any = None  # Any: the shape depends on ``field``; see MessagesValue


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
