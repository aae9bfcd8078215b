"""Typed LINE Messaging API webhook payloads and API replies.

References (https://developers.line.biz/en/reference/messaging-api/):
    #request-body (``destination``, ``events``), #common-properties (``type``,
    ``timestamp``, ``source``, ``webhookEventId``, ``deliveryContext.isRedelivery``, ``mode``),
    #message-event (text with ``emojis`` / ``mention``, image with ``imageSet``, video,
    audio, file, location, sticker; ``quoteToken``, ``quotedMessageId``, ``contentProvider``
    ``line`` | ``external``), #unsend-event; follow, unfollow, join, leave, memberJoined,
    memberLeft, postback, videoPlayComplete, beacon, accountLink, things, membership and
    module events are accepted and ignored (their objects are not typed),
    #send-push-message and #send-reply-message (``sentMessages``), #error-responses.
"""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

# Milliseconds since the epoch, bounded so a hostile value cannot overflow ``datetime``.
Millis = Annotated[int, Field(ge=0, le=253_402_300_799_999)]
# User, group, room and message ids are short (``U`` + 32 hex digits, 18-digit numbers).
LineId = Annotated[str, Field(max_length=100)]


class LineModel(BaseModel):
    """Base for LINE payload models: frozen, tolerant of new fields."""

    model_config = ConfigDict(
        extra="ignore", frozen=True, coerce_numbers_to_str=True, allow_inf_nan=False
    )  # NaN / Infinity coordinates are a malformed body, not a place


class Source(LineModel):
    """#source-user, #source-group, #source-room."""

    type: str
    userId: LineId | None = None
    groupId: LineId | None = None
    roomId: LineId | None = None

    @property
    def chat_id(self) -> str | None:
        """Where a push to this conversation goes: the group, the room or the user."""
        return self.groupId or self.roomId or self.userId


class ContentProvider(LineModel):
    """``line`` (fetch from the content endpoint) or ``external`` (URLs given)."""

    type: str
    originalContentUrl: str | None = None
    previewImageUrl: str | None = None


class EventMessage(LineModel):
    """``message`` of a message event; fields depend on ``type``."""

    id: LineId
    type: str
    text: str | None = None
    quoteToken: str | None = None
    quotedMessageId: LineId | None = None
    contentProvider: ContentProvider | None = None
    duration: int | None = None
    fileName: str | None = None
    fileSize: int | None = None
    title: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    packageId: str | None = None
    stickerId: str | None = None
    keywords: tuple[str, ...] = ()


class Unsend(LineModel):
    messageId: LineId


class DeliveryContext(LineModel):
    isRedelivery: bool = False


class Event(LineModel):
    """One webhook event; only ``message`` and ``unsend`` events become crossdesk events.

    ``mode`` is ``active`` or ``standby`` (another module channel answers the chat, there is
    no ``replyToken``); a customer's message is filed in both modes.
    """

    type: str
    timestamp: Millis
    mode: str | None = None
    webhookEventId: str | None = None
    deliveryContext: DeliveryContext | None = None
    source: Source | None = None
    replyToken: str | None = None
    message: EventMessage | None = None
    unsend: Unsend | None = None


class WebhookBody(LineModel):
    """The POST body; the console's "Verify" button sends an empty ``events`` list."""

    destination: str
    events: tuple[Event, ...]


class SentMessage(LineModel):
    id: str
    quoteToken: str | None = None


class SendReply(LineModel):
    """Reply of push / reply; a 409 for an already accepted retry key carries it too."""

    sentMessages: tuple[SentMessage, ...] = ()


class ErrorDetail(LineModel):
    message: str | None = None
    property: str | None = None


class ErrorBody(LineModel):
    """#error-responses"""

    message: str
    details: tuple[ErrorDetail, ...] = ()
    sentMessages: tuple[SentMessage, ...] = ()
