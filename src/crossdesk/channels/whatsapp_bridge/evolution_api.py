"""Calling an Evolution API (v2) server's REST API: instance, QR code, webhook, sends.

Every request carries the server's ``apikey`` header (its global key, or the instance's
token). The account's ``external_id`` is its instance name (one instance per account);
config ``api_base_url`` is the server's base URL.

- ``POST /instance/create`` (``instanceName``, ``qrcode``, ``integration``
  ``WHATSAPP-BAILEYS``; 403 when the name is taken), ``GET /instance/connect/{instance}``
  (starts the connection; ``{pairingCode, code, base64, count}`` while a QR code waits),
  ``GET /instance/connectionState/{instance}`` (``{"instance": {"state": ...}}``),
  ``DELETE /instance/logout/{instance}``, ``POST /webhook/set/{instance}`` (``webhook``:
  ``enabled``, ``url``, ``headers``, ``byEvents``, ``base64``, ``events``).
- ``POST /message/sendText/{instance}`` (``number``, ``text``, ``quoted``) and
  ``POST /message/sendMedia/{instance}`` (``mediatype``, ``mimetype``, ``media`` base64,
  ``fileName``, ``caption``): the reply is the sent message, ``key.id`` its id.
- Errors: ``{"status": 404, "error": "Not Found", "response": {"message": [...]}}``.

Webhooks are not signed by Evolution: crossdesk gives it a header carrying the account's
webhook secret (``headers`` of the webhook setting), checked on every delivery.

References: https://doc.evolution-api.com/v2/api-reference/ (instance-controller,
webhook, message-controller/send-text, send-media, chat-controller/get-base64).
"""

import base64
import binascii
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import ValidationError

from crossdesk.channels.base import AccountContext
from crossdesk.channels.whatsapp_bridge.evolution_events import WEBHOOK_EVENTS, connection_status
from crossdesk.channels.whatsapp_bridge.evolution_payloads import ConnectionState, QrCode
from crossdesk.channels.whatsapp_bridge.payloads import SessionInfo
from crossdesk.channels.whatsapp_bridge.signature import AUTH_HEADER
from crossdesk.errors import InvalidInput, PermanentSendError, RetryableSendError, SendError

INTEGRATION = "WHATSAPP-BAILEYS"  # the WhatsApp-Web (QR code) engine
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# Messages Baileys gives when the phone is not connected (sends are retried, not dropped).
_NOT_CONNECTED = ("connection closed", "not connected", "connection lost", "timed out")


def base_url(account: AccountContext) -> str:
    base = account.config.get("api_base_url", "").rstrip("/")
    if not base.startswith(("https://", "http://")):
        raise InvalidInput("the bridge URL (api_base_url) is not configured", field="api_base_url")
    return base


def api_key(account: AccountContext) -> str:
    key = account.secrets.get("api_key", "")
    if not key:
        raise PermanentSendError("no Evolution API key is configured", reason="config")
    return key


def _detail(response: httpx.Response) -> str:
    """Evolution's ``response.message`` (a string or a list), for the error text.

    Only its text parts: a send to a number not on WhatsApp answers
    ``[{"exists": false, "jid": ..., "number": ...}]``, and the number stays out of errors
    (they reach logs and the agent's screen)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    inner = body.get("response") if isinstance(body, dict) else None
    message = inner.get("message") if isinstance(inner, dict) else None
    parts = message if isinstance(message, list) else [message]
    texts: list[str] = []
    for part in parts:
        if isinstance(part, str) and part:
            texts.append(part)
        elif isinstance(part, dict) and part.get("exists") is False:
            texts.append("the number is not on WhatsApp")
    return "; ".join(texts)[:200]


def bridge_error(response: httpx.Response, what: str) -> SendError:
    status = response.status_code
    detail = _detail(response)
    text = f"Evolution API {what} failed ({status})" + (f": {detail}" if detail else "")
    if status == 401:
        return PermanentSendError(text, reason="access_token_invalid", platform_code=status)
    if status == 400 and any(hint in detail.lower() for hint in _NOT_CONNECTED):
        # The phone is not connected (logged out, waiting for a scan): retried, and
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
) -> httpx.Response:
    headers = {"apikey": api_key(account), "Accept": "application/json"}
    try:
        return await client.request(method, base_url(account) + path, json=json, headers=headers)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise RetryableSendError(
            f"could not reach the Evolution API bridge: {type(exc).__name__}", outcome="not_sent"
        ) from exc
    except httpx.TransportError as exc:
        raise RetryableSendError(
            f"no reply from the Evolution API bridge ({what}): {type(exc).__name__}",
            outcome="unknown",
        ) from exc


def _instance(account: AccountContext) -> str:
    return quote(account.external_id, safe="")


async def _state(client: httpx.AsyncClient, account: AccountContext) -> str | None:
    path = f"/instance/connectionState/{_instance(account)}"
    response = await _call(client, account, "GET", path, "connection state")
    if response.status_code == 404:
        return None
    if not response.is_success:
        raise bridge_error(response, "connection state")
    body = _json(response)
    try:
        return ConnectionState.model_validate(body.get("instance")).state
    except ValidationError:
        raise RetryableSendError("Evolution API returned an unreadable connection state") from None


async def _connect(client: httpx.AsyncClient, account: AccountContext) -> QrCode | None:
    """Start (or keep) connecting; the QR code when one waits for a scan."""
    path = f"/instance/connect/{_instance(account)}"
    response = await _call(client, account, "GET", path, "connect")
    if response.status_code == 404:
        return None
    if not response.is_success:
        raise bridge_error(response, "connect")
    body = _json(response)
    if "instance" in body:  # already open: the connection state comes back
        return None
    try:
        found = QrCode.model_validate(body)
    except ValidationError:
        return None
    return found if (found.base64 or found.code) else None


async def session_info(client: httpx.AsyncClient, account: AccountContext) -> SessionInfo | None:
    """The instance's state in the bridge's status words, or None if it does not exist.

    ``connecting`` is either a QR code waiting for its scan or a linked phone reconnecting:
    the connect call (which keeps an ongoing connection) tells which."""
    state = await _state(client, account)
    if state is None:
        return None
    status = connection_status(state)
    if state.lower() == "connecting":
        status = "SCAN_QR_CODE" if await _connect(client, account) is not None else "STARTING"
    return SessionInfo(name=account.external_id, status=status)


def webhook_setting(account: AccountContext, webhook_url: str) -> dict[str, Any]:
    """One webhook for messages, acks and the connection, carrying our secret header."""
    secret = account.secrets.get("webhook_hmac_key", "")
    if not secret:
        raise PermanentSendError("no webhook secret is configured", reason="config")
    return {
        "webhook": {
            "enabled": True,
            "url": webhook_url,
            "headers": {AUTH_HEADER: secret},
            "byEvents": False,
            "base64": False,  # media is fetched on demand, not pushed in every webhook
            "events": list(WEBHOOK_EVENTS),
        }
    }


async def start_session(
    client: httpx.AsyncClient, account: AccountContext, webhook_url: str, status_url: str
) -> SessionInfo:
    """Create the instance if needed, point its webhook at crossdesk, and connect it (a QR
    code then waits for the phone). ``webhook_url`` is the account's webhook; Evolution sends
    everything to its ``/evolution`` route (one URL per instance). ``status_url`` is WAHA's."""
    name = _instance(account)
    if await _state(client, account) is None:
        body = {"instanceName": account.external_id, "qrcode": True, "integration": INTEGRATION}
        response = await _call(client, account, "POST", "/instance/create", "create instance", body)
        if not response.is_success:
            raise bridge_error(response, "create instance")
    setting = webhook_setting(account, webhook_url.rstrip("/") + "/evolution")
    response = await _call(client, account, "POST", f"/webhook/set/{name}", "set webhook", setting)
    if not response.is_success:
        raise bridge_error(response, "set webhook")
    if (await _state(client, account) or "").lower() in ("close", "refused"):
        await _connect(client, account)
    found = await session_info(client, account)
    if found is None:
        raise RetryableSendError("Evolution API did not keep the instance")
    return found


async def logout(client: httpx.AsyncClient, account: AccountContext) -> None:
    """Unlink the phone; the instance stays and shows a new QR code when linked again."""
    path = f"/instance/logout/{_instance(account)}"
    response = await _call(client, account, "DELETE", path, "logout")
    if not response.is_success:
        raise bridge_error(response, "logout")


async def qr_png(client: httpx.AsyncClient, account: AccountContext) -> bytes | None:
    """The QR code to scan as PNG (from its data URL), or None when none waits."""
    state = await _state(client, account)
    if state is None or state.lower() == "open":
        return None
    found = await _connect(client, account)
    if found is None or not found.base64:
        return None
    encoded = found.base64.split(",", 1)[1] if found.base64.startswith("data:") else found.base64
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None
    return data if data.startswith(PNG_MAGIC) else None


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _sent_id(response: httpx.Response, what: str) -> str:
    key = _json(response).get("key")
    sent = key.get("id") if isinstance(key, dict) else None
    if not isinstance(sent, str) or not sent:
        raise RetryableSendError(
            f"Evolution API's {what} reply has no message id", outcome="unknown"
        )
    return sent


async def send_text(
    client: httpx.AsyncClient,
    account: AccountContext,
    chat_id: str,
    text: str,
    reply_to: str | None,
) -> str:
    """``POST /message/sendText/{instance}``; returns the sent message's ``key.id``."""
    body: dict[str, Any] = {"number": chat_id, "text": text}
    if reply_to:
        body["quoted"] = {"key": {"id": reply_to}}
    path = f"/message/sendText/{_instance(account)}"
    response = await _call(client, account, "POST", path, "sendText", body)
    if not response.is_success:
        raise bridge_error(response, "sendText")
    return _sent_id(response, "sendText")


async def send_media(
    client: httpx.AsyncClient,
    account: AccountContext,
    chat_id: str,
    *,
    mediatype: str,
    mimetype: str,
    data: bytes,
    filename: str,
    caption: str,
    reply_to: str | None,
) -> str:
    """``POST /message/sendMedia/{instance}`` with the file as base64."""
    body: dict[str, Any] = {
        "number": chat_id,
        "mediatype": mediatype,
        "mimetype": mimetype,
        "media": base64.b64encode(data).decode("ascii"),
        "fileName": filename,
        "caption": caption,
    }
    if reply_to:
        body["quoted"] = {"key": {"id": reply_to}}
    path = f"/message/sendMedia/{_instance(account)}"
    response = await _call(client, account, "POST", path, "sendMedia", body)
    if not response.is_success:
        raise bridge_error(response, "sendMedia")
    return _sent_id(response, "sendMedia")
