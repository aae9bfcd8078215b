"""Downloading media a customer sent through the bridge.

WAHA puts the file's URL (on the bridge itself, e.g. ``{bridge}/api/files/<session>/<id>.jpg``)
in ``payload.media.url``; fetching it needs the bridge's ``X-Api-Key``. The key is only ever
sent to the configured bridge: a URL on another host is refused.

Evolution API keeps no file to fetch by URL (WhatsApp's own media URLs are encrypted): the
file id is the message id, and ``POST /chat/getBase64FromMediaMessage/{instance}`` (body
``{"message": {"key": {"id": ...}}, "convertToMp4": false}``) answers JSON with the bytes as
``base64`` and their ``mimetype``. ``decode_download`` turns that answer into the bytes;
the attachment worker's size limit applies to the JSON (a third larger than the file, so
the limit is conservative) and its content-type check to the decoded bytes.

References: https://waha.devlike.pro/docs/how-to/receive-messages/ (media ``url``,
``mimetype``, ``filename``), https://doc.evolution-api.com/v2/api-reference/chat-controller/
get-base64 (``getBase64FromMediaMessage``).
"""

import base64
import binascii
from urllib.parse import quote, urlsplit

import httpx
from pydantic import ValidationError

from crossdesk.channels.base import AccountContext
from crossdesk.channels.whatsapp_bridge import evolution_api
from crossdesk.channels.whatsapp_bridge.api import base_url
from crossdesk.channels.whatsapp_bridge.evolution_payloads import MediaBase64
from crossdesk.channels.whatsapp_bridge.settings import is_evolution
from crossdesk.errors import InvalidInput, PermanentSendError, RetryableSendError


async def download_request(
    client: httpx.AsyncClient, account: AccountContext, file_id: str
) -> httpx.Request:
    """WAHA: ``file_id`` is the media URL WAHA gave; the request carries the API key.
    Evolution: ``file_id`` is the message id, asked for through getBase64FromMediaMessage."""
    try:
        bridge = urlsplit(base_url(account))
    except InvalidInput as exc:
        raise PermanentSendError(exc.message, reason="config") from None
    if is_evolution(account):
        return _evolution_request(client, account, file_id)
    target = urlsplit(file_id)
    if (target.scheme, target.netloc) != (bridge.scheme, bridge.netloc):
        raise PermanentSendError(
            "the media URL is not on the account's bridge", reason="media_unavailable"
        )
    key = account.secrets.get("api_key", "")
    if not key:
        raise PermanentSendError("no WAHA API key is configured", reason="config")
    return client.build_request("GET", file_id, headers={"X-Api-Key": key})


def _evolution_request(
    client: httpx.AsyncClient, account: AccountContext, message_id: str
) -> httpx.Request:
    if not message_id or "/" in message_id:
        raise PermanentSendError("not an Evolution message id", reason="media_unavailable")
    instance = quote(account.external_id, safe="")
    return client.build_request(
        "POST",
        f"{evolution_api.base_url(account)}/chat/getBase64FromMediaMessage/{instance}",
        json={"message": {"key": {"id": message_id}}, "convertToMp4": False},
        headers={"apikey": evolution_api.api_key(account), "Accept": "application/json"},
    )


def decode_download(
    account: AccountContext, body: bytes, served_type: str | None
) -> tuple[bytes, str | None]:
    """The file's bytes and type from what the download request answered.

    WAHA served the file itself. Evolution answered JSON carrying it as base64: decoded
    here; an answer without a file is permanent (the message has no media any more)."""
    if not is_evolution(account):
        return body, served_type
    try:
        found = MediaBase64.model_validate_json(body)
    except ValidationError:
        raise PermanentSendError(
            "Evolution API answered without the file", reason="media_unavailable"
        ) from None
    encoded = found.base64.split(",", 1)[1] if found.base64.startswith("data:") else found.base64
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise RetryableSendError("Evolution API's file is not valid base64") from None
    return data, found.mimetype
