"""Typed Messenger Platform / Instagram messaging webhook payloads and Send API replies.

References:
    https://developers.facebook.com/docs/messenger-platform/reference/webhook-events
    (``messages``, ``message_echoes``, ``message_deliveries``, ``message_reads``,
    ``message_reactions``, ``message_edits``, ``messaging_postbacks``,
    ``messaging_referrals``, ``messaging_optins``, ``messaging_handovers``, ``standby``,
    ``messaging_policy_enforcement``),
    https://developers.facebook.com/docs/instagram-platform/webhooks/examples
    (Instagram: ``messaging_seen`` carries ``read.mid``; ``is_deleted``, ``is_unsupported``,
    ``reply_to.story``; attachments ``share``, ``story_mention``, ``ig_reel``, ``reel``),
    https://developers.facebook.com/docs/messenger-platform/reference/send-api (reply body).

Models ignore unknown fields (Meta adds fields without notice) but require what we rely on,
so a body missing them is reported as invalid rather than silently dropped.
"""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Milliseconds since the epoch, bounded so a hostile value cannot overflow ``datetime``.
Millis = Annotated[int, Field(ge=0, le=253_402_300_799_999)]


class MetaModel(BaseModel):
    """Base for Meta payload models: frozen, tolerant of new fields, ids as strings."""

    model_config = ConfigDict(
        extra="ignore", frozen=True, coerce_numbers_to_str=True, allow_inf_nan=False
    )  # NaN / Infinity coordinates are a malformed body, not a place


class Party(MetaModel):
    """``sender`` / ``recipient``: a PSID, IGSID, page id or Instagram account id.

    Opt-ins and postbacks from the checkbox plugin carry a ``user_ref`` instead of an id.
    """

    id: str | None = None
    user_ref: str | None = None


class Coordinates(MetaModel):
    lat: float
    long: float


class AttachmentPayload(MetaModel):
    url: str | None = None
    title: str | None = None
    sticker_id: str | None = None
    reel_video_id: str | None = None
    coordinates: Coordinates | None = None


class MessageAttachment(MetaModel):
    """``message.attachments[]``: image, video, audio, file, location, fallback, template,
    share, story_mention, ig_reel, reel, ig_post ..."""

    type: str
    payload: AttachmentPayload | None = None
    title: str | None = None
    url: str | None = None  # ``fallback`` attachments may put the link here


class Story(MetaModel):
    """``reply_to.story`` (Instagram): the account's story the customer replied to."""

    id: str | None = None
    url: str | None = None


class ReplyTo(MetaModel):
    """``reply_to``: a message (``mid``) or, on Instagram, a story."""

    mid: str | None = None
    story: Story | None = None


class QuickReply(MetaModel):
    payload: str


class Message(MetaModel):
    """``message``: a customer's message, or with ``is_echo`` one sent by the account."""

    mid: str
    text: str | None = None
    attachments: tuple[MessageAttachment, ...] = ()
    is_echo: bool = False
    is_deleted: bool = False
    is_unsupported: bool = False
    app_id: str | None = None
    metadata: str | None = None
    reply_to: ReplyTo | None = None
    quick_reply: QuickReply | None = None


class Delivery(MetaModel):
    """``delivery`` (Messenger ``message_deliveries``); ``mids`` may be absent."""

    mids: tuple[str, ...] = ()
    watermark: Millis


class Read(MetaModel):
    """``read``: Messenger sends a ``watermark``; Instagram (``messaging_seen``) a ``mid``."""

    watermark: Millis | None = None
    mid: str | None = None


class Reaction(MetaModel):
    """``reaction`` (``message_reactions``); an ``unreact`` may omit emoji and reaction."""

    mid: str
    action: Literal["react", "unreact"]
    reaction: str | None = None
    emoji: str | None = None


class MessageEdit(MetaModel):
    """``message_edit`` (``message_edits``)."""

    mid: str
    text: str = ""
    num_edit: int = 0


class Postback(MetaModel):
    """``postback`` (``messaging_postbacks``); ``mid`` since v11.0."""

    mid: str | None = None
    title: str | None = None
    payload: str | None = None


class MessagingEvent(MetaModel):
    """One element of ``entry[].messaging[]`` (or ``entry[].standby[]``).

    Only the objects crossdesk turns into events are typed. ``referral``
    (``messaging_referrals``), ``optin``, ``account_linking``, ``pass_thread_control`` /
    ``take_thread_control`` / ``request_thread_control`` (handover), ``app_roles``,
    ``policy_enforcement`` (no ``sender`` at all), ``game_play``, ``response_feedback`` and
    whatever Meta adds later are accepted and ignored.
    """

    sender: Party | None = None
    recipient: Party | None = None
    timestamp: Millis | None = None  # the reference's delivery example has none
    message: Message | None = None
    delivery: Delivery | None = None
    read: Read | None = None
    reaction: Reaction | None = None
    message_edit: MessageEdit | None = None
    postback: Postback | None = None

    @model_validator(mode="after")
    def _message_has_a_contact(self) -> "MessagingEvent":
        """A message is filed under its contact: the sender, or for an echo the recipient."""
        if self.message is not None:
            party = self.recipient if self.message.is_echo else self.sender
            if party is None or not party.id:
                side = "recipient" if self.message.is_echo else "sender"
                raise ValueError(f"a message needs {side}.id")
        return self


# ``changes[].field`` names whose ``value`` is a messaging event: the shape of the
# reference's examples and of the App Dashboard's test notifications.
MESSAGING_FIELDS = frozenset(
    {
        "messages",
        "message_echoes",
        "message_deliveries",
        "message_reads",
        "message_reactions",
        "message_edits",
        "message_edit",
        "messaging_seen",
        "messaging_postbacks",
        "messaging_referral",
        "messaging_referrals",
        "messaging_optins",
        "messaging_handover",
        "messaging_handovers",
        "messaging_account_linking",
        "messaging_policy_enforcement",
        "standby",
    }
)


class Entry(MetaModel):
    """``entry[]``: ``id`` is the page id (Messenger) or Instagram account id.

    ``standby`` holds the same events as ``messaging`` while another app owns the thread
    (handover protocol). ``changes`` whose ``field`` is a messaging field carry one such
    event as ``value``; other changes (feed, comments, mentions) are ignored.
    """

    id: str
    time: Millis | None = None
    messaging: tuple[MessagingEvent, ...] = ()
    standby: tuple[MessagingEvent, ...] = ()
    messaging_changes: tuple[MessagingEvent, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _pick_messaging_changes(cls, data: Any) -> Any:  # Any: raw JSON before validation
        if not isinstance(data, dict) or not isinstance(data.get("changes"), list):
            return data
        picked = [
            change.get("value")
            for change in data["changes"]
            if isinstance(change, dict)
            and isinstance(change.get("field"), str)  # any JSON value may arrive here
            and change["field"] in MESSAGING_FIELDS
        ]
        return {**data, "messaging_changes": picked}


class WebhookBody(MetaModel):
    """The POST body: ``object`` is ``page`` for Messenger and ``instagram`` for Instagram."""

    object: str
    entry: tuple[Entry, ...]


class SendReply(MetaModel):
    """Send API success reply."""

    recipient_id: str | None = None
    message_id: str
