"""Values and enums shared by every layer. No I/O here."""

from crossdesk.domain.enums import (
    ChannelKind,
    ConversationStatus,
    Direction,
    MessageStatus,
    Permission,
    Role,
    StageStatus,
)
from crossdesk.domain.events import (
    Attachment,
    InboundEvent,
    OutboundMessage,
    Receipt,
    StatusEvent,
)
from crossdesk.domain.ids import new_id

__all__ = [
    "Attachment",
    "ChannelKind",
    "ConversationStatus",
    "Direction",
    "InboundEvent",
    "MessageStatus",
    "OutboundMessage",
    "Permission",
    "Receipt",
    "Role",
    "StageStatus",
    "StatusEvent",
    "new_id",
]
