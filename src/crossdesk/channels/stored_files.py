"""Reading an outbound attachment's stored bytes for an upload (shared by the adapters)."""

import asyncio
from pathlib import Path

from crossdesk.domain import Attachment
from crossdesk.errors import PermanentSendError


async def read_stored(attachment: Attachment) -> bytes:
    """The stored bytes of an outbound attachment (read off the event loop); a missing file
    is permanent: retrying would not bring it back."""
    if not attachment.local_path:
        raise PermanentSendError("the attachment has no stored file", reason="invalid_message")
    try:
        return await asyncio.to_thread(Path(attachment.local_path).read_bytes)
    except OSError:
        raise PermanentSendError(
            "the attachment's stored file cannot be read", reason="file_missing"
        ) from None
