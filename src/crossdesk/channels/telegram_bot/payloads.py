"""Typed Telegram Bot API objects (the subset crossdesk reads) and the reply envelope.

References (each class names its section of https://core.telegram.org/bots/api):
    #update, #message, #user, #chat, #photosize, #document, #video, #audio, #voice,
    #videonote, #animation, #sticker, #location, #venue, #contact, #poll, #dice, #game,
    #story, #invoice, #messagereactionupdated, #reactiontype, #making-requests (``ok``, ``result``,
    ``error_code``, ``description``, ``parameters``), #responseparameters.
"""

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

# Unix seconds, bounded so a hostile value cannot overflow ``datetime``.
Seconds = Annotated[int, Field(ge=0, le=253_402_300_799)]
# Ids and sizes are at most 64-bit integers (chat ids have up to 52 significant bits).
Int64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]


class TgModel(BaseModel):
    """Base for Bot API objects: frozen and tolerant of fields added by new API versions."""

    model_config = ConfigDict(
        extra="ignore", frozen=True, populate_by_name=True, allow_inf_nan=False
    )  # NaN / Infinity coordinates are a malformed body, not a place


class User(TgModel):
    """#user"""

    id: Int64
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

    id: Int64
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
    file_size: Int64 | None = None
    file_name: str | None = None
    mime_type: str | None = None
    width: int | None = None  # #photosize
    height: int | None = None


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


class PollOption(TgModel):
    """#polloption"""

    text: str


class Poll(TgModel):
    """#poll"""

    question: str
    options: tuple[PollOption, ...] = ()


class Dice(TgModel):
    """#dice"""

    emoji: str
    value: int


class Titled(TgModel):
    """#game, #invoice, #checklist: only the title is shown."""

    title: str = ""


class Message(TgModel):
    """#message (the subset crossdesk reads)."""

    message_id: Int64
    from_: User | None = Field(default=None, alias="from")
    sender_chat: Chat | None = None
    chat: Chat
    date: Seconds
    edit_date: Seconds | None = None
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
    poll: Poll | None = None
    dice: Dice | None = None
    game: Titled | None = None
    invoice: Titled | None = None
    checklist: Titled | None = None
    story: dict[str, Any] | None = None  # Any: only its presence matters
    paid_media: dict[str, Any] | None = None  # Any: only its presence matters
    giveaway: dict[str, Any] | None = None  # Any: only its presence matters
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
    message_id: Int64
    user: User | None = None
    actor_chat: Chat | None = None  # reactions made anonymously on behalf of a chat
    date: Seconds
    old_reaction: tuple[ReactionType, ...] = ()
    new_reaction: tuple[ReactionType, ...] = ()


class Update(TgModel):
    """#update: at most one of the optional fields is present.

    Only the kinds crossdesk files are typed; ``callback_query``, ``my_chat_member``,
    ``chat_member``, ``chat_join_request``, ``message_reaction_count``, ``poll``,
    ``poll_answer``, ``inline_query``, business updates, boosts ... are accepted and
    ignored.
    """

    update_id: Int64
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
