"""Graph API calls and error mapping shared by Messenger, Instagram and WhatsApp Cloud API.

References:
    https://developers.facebook.com/docs/graph-api/guides/error-handling (error body shape,
    codes 1, 2, 4, 17, 32, 190, 613; "Transient" errors),
    https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes (130429,
    131000, 131016, 131026, 131047, 131048, 131049, 131056, 131057, 132000, 132001, ...),
    https://developers.facebook.com/docs/messenger-platform/error-codes (551, 1200, 10/2018278,
    100/2018001).

The HTTP client is passed in by the caller, who configures the account's outbound proxy on
it; this module never builds its own client.
"""

import logging
from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from crossdesk.channels.base import AccountContext
from crossdesk.channels.stored_files import read_stored
from crossdesk.domain import Attachment
from crossdesk.errors import PermanentSendError, RetryableSendError, SendError

logger = logging.getLogger(__name__)

DEFAULT_API_VERSION = "v21.0"

# Graph error code → seconds to wait before retrying (None: the caller's own backoff).
# Meta sends no Retry-After for these, so the delays follow the documented limits.
_RETRYABLE: dict[int, float | None] = {
    1: None,  # API Unknown: "possibly a temporary issue due to downtime"
    2: None,  # API Service: temporary downtime
    4: 60.0,  # application request limit reached
    17: 60.0,  # user request limit reached
    32: 60.0,  # page request limit reached
    613: 60.0,  # calls within one hour exceeded the rate limit
    80007: 60.0,  # WhatsApp Business Account rate limit
    1200: None,  # Messenger: temporary send message failure
    130429: 5.0,  # WhatsApp: Cloud API throughput reached
    131000: None,  # WhatsApp: something went wrong
    131016: 30.0,  # WhatsApp: service unavailable
    131056: 6.0,  # WhatsApp: (business, consumer) pair rate limit, one message per ~6 s
    131057: 300.0,  # WhatsApp: business account in maintenance mode
    133004: 30.0,  # WhatsApp: server temporarily unavailable
}

# Well-known permanent codes → a stable reason the UI can explain.
_REASONS: dict[tuple[int, int | None], str] = {
    (131047, None): "window_closed",
    (10, 2018278): "window_closed",
    (131026, None): "undeliverable",
    (131049, None): "ecosystem_limit",
    (131048, None): "spam_rate_limit",
    (131050, None): "recipient_opted_out",
    (131030, None): "recipient_not_allowed",
    (131051, None): "unsupported_message_type",
    (131052, None): "media_download_failed",
    (131053, None): "media_upload_failed",
    (132000, None): "template_parameter_mismatch",
    (132001, None): "template_missing",
    (132012, None): "template_parameter_format_mismatch",
    (132015, None): "template_paused",
    (132016, None): "template_disabled",
    (133010, None): "number_not_registered",
    (368, None): "policy_block",
    (551, None): "recipient_unavailable",
    (100, 2018001): "recipient_unknown",
    (100, None): "invalid_parameter",
    (190, None): "access_token_invalid",
    (200, None): "permission_missing",
    (10, None): "permission_missing",
}


class GraphErrorDetail(BaseModel):
    """``error`` object of a Graph API error body."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    message: str = ""
    type: str | None = None
    code: int = 0
    error_subcode: int | None = None
    error_user_title: str | None = None
    fbtrace_id: str | None = None
    error_data: dict[str, Any] | str | None = None  # Any: free-form per product


class GraphErrorBody(BaseModel):
    """A Graph API error response: ``{"error": {...}}``."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    error: GraphErrorDetail


def api_url(account: AccountContext, default_base: str, *parts: str) -> str:
    """Build ``{api_base_url}/{api_version}/{parts...}`` from the account config."""
    base = account.config.get("api_base_url", default_base).rstrip("/")
    version = account.config.get("api_version", DEFAULT_API_VERSION).strip("/")
    return "/".join([base, version, *parts])


def access_token(account: AccountContext) -> str:
    """Return the account's Graph access token or refuse the send permanently."""
    token = account.secrets.get("access_token")
    if not token:
        raise PermanentSendError("no access_token is configured for this account", reason="config")
    return token


async def post_json(
    client: httpx.AsyncClient, url: str, token: str, body: Mapping[str, Any]
) -> dict[str, Any]:
    """POST ``body`` to the Graph API and return the JSON reply, or raise a SendError.

    Connection failures are retryable with ``outcome="not_sent"``; failures after the request
    may have reached Meta (timeouts, dropped connections) carry ``outcome="unknown"`` so the
    caller can decide whether a resend could duplicate the message.
    """
    headers = {"Authorization": f"Bearer {token}"}
    response = await send_request(client, "POST", url, headers=headers, json=body)
    if response.is_success:
        try:
            data = response.json()
        except ValueError:
            raise RetryableSendError(
                "Graph API accepted the request but sent an unreadable reply", outcome="unknown"
            ) from None
        if not isinstance(data, dict):
            raise RetryableSendError("Graph API reply is not an object", outcome="unknown")
        return data
    raise graph_error(response)


async def post_multipart(
    client: httpx.AsyncClient,
    url: str,
    token: str,
    data: Mapping[str, str],
    field: str,
    attachment: Attachment,
) -> dict[str, Any]:
    """POST a multipart form with the attachment's stored bytes as ``field`` and return the
    JSON reply, or raise a SendError (the same mapping as ``post_json``)."""
    content = await read_stored(attachment)
    files = {
        field: (
            attachment.filename or "file",
            content,
            attachment.content_type or "application/octet-stream",
        )
    }
    headers = {"Authorization": f"Bearer {token}"}
    response = await send_request(
        client,
        "POST",
        url,
        headers=headers,
        data=dict(data),
        files=files,
        timeout=httpx.Timeout(120.0, connect=5.0),  # uploads of up to 100 MB
    )
    if response.is_success:
        try:
            reply = response.json()
        except ValueError:
            reply = None
        if not isinstance(reply, dict):
            raise RetryableSendError("Graph API upload reply is unreadable", outcome="unknown")
        return reply
    raise graph_error(response)


async def send_request(
    client: httpx.AsyncClient, method: str, url: str, **kwargs: Any
) -> httpx.Response:
    """Issue one request, translating transport failures into ``RetryableSendError``.

    ``kwargs`` are passed to ``httpx.AsyncClient.request`` (Any: its keyword surface).
    """
    try:
        return await client.request(method, url, **kwargs)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise RetryableSendError(
            f"could not connect: {type(exc).__name__}", outcome="not_sent"
        ) from exc
    except httpx.TransportError as exc:
        raise RetryableSendError(
            f"no reply from the platform: {type(exc).__name__}", outcome="unknown"
        ) from exc


def retry_after_header(response: httpx.Response) -> float | None:
    """Seconds from a numeric ``Retry-After`` header, if present."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def graph_error(response: httpx.Response) -> SendError:
    """Map a failed Graph API response to a permanent or retryable send error."""
    try:
        detail: GraphErrorDetail | None = GraphErrorBody.model_validate_json(response.content).error
    except ValidationError:
        detail = None
    header_delay = retry_after_header(response)
    if detail is None:
        if response.status_code == 429 or response.status_code >= 500:
            return RetryableSendError(
                f"Graph API HTTP {response.status_code}",
                retry_after=header_delay,
                http_status=response.status_code,
            )
        return PermanentSendError(
            f"Graph API HTTP {response.status_code}", http_status=response.status_code
        )
    fields: dict[str, Any] = {
        "platform_code": detail.code,
        "http_status": response.status_code,
    }
    if detail.error_subcode is not None:
        fields["platform_subcode"] = detail.error_subcode
    if detail.fbtrace_id:
        fields["fbtrace_id"] = detail.fbtrace_id
    message = f"Graph API error {detail.code}: {detail.message}"
    if detail.code in _RETRYABLE or response.status_code == 429 or response.status_code >= 500:
        delay = header_delay if header_delay is not None else _RETRYABLE.get(detail.code)
        return RetryableSendError(message, retry_after=delay, **fields)
    reason = error_reason(detail.code, detail.error_subcode) or "rejected"
    return PermanentSendError(message, reason=reason, **fields)


def error_reason(code: int, subcode: int | None = None) -> str | None:
    """The stable reason of a well-known permanent error code (send replies and WhatsApp
    ``failed`` status webhooks carry the same codes), or None."""
    return _REASONS.get((code, subcode)) or _REASONS.get((code, None))
