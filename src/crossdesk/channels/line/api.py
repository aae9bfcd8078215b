"""LINE Messaging API calls and error mapping.

References:
    https://developers.line.biz/en/reference/messaging-api/#send-push-message
    https://developers.line.biz/en/reference/messaging-api/#send-reply-message
    https://developers.line.biz/en/docs/messaging-api/retrying-api-request/ (X-Line-Retry-Key:
    a UUID; once a request with it is accepted, repeats get 409 and are not executed)
    https://developers.line.biz/en/reference/messaging-api/#status-codes (400, 401, 403, 409,
    410, 413, 415, 429 rate limit or monthly quota, 500)
"""

import uuid
from typing import Any

import httpx
from pydantic import ValidationError

from crossdesk.channels.base import AccountContext
from crossdesk.channels.line.payloads import ErrorBody, SendReply
from crossdesk.errors import PermanentSendError, RetryableSendError, SendError

DEFAULT_API_BASE = "https://api.line.me"
_RETRY_KEY_NAMESPACE = uuid.UUID("6f1c2bde-4c55-4d3a-9a0f-2f6f3c1d0a11")


def retry_key(idempotency_key: str) -> str:
    """A stable UUID for ``X-Line-Retry-Key``: the key itself if it is a UUID."""
    try:
        return str(uuid.UUID(idempotency_key))
    except ValueError:
        return str(uuid.uuid5(_RETRY_KEY_NAMESPACE, idempotency_key))


def access_token(account: AccountContext) -> str:
    token = account.secrets.get("channel_access_token")
    if not token:
        raise PermanentSendError(
            "no channel_access_token is configured for this account", reason="config"
        )
    return token


async def post(
    client: httpx.AsyncClient,
    account: AccountContext,
    path: str,
    body: dict[str, Any],
    *,
    key: str | None = None,
) -> SendReply:
    """POST to ``{api_base_url}{path}``; return the ``sentMessages`` reply or raise.

    ``body`` is Any-valued JSON. A 409 to a request with a retry key means an earlier
    attempt was accepted: it is returned as success, carrying the ``sentMessages`` LINE
    reports for the accepted request.
    """
    base = account.config.get("api_base_url", DEFAULT_API_BASE).rstrip("/")
    headers = {"Authorization": f"Bearer {access_token(account)}"}
    if key is not None:
        headers["X-Line-Retry-Key"] = key
    try:
        response = await client.post(base + path, json=body, headers=headers)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise RetryableSendError(
            f"could not connect: {type(exc).__name__}", outcome="not_sent"
        ) from exc
    except httpx.TransportError as exc:
        raise RetryableSendError(
            f"no reply from LINE: {type(exc).__name__}", outcome="unknown"
        ) from exc
    if response.is_success or (response.status_code == 409 and key is not None):
        try:
            return SendReply.model_validate_json(response.content or b"{}")
        except ValidationError:
            raise RetryableSendError("LINE reply is unreadable", outcome="unknown") from None
    raise api_error(response)


def api_error(response: httpx.Response) -> SendError:
    """Map a failed LINE reply to a permanent or retryable error."""
    status = response.status_code
    try:
        error: ErrorBody | None = ErrorBody.model_validate_json(response.content)
    except ValidationError:
        error = None
    description = error.message if error is not None else f"HTTP {status}"
    fields: dict[str, Any] = {"http_status": status}
    request_id = response.headers.get("x-line-request-id")
    if request_id:
        fields["line_request_id"] = request_id
    message = f"LINE API error {status}: {description}"
    if status == 429 and "monthly limit" not in description.lower():
        return RetryableSendError(message, retry_after=_retry_after(response), **fields)
    if status >= 500:
        return RetryableSendError(message, retry_after=_retry_after(response), **fields)
    reasons = {401: "access_token_invalid", 403: "permission_missing", 404: "recipient_unknown"}
    reason = reasons.get(status, "rejected")
    if status == 429:
        reason = "quota_exhausted"
    elif status == 400 and "reply token" in description.lower():
        reason = "reply_token_invalid"
    return PermanentSendError(message, reason=reason, **fields)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
