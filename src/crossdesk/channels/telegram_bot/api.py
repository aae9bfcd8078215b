"""Calling Bot API methods and mapping their errors.

Reference: https://core.telegram.org/bots/api#making-requests — requests go to
``{api_base_url}/bot{token}/{method}``; every reply is ``{"ok": ..., "result": ...}`` or
``{"ok": false, "error_code": ..., "description": ..., "parameters": {...}}``; a 429 carries
``parameters.retry_after`` (seconds to wait, "flood control").

The HTTP client is passed in by the caller, configured with the account's proxy.
"""

import json
from typing import Any

import httpx
from pydantic import ValidationError

from crossdesk.channels.base import AccountContext
from crossdesk.channels.stored_files import read_stored
from crossdesk.channels.telegram_bot.payloads import ApiResponse
from crossdesk.domain import Attachment
from crossdesk.errors import PermanentSendError, RetryableSendError, SendError

DEFAULT_API_BASE = "https://api.telegram.org"


def bot_token(account: AccountContext) -> str:
    """The account's bot token, or a permanent refusal if it is not configured."""
    token = account.secrets.get("bot_token")
    if not token:
        raise PermanentSendError("no bot_token is configured for this account", reason="config")
    return token


def method_url(account: AccountContext, method: str) -> str:
    """``{api_base_url}/bot{token}/{method}``."""
    base = account.config.get("api_base_url", DEFAULT_API_BASE).rstrip("/")
    return f"{base}/bot{bot_token(account)}/{method}"


async def call(
    client: httpx.AsyncClient,
    account: AccountContext,
    method: str,
    params: dict[str, Any],
    *,
    long_poll: float | None = None,
) -> Any:
    """Call one Bot API method with a JSON body and return its ``result``.

    ``params`` and the return value are Any: each method has its own JSON shapes.

    Raises:
        PermanentSendError: 400/401/403/404/409 replies (``reason`` says which).
        RetryableSendError: 429 (``retry_after`` from ``parameters``), 5xx, transport errors
            (``outcome="not_sent"`` if no connection was made, else ``"unknown"``).
    """
    url = method_url(account, method)
    # A long poll holds the request open: the read timeout must outlast it.
    request_timeout = httpx.Timeout(long_poll + 10.0) if long_poll is not None else None
    if request_timeout is not None:
        return await _post(client, url, method, json=params, timeout=request_timeout)
    return await _post(client, url, method, json=params)


async def call_upload(
    client: httpx.AsyncClient,
    account: AccountContext,
    method: str,
    params: dict[str, Any],
    field: str,
    attachment: Attachment,
) -> Any:
    """Call a send method as ``multipart/form-data`` with the stored file as ``field`` (an
    InputFile upload); other parameters are form fields, objects JSON-serialised, as the Bot
    API asks. Errors as ``call``."""
    content = await read_stored(attachment)
    data = {
        key: value if isinstance(value, str) else json.dumps(value) for key, value in params.items()
    }
    files = {
        field: (
            attachment.filename or "file",
            content,
            attachment.content_type or "application/octet-stream",
        )
    }
    # Uploads of up to 50 MB need more than the client's default read timeout.
    return await _post(
        client,
        method_url(account, method),
        method,
        data=data,
        files=files,
        timeout=httpx.Timeout(120.0, connect=5.0),
    )


async def _post(client: httpx.AsyncClient, url: str, method: str, **kwargs: Any) -> Any:
    """POST and unwrap ``result`` (``kwargs``: httpx's request keywords)."""
    try:
        response = await client.post(url, **kwargs)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise RetryableSendError(
            f"could not connect: {type(exc).__name__}", outcome="not_sent"
        ) from exc
    except httpx.TransportError as exc:
        raise RetryableSendError(
            f"no reply from Telegram: {type(exc).__name__}", outcome="unknown"
        ) from exc
    try:
        reply = ApiResponse.model_validate_json(response.content)
    except ValidationError:
        reply = None
    if reply is not None and reply.ok and response.is_success:
        return reply.result
    raise api_error(response.status_code, reply, method)


def api_error(status: int, reply: ApiResponse | None, method: str) -> SendError:
    """Map a failed Bot API reply to a permanent or retryable error."""
    code = reply.error_code if reply is not None and reply.error_code else status
    description = (reply.description if reply is not None else None) or f"HTTP {status}"
    params = reply.parameters if reply is not None else None
    message = f"Telegram {method} failed ({code}): {description}"
    if code == 429 or status == 429:
        delay = float(params.retry_after) if params and params.retry_after is not None else None
        return RetryableSendError(message, retry_after=delay, platform_code=code)
    if code >= 500 or status >= 500 or reply is None:
        return RetryableSendError(message, platform_code=code)
    if params is not None and params.migrate_to_chat_id is not None:
        # The group became a supergroup: the conversation must move to the new chat id.
        return PermanentSendError(
            message,
            reason="chat_migrated",
            platform_code=code,
            migrate_to_chat_id=params.migrate_to_chat_id,
        )
    lowered = description.lower()
    if code == 403:
        reason = "recipient_blocked"
    elif code in (401, 404) and method != "getFile":
        reason = "access_token_invalid"
    elif code == 409:
        reason = "conflict"
    elif "chat not found" in lowered or "user not found" in lowered:
        reason = "recipient_unknown"
    else:
        reason = "rejected"
    return PermanentSendError(message, reason=reason, platform_code=code)
