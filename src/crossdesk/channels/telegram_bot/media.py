"""Downloading a Telegram file (photo, document, voice, ...) that a customer sent.

Reference: https://core.telegram.org/bots/api#getfile — ``getFile(file_id)`` returns a
``File`` with ``file_path``; the bytes are at ``{api_base_url}/file/bot{token}/{file_path}``
(valid for at least an hour). Bots may download files of up to 20 MB.
"""

import httpx

from crossdesk.channels.base import AccountContext
from crossdesk.channels.telegram_bot.api import DEFAULT_API_BASE, bot_token, call
from crossdesk.errors import PermanentSendError

MAX_BOT_DOWNLOAD = 20 * 1024 * 1024


async def download_request(
    client: httpx.AsyncClient, account: AccountContext, file_id: str
) -> httpx.Request:
    """The request that fetches the file's bytes (getFile first).

    Raises PermanentSendError (unknown file, file too big for bots) or RetryableSendError.
    """
    result = await call(client, account, "getFile", {"file_id": file_id})
    file_path = result.get("file_path") if isinstance(result, dict) else None
    if not isinstance(file_path, str) or not file_path or ".." in file_path.split("/"):
        raise PermanentSendError(
            "Telegram returned no downloadable file_path (files over 20 MB cannot be fetched "
            "by bots)",
            reason="media_unavailable",
        )
    base = account.config.get("api_base_url", DEFAULT_API_BASE).rstrip("/")
    return client.build_request("GET", f"{base}/file/bot{bot_token(account)}/{file_path}")
