"""Building a Telethon client for one account, and turning its messages into events."""

from datetime import UTC, datetime
from typing import Any

from telethon import TelegramClient
from telethon.sessions import StringSession
from telethon.tl import types

from crossdesk.channels.telegram_user.settings import TelegramUserSettings
from crossdesk.domain import Attachment, InboundEvent

DEVICE = "crossdesk"


def make_client(settings: TelegramUserSettings, *, session: str | None = None) -> Any:
    """A disconnected client; FLOOD_WAIT is raised to us (never slept inside Telethon) so the
    outbox can schedule the retry and other accounts keep working."""
    string_session = StringSession(session if session is not None else settings.session)
    if settings.endpoint is not None and not string_session.auth_key:
        endpoint = settings.endpoint
        string_session.set_dc(endpoint.dc_id, endpoint.host, endpoint.port)
    return TelegramClient(
        string_session,
        settings.api_id,
        settings.api_hash,
        proxy=settings.proxy,
        flood_sleep_threshold=0,
        device_model=DEVICE,
        app_version="1.0",
        connection_retries=2,
        request_retries=1,
        receive_updates=True,
        sequential_updates=True,  # one account's messages are stored in the order sent
        raise_last_call_error=True,  # the real RPC error, not "unsuccessful N times"
    )


def peer_reference(user_id: int, access_hash: int) -> str:
    """The contact id we store: Telegram needs the user's access hash (specific to our
    account, stable) to message a user, and a fresh client has no entity cache."""
    return f"{user_id}:{access_hash}"


def parse_peer_reference(reference: str) -> tuple[int, int]:
    user_id, _, access_hash = reference.partition(":")
    try:
        return int(user_id), int(access_hash)
    except ValueError:
        raise ValueError("not a Telegram user reference (user_id:access_hash)") from None


def message_event(message: Any, peer: Any) -> InboundEvent | None:
    """A private message (incoming, or sent from the phone app) as an event; None otherwise.
    ``peer`` is the other user of the private chat (the contact)."""
    if not message.is_private or peer is None or getattr(peer, "bot", False):
        return None
    if getattr(peer, "is_self", False) or getattr(peer, "access_hash", None) is None:
        return None
    text = message.raw_text or ""
    attachment = media_attachment(message.media)
    if not text.strip() and attachment is None:
        return None  # nothing we can show (service messages, polls, contacts, ...)
    name = " ".join(p for p in (peer.first_name, peer.last_name) if p) or None
    sent_at = message.date if isinstance(message.date, datetime) else datetime.now(UTC)
    return InboundEvent(
        platform_message_id=str(message.id),
        sender_id=peer_reference(peer.id, peer.access_hash),
        text=text,
        sent_at=sent_at,
        sender_name=name,
        reply_to_platform_id=str(message.reply_to_msg_id) if message.reply_to_msg_id else None,
        attachments=(attachment,) if attachment is not None else (),
        echo=bool(message.out),
        kind="echo" if message.out else "message",
    )


def largest_photo_size(photo: Any) -> Any:
    """The biggest downloadable size of a photo (what Telethon downloads by default); None
    when it has none. Inline previews (stripped, cached) and vector outlines are skipped."""
    sizes = [
        size
        for size in getattr(photo, "sizes", None) or []
        if isinstance(size, types.PhotoSize | types.PhotoSizeProgressive)
    ]
    return max(sizes, key=photo_size_bytes, default=None)


def photo_size_bytes(size: Any) -> int:
    if isinstance(size, types.PhotoSizeProgressive):
        return max(size.sizes, default=0)
    return int(getattr(size, "size", 0))


def media_attachment(media: Any) -> Attachment | None:
    """Metadata of a photo or document (voice notes, audio, video, stickers and GIFs are
    documents in MTProto); None for anything else (web page previews, locations, ...).
    The bytes are fetched by the worker over the account's own connection."""
    if isinstance(media, types.MessageMediaPhoto) and isinstance(media.photo, types.Photo):
        largest = largest_photo_size(media.photo)
        if largest is None:
            return None
        return Attachment(
            kind="image",
            content_type="image/jpeg",  # Telegram re-encodes every photo as JPEG
            size=photo_size_bytes(largest),
            platform_file_id=f"photo:{media.photo.id}",
        )
    if isinstance(media, types.MessageMediaDocument) and isinstance(media.document, types.Document):
        document = media.document
        kind, filename = _document_kind(document.attributes or [])
        return Attachment(
            kind=kind,
            content_type=document.mime_type or None,
            filename=filename,
            size=document.size,
            platform_file_id=f"document:{document.id}",
        )
    return None


def _document_kind(attributes: list[Any]) -> tuple[str, str | None]:
    kind, filename = "document", None
    for attribute in attributes:
        if isinstance(attribute, types.DocumentAttributeFilename):
            filename = attribute.file_name
        elif isinstance(attribute, types.DocumentAttributeSticker):
            kind = "sticker"
        elif isinstance(attribute, types.DocumentAttributeAudio) and kind == "document":
            kind = "audio"  # voice notes too
        elif isinstance(attribute, types.DocumentAttributeVideo) and kind == "document":
            kind = "video"  # round video messages and GIFs (sent as silent MP4) too
    return kind, filename
