"""Calling the bridge's REST API: sessions, QR code, sendText and files.

The public functions serve both flavours (settings.py): an Evolution API account is handed
to ``evolution_api`` (same results, Evolution's states in the bridge status words), so the
callers (bridge sessions, connection test, adapter) never look at the flavour. The rest of
this module speaks WAHA.

Every request carries the server's ``X-Api-Key``. The account's ``external_id`` is its WAHA
session name; config ``api_base_url`` is the bridge's base URL.

References: https://waha.devlike.pro/docs/how-to/sessions/ (``POST /api/sessions``,
``GET /api/sessions/{session}``, ``.../start``, ``.../stop``, ``.../logout``,
``GET /api/{session}/auth/qr``), https://waha.devlike.pro/docs/how-to/send-messages/
(``POST /api/sendText`` with ``session``, ``chatId``, ``text``, ``reply_to``;
``POST /api/sendImage`` / ``/api/sendFile`` with ``file``: ``mimetype``, ``filename``,
``data`` base64, and ``caption``),
https://waha.devlike.pro/docs/how-to/security/ (``X-Api-Key``).
"""

import base64
from typing import Any

import httpx
from pydantic import ValidationError

from crossdesk.channels.base import AccountContext
from crossdesk.channels.whatsapp_bridge import evolution_api
from crossdesk.channels.whatsapp_bridge.outbound import BridgeFile
from crossdesk.channels.whatsapp_bridge.payloads import SessionInfo
from crossdesk.channels.whatsapp_bridge.settings import is_evolution
from crossdesk.errors import InvalidInput, PermanentSendError, RetryableSendError, SendError

WEBHOOK_EVENTS = ("message.any", "message.ack")
STATUS_EVENTS = ("session.status",)


def base_url(account: AccountContext) -> str:
    base = account.config.get("api_base_url", "").rstrip("/")
    if not base.startswith(("https://", "http://")):
        raise InvalidInput("the bridge URL (api_base_url) is not configured", field="api_base_url")
    return base


def _headers(account: AccountContext, accept: str = "application/json") -> dict[str, str]:
    key = account.secrets.get("api_key", "")
    if not key:
        raise PermanentSendError("no WAHA API key is configured", reason="config")
    return {"X-Api-Key": key, "Accept": accept}


def bridge_error(response: httpx.Response, what: str) -> SendError:
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    detail = body.get("message") if isinstance(body, dict) else None
    text = f"WAHA {what} failed ({status})" + (
        f": {detail}"[:200] if isinstance(detail, str) else ""
    )
    if status in (401, 403):
        return PermanentSendError(text, reason="access_token_invalid", platform_code=status)
    if status == 422:
        # The session is not WORKING (starting, waiting for a QR scan, failed): retried, and
        # dead-lettered with an alert if it stays so.
        return RetryableSendError(text, retry_after=30.0, platform_code=status)
    if status == 429 or status >= 500:
        return RetryableSendError(text, platform_code=status)
    return PermanentSendError(text, reason="rejected", platform_code=status)


async def _call(
    client: httpx.AsyncClient,
    account: AccountContext,
    method: str,
    path: str,
    what: str,
    json: dict[str, Any] | None = None,
    accept: str = "application/json",
) -> httpx.Response:
    try:
        return await client.request(
            method, base_url(account) + path, json=json, headers=_headers(account, accept)
        )
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise RetryableSendError(
            f"could not reach the WAHA bridge: {type(exc).__name__}", outcome="not_sent"
        ) from exc
    except httpx.TransportError as exc:
        raise RetryableSendError(
            f"no reply from the WAHA bridge ({what}): {type(exc).__name__}", outcome="unknown"
        ) from exc


async def session_info(client: httpx.AsyncClient, account: AccountContext) -> SessionInfo | None:
    """The session as the bridge reports it, or None if it does not exist."""
    if is_evolution(account):
        return await evolution_api.session_info(client, account)
    response = await _call(client, account, "GET", f"/api/sessions/{account.external_id}", "status")
    if response.status_code == 404:
        return None
    if not response.is_success:
        raise bridge_error(response, "session status")
    try:
        return SessionInfo.model_validate_json(response.content)
    except ValidationError:
        raise RetryableSendError("WAHA returned an unreadable session") from None


def session_config(account: AccountContext, webhook_url: str, status_url: str) -> dict[str, Any]:
    """Webhooks for messages and acks, and for session status, each HMAC-signed."""
    key = account.secrets.get("webhook_hmac_key", "")
    retries = {"policy": "exponential", "delaySeconds": 2, "attempts": 15}
    return {
        "webhooks": [
            {
                "url": webhook_url,
                "events": list(WEBHOOK_EVENTS),
                "hmac": {"key": key},
                "retries": retries,
            },
            {
                "url": status_url,
                "events": list(STATUS_EVENTS),
                "hmac": {"key": key},
                "retries": retries,
            },
        ]
    }


async def start_session(
    client: httpx.AsyncClient, account: AccountContext, webhook_url: str, status_url: str
) -> SessionInfo:
    """Create the session (with our webhooks) and start it, or start the existing one with
    its webhooks brought up to date. A started, unlinked session waits for its QR scan."""
    if is_evolution(account):
        return await evolution_api.start_session(client, account, webhook_url, status_url)
    config = session_config(account, webhook_url, status_url)
    name = account.external_id
    current = await session_info(client, account)
    if current is None:
        body = {"name": name, "start": True, "config": config}
        response = await _call(client, account, "POST", "/api/sessions", "create session", body)
        if not response.is_success:
            raise bridge_error(response, "create session")
    else:
        response = await _call(
            client, account, "PUT", f"/api/sessions/{name}", "update session", {"config": config}
        )
        if not response.is_success:
            raise bridge_error(response, "update session")
        if current.status in ("STOPPED", "FAILED"):
            response = await _call(
                client, account, "POST", f"/api/sessions/{name}/start", "start session"
            )
            if not response.is_success:
                raise bridge_error(response, "start session")
    found = await session_info(client, account)
    if found is None:
        raise RetryableSendError("WAHA did not keep the session")
    return found


async def logout(client: httpx.AsyncClient, account: AccountContext) -> None:
    """Unlink the phone (the session stays, waiting for a new QR scan)."""
    if is_evolution(account):
        await evolution_api.logout(client, account)
        return
    path = f"/api/sessions/{account.external_id}/logout"
    response = await _call(client, account, "POST", path, "logout")
    if not response.is_success:
        raise bridge_error(response, "logout")


async def qr_png(client: httpx.AsyncClient, account: AccountContext) -> bytes | None:
    """The current QR code as PNG, or None when the session is not waiting for a scan."""
    if is_evolution(account):
        return await evolution_api.qr_png(client, account)
    path = f"/api/{account.external_id}/auth/qr?format=image"
    response = await _call(client, account, "GET", path, "QR code", accept="image/png")
    if response.status_code in (404, 422):
        return None
    if not response.is_success:
        raise bridge_error(response, "QR code")
    data = response.content
    return data if data.startswith(b"\x89PNG\r\n\x1a\n") else None


async def send_text(
    client: httpx.AsyncClient,
    account: AccountContext,
    chat_id: str,
    text: str,
    reply_to: str | None,
) -> str:
    """``POST /api/sendText``; returns the sent message's id."""
    if is_evolution(account):
        return await evolution_api.send_text(client, account, chat_id, text, reply_to)
    body: dict[str, Any] = {"session": account.external_id, "chatId": chat_id, "text": text}
    if reply_to:
        body["reply_to"] = reply_to
    response = await _call(client, account, "POST", "/api/sendText", "sendText", body)
    if not response.is_success:
        raise bridge_error(response, "sendText")
    return _sent_id(response, "sendText")


async def send_file(
    client: httpx.AsyncClient,
    account: AccountContext,
    chat_id: str,
    file: BridgeFile,
    caption: str,
    reply_to: str | None,
) -> str:
    """One file with the text as its caption; returns the sent message's id.

    WAHA: ``sendImage`` for photos, ``sendFile`` for everything else (shown as a document).
    Evolution: ``sendMedia`` with the media type (audio goes as a document: Evolution's
    documented types are image, video and document)."""
    if is_evolution(account):
        mediatype = file.kind if file.kind in ("image", "video") else "document"
        return await evolution_api.send_media(
            client,
            account,
            chat_id,
            mediatype=mediatype,
            mimetype=file.file.content_type,
            data=file.file.data,
            filename=file.file.filename,
            caption=caption,
            reply_to=reply_to,
        )
    endpoint = "sendImage" if file.is_image else "sendFile"
    body: dict[str, Any] = {
        "session": account.external_id,
        "chatId": chat_id,
        "file": {
            "mimetype": file.file.content_type,
            "filename": file.file.filename,
            "data": base64.b64encode(file.file.data).decode("ascii"),
        },
    }
    if caption:
        body["caption"] = caption
    if reply_to:
        body["reply_to"] = reply_to
    response = await _call(client, account, "POST", f"/api/{endpoint}", endpoint, body)
    if not response.is_success:
        raise bridge_error(response, endpoint)
    return _sent_id(response, endpoint)


def _sent_id(response: httpx.Response, what: str) -> str:
    try:
        sent = response.json()
    except ValueError:
        sent = None
    raw_id = sent.get("id") if isinstance(sent, dict) else None
    if isinstance(raw_id, dict):  # WEBJS: {"fromMe": ..., "_serialized": "true_..."}
        raw_id = raw_id.get("_serialized")
    if not isinstance(raw_id, str) or not raw_id:
        raise RetryableSendError(f"WAHA's {what} reply has no message id", outcome="unknown")
    return raw_id
