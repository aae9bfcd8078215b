"""The file of an outbound bridge message: read from the attachment store and checked.

``Attachment.local_path`` is the absolute path of the stored bytes (filled by the composer
upload). Both bridges take the file inline as base64 in the JSON body, so the bytes are read
here (in a thread: file reads block) with the e-mail reader's checks: a missing, non-regular
or oversized file is a permanent error, retrying would not bring it back.

One file per WhatsApp message (the text becomes its caption), like the Cloud API adapter;
more is ``split_required``. Limits are WhatsApp's: 16 MB for photos, videos and voice, 100 MB
for documents, capped by the reader's 20 MiB (a base64 body of ~27 MB to the bridge).
"""

import asyncio
from dataclasses import dataclass

from crossdesk.channels.email.files import OutgoingFile, read_files
from crossdesk.domain import Attachment
from crossdesk.errors import PermanentSendError

MAX_MEDIA_BYTES = 16 * 1024 * 1024
MAX_CAPTION = 1024  # WhatsApp shows longer captions cut; refuse rather than cut silently
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


@dataclass(frozen=True, slots=True)
class BridgeFile:
    """What to send: the checked file and how the bridge should present it."""

    file: OutgoingFile
    kind: str  # image, video, audio, document

    @property
    def is_image(self) -> bool:
        return self.kind == "image"


def _kind(attachment: Attachment, content_type: str) -> str:
    major = content_type.split("/", 1)[0]
    if major == "image" and content_type not in IMAGE_TYPES:
        return "document"  # GIF, SVG, HEIC ...: WhatsApp shows them as files
    if attachment.kind in ("image", "video", "audio") and major == attachment.kind:
        return major
    return major if major in ("image", "video", "audio") else "document"


async def read_one(attachments: tuple[Attachment, ...], caption: str) -> BridgeFile:
    if len(attachments) > 1:
        raise PermanentSendError(
            "WhatsApp sends one attachment per message", reason="split_required"
        )
    if len(caption) > MAX_CAPTION:
        raise PermanentSendError(
            f"caption longer than {MAX_CAPTION} characters", reason="text_too_long"
        )
    attachment = attachments[0]
    (file,) = await asyncio.to_thread(read_files, (attachment,))
    kind = _kind(attachment, file.content_type)
    if kind != "document" and len(file.data) > MAX_MEDIA_BYTES:
        raise PermanentSendError(
            "photos, videos and voice notes over 16 MB cannot be sent on WhatsApp",
            reason="attachment_too_large",
        )
    return BridgeFile(file, kind)
