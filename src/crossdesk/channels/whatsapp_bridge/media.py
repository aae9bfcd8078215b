"""Downloading media a customer sent through the WAHA bridge.

WAHA puts the file's URL (on the bridge itself, e.g. ``{bridge}/api/files/<session>/<id>.jpg``)
in ``payload.media.url``; fetching it needs the bridge's ``X-Api-Key``. The key is only ever
sent to the configured bridge: a URL on another host is refused.

Reference: https://waha.devlike.pro/docs/how-to/receive-messages/ (media ``url``,
``mimetype``, ``filename``).
"""

from urllib.parse import urlsplit

import httpx

from crossdesk.channels.base import AccountContext
from crossdesk.channels.whatsapp_bridge.api import base_url
from crossdesk.errors import InvalidInput, PermanentSendError


async def download_request(
    client: httpx.AsyncClient, account: AccountContext, file_id: str
) -> httpx.Request:
    """``file_id`` is the media URL WAHA gave; the request carries the API key."""
    try:
        bridge = urlsplit(base_url(account))
    except InvalidInput as exc:
        raise PermanentSendError(exc.message, reason="config") from None
    target = urlsplit(file_id)
    if (target.scheme, target.netloc) != (bridge.scheme, bridge.netloc):
        raise PermanentSendError(
            "the media URL is not on the account's bridge", reason="media_unavailable"
        )
    key = account.secrets.get("api_key", "")
    if not key:
        raise PermanentSendError("no WAHA API key is configured", reason="config")
    return client.build_request("GET", file_id, headers={"X-Api-Key": key})
