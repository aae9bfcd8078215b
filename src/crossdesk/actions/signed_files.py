"""Signed, expiring public URLs for files an agent sends, for platforms that fetch media by
URL instead of taking an upload (LINE's ``originalContentUrl``).

The URL is ``{CROSSDESK_WEB__PUBLIC_URL}/files/{attachment id}/{expires}/{signature}/{name}``:
the signature is an HMAC (a key derived from the secret key for this purpose only) over the
attachment id and the expiry, so URLs cannot be guessed, altered or extended. Only
attachments of outbound messages are ever served this way (see web/ui/outbound_file_views.py).
"""

import hashlib
import hmac
import time
from urllib.parse import quote

from crossdesk.config import Settings

SETTING = "CROSSDESK_WEB__PUBLIC_URL"
_PURPOSE = b"crossdesk outbound file url v1"


def _key(settings: Settings) -> bytes:
    return hmac.new(settings.resolved_secret_key(), _PURPOSE, hashlib.sha256).digest()


def _signature(settings: Settings, attachment_id: str, expires: int) -> str:
    message = f"{attachment_id}.{expires}".encode()
    return hmac.new(_key(settings), message, hashlib.sha256).hexdigest()


def public_base(settings: Settings) -> str | None:
    """The public https base URL, or None when none is configured."""
    base = settings.web.public_url.strip().rstrip("/")
    return base if base.startswith("https://") else None


def signed_url(
    settings: Settings, attachment_id: str, filename: str, *, now: float | None = None
) -> str | None:
    """A public URL for the file, or None without a public https base URL."""
    base = public_base(settings)
    if base is None:
        return None
    expires = int(
        (now if now is not None else time.time()) + settings.outbound_files.url_ttl_seconds
    )
    signature = _signature(settings, attachment_id, expires)
    return f"{base}/files/{attachment_id}/{expires}/{signature}/{quote(filename, safe='')}"


def valid(
    settings: Settings,
    attachment_id: str,
    expires: int,
    signature: str,
    *,
    now: float | None = None,
) -> bool:
    """True when the signature matches and the URL has not expired."""
    if expires < (now if now is not None else time.time()):
        return False
    expected = _signature(settings, attachment_id, expires)
    return hmac.compare_digest(expected, signature)
