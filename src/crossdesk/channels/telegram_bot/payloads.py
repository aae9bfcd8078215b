"""Typed Telegram Bot API objects (the subset crossdesk reads) and the reply envelope.

References (each class names its section of https://core.telegram.org/bots/api):
    #update, #message, #user, #chat, #photosize, #document, #video, #audio, #voice,
    #videonote, #animation, #sticker, #location, #venue, #contact,
    #messagereactionupdated, #reactiontype, #making-requests (``ok``, ``result``,
    ``error_code``, ``description``, ``parameters``), #responseparameters.
"""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class TgModel(BaseModel):
    """Base for Bot API objects: frozen and tolerant of fields added by new API versions."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class User(TgModel):
    """#user"""

    id: int
    is_bot: bool = False
    first_name: str = ""
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


class Chat(TgModel):
    """#chat: ``type`` is private, group, supergroup or channel."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class File(TgModel):
    """Fields shared by #photosize, #document, #video, #audio, #voice, #videonote,
    #animation and #sticker."""

    file_id: str
    file_unique_id: str
    file_size: int | None = None
    file_name: str | None = None
    mime_type: str | None = None


class Sticker(File):
    """#sticker"""

    emoji: str | None = None
    is_animated: bool = False
    is_video: bool = False


class Location(TgModel):
    """#location"""

    latitude: float
    longitude: float


class Venue(TgModel):
    """#venue"""

    location: Location
    title: str
    address: str


class Contact(TgModel):
    """#contact"""

    phone_number: str
    first_name: str
    last_name: str | None = None


class Message(TgModel):
    """#message (the subset crossdesk reads)."""

    message_id: int
    from_: User | None = Field(default=None, alias="from")
    chat: Chat
    date: int
    edit_date: int | None = None
    text: str | None = None
    caption: str | None = None
    photo: tuple[File, ...] = ()
    document: File | None = None
    video: File | None = None
    audio: File | None = None
    voice: File | None = None
    video_note: File | None = None
    animation: File | None = None
    sticker: Sticker | None = None
    location: Location | None = None
    venue: Venue | None = None
    contact: Contact | None = None
    reply_to_message: "Message | None" = None
    media_group_id: str | None = None


class ReactionType(TgModel):
    """#reactiontype: ``emoji``, ``custom_emoji`` or ``paid``."""

    type: str
    emoji: str | None = None
    custom_emoji_id: str | None = None


class MessageReactionUpdated(TgModel):
    """#messagereactionupdated (only with ``allowed_updates`` including ``message_reaction``)."""

    chat: Chat
    message_id: int
    user: User | None = None
    date: int
    old_reaction: tuple[ReactionType, ...] = ()
    new_reaction: tuple[ReactionType, ...] = ()


class Update(TgModel):
    """#update: at most one of the optional fields is present."""

    update_id: int
    message: Message | None = None
    edited_message: Message | None = None
    channel_post: Message | None = None
    edited_channel_post: Message | None = None
    message_reaction: MessageReactionUpdated | None = None


class ResponseParameters(TgModel):
    """#responseparameters"""

    retry_after: int | None = None
    migrate_to_chat_id: int | None = None


class ApiResponse(TgModel):
    """#making-requests: every Bot API reply."""

    ok: bool
    result: Any = None  # Any: the method's result type, validated by the caller
    error_code: int | None = None
    description: str | None = None
    parameters: ResponseParameters | None = None


class SentMessage(TgModel):
    """The ``result`` of sendMessage / sendPhoto / sendDocument ... (a #message)."""

    message_id: int
    chat: Chat
    date: int
