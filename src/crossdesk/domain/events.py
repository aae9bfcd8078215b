"""What crosses the boundary between a platform adapter and the core.

Adapters turn platform payloads into these values and send ``OutboundMessage``s;
the core never sees a platform's own payload shape.
"""

from dataclasses import dataclass, field
from datetime import datetime

from crossdesk.domain.enums import MessageStatus


@dataclass(frozen=True, slots=True)
class Attachment:
    """Metadata of a file attached to a message; the bytes are fetched separately."""

    kind: str  # image, video, audio, document, sticker, location
    content_type: str | None = None
    url: str | None = None
    platform_file_id: str | None = None
    filename: str | None = None
    size: int | None = None
    caption: str | None = None
    # Outbound only: absolute path of the stored bytes the adapter uploads (or attaches);
    # platforms that fetch by URL get ``url`` instead.
    local_path: str | None = None


@dataclass(frozen=True, slots=True)
class InboundEvent:
    """A message a contact wrote (or, with ``echo``, one sent from the account's phone app)."""

    platform_message_id: str
    sender_id: str
    text: str
    sent_at: datetime
    sender_name: str | None = None
    language_hint: str | None = None
    attachments: tuple[Attachment, ...] = ()
    reply_to_platform_id: str | None = None
    echo: bool = False
    kind: str = "message"  # message, reaction, edit, delete, echo


@dataclass(frozen=True, slots=True)
class StatusEvent:
    """A platform report about one of our outbound messages."""

    platform_message_id: str
    status: MessageStatus
    at: datetime
    error_code: str | None = None
    error_detail: str | None = None


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A reply ready for a platform: text already translated, guarded and approved."""

    message_id: str
    recipient_id: str
    text: str
    idempotency_key: str
    attachments: tuple[Attachment, ...] = ()
    reply_to_platform_id: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


# A receipt id with this prefix names no platform message: Telegram refused a resend as a
# duplicate of an attempt whose answer was lost ("random:<our random_id>").
PLACEHOLDER_ID_PREFIX = "random:"


@dataclass(frozen=True, slots=True)
class Receipt:
    """The platform's acceptance of an outbound message."""

    platform_message_id: str
    status: MessageStatus = MessageStatus.SENT
