"""HTTP plumbing shared by providers: send, classify failures, parse ``Retry-After``."""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Mapping
from typing import Any

import httpx

from crossdesk.translation.errors import (
    EngineError,
    EngineRateLimited,
    EngineRejected,
    EngineResponseInvalid,
    EngineUnavailable,
)

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504, 529})


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date), if present."""
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def error_for_status(engine: str, response: httpx.Response, detail: str = "") -> EngineError:
    """The engine error an HTTP status means."""
    status = response.status_code
    message = f"HTTP {status}" + (f" {detail}" if detail else "")
    if status == 429:
        return EngineRateLimited(engine, message, retry_after=retry_after(response.headers))
    if status in RETRYABLE_STATUS:
        return EngineUnavailable(engine, message, retry_after=retry_after(response.headers))
    return EngineRejected(engine, message)


async def send(
    client: httpx.AsyncClient, engine: str, method: str, url: str, **kwargs: Any
) -> httpx.Response:
    """Send a request; transport failures and non-2xx statuses become engine errors."""
    try:
        response = await client.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise EngineUnavailable(engine, f"timeout ({type(exc).__name__})") from exc
    except httpx.TransportError as exc:
        raise EngineUnavailable(engine, f"unreachable ({type(exc).__name__})") from exc
    if response.is_success:
        return response
    raise error_for_status(engine, response, _error_detail(response))


def _error_detail(response: httpx.Response) -> str:
    """A short, key-free description from an error body (codes and messages only)."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return ""
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict):
            parts = [str(error.get(k)) for k in ("code", "status", "message") if error.get(k)]
            return ": ".join(parts)[:200]
        if isinstance(body.get("message"), str):
            return str(body["message"])[:200]
    return ""


def json_body(
    engine: str, response: httpx.Response
) -> Any:  # Any: provider JSON, validated by caller
    """Parse a JSON body; blank keep-alive lines before it are tolerated."""
    try:
        return json.loads(response.text.strip())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise EngineResponseInvalid(engine, "response is not JSON") from exc


def expect(engine: str, condition: bool, what: str) -> None:
    """Raise :class:`EngineResponseInvalid` unless ``condition`` holds."""
    if not condition:
        raise EngineResponseInvalid(engine, f"unexpected response: {what}")
