"""Downloading WhatsApp Cloud API media that a customer sent.

Reference: https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media —
``GET /{media-id}?phone_number_id=...`` with the access token returns ``{"url", "mime_type",
"sha256", "file_size", "id"}``; the ``url`` (valid five minutes) is fetched with the same
``Authorization: Bearer`` header.
"""

import httpx

from crossdesk.channels.base import AccountContext
from crossdesk.channels.meta.graph import access_token, api_url, graph_error
from crossdesk.channels.whatsapp.adapter import DEFAULT_API_BASE
from crossdesk.errors import PermanentSendError, RetryableSendError


async def download_request(
    client: httpx.AsyncClient, account: AccountContext, media_id: str
) -> httpx.Request:
    """Resolve the media id to its short-lived URL and return the authenticated GET."""
    headers = {"Authorization": f"Bearer {access_token(account)}"}
    url = api_url(account, DEFAULT_API_BASE, media_id)
    try:
        response = await client.get(
            url, params={"phone_number_id": account.external_id}, headers=headers
        )
    except httpx.TransportError as exc:
        raise RetryableSendError(
            f"no reply from Graph: {type(exc).__name__}", outcome="not_sent"
        ) from exc
    if not response.is_success:
        raise graph_error(response)
    try:
        body = response.json()
    except ValueError:
        body = None
    media_url = body.get("url") if isinstance(body, dict) else None
    if not isinstance(media_url, str) or not media_url.startswith(("https://", "http://")):
        raise PermanentSendError("Graph returned no media URL", reason="media_unavailable")
    return client.build_request("GET", media_url, headers=headers)
