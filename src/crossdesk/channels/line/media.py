"""Downloading LINE message content (image, video, audio, file) that a customer sent.

Reference: https://developers.line.biz/en/reference/messaging-api/#get-content —
``GET https://api-data.line.me/v2/bot/message/{messageId}/content`` with the channel access
token. Content is kept by LINE for a limited time; a video or audio still being prepared is
answered 202 (the caller retries). Content from an external provider
(``contentProvider.type == "external"``) is at its own URL instead.

Config: ``data_api_base_url`` (default ``https://api-data.line.me``; when only
``api_base_url`` is set, as with the test fakes, that host serves content too).
"""

import httpx

from crossdesk.channels.base import AccountContext
from crossdesk.channels.line.api import access_token

DEFAULT_DATA_API_BASE = "https://api-data.line.me"


def content_url(account: AccountContext, message_id: str) -> str:
    base = account.config.get("data_api_base_url") or account.config.get(
        "api_base_url", DEFAULT_DATA_API_BASE
    )
    return f"{base.rstrip('/')}/v2/bot/message/{message_id}/content"


async def download_request(
    client: httpx.AsyncClient, account: AccountContext, message_id: str
) -> httpx.Request:
    headers = {"Authorization": f"Bearer {access_token(account)}"}
    return client.build_request("GET", content_url(account, message_id), headers=headers)
