"""WhatsApp Business Cloud API adapter.

Secrets: ``app_secret`` (``X-Hub-Signature-256``), ``verify_token`` (GET handshake),
``access_token`` (system-user token with ``whatsapp_business_messaging``).
Config: ``api_base_url`` (default ``https://graph.facebook.com``; a fake in tests),
``api_version`` (default ``v21.0``). ``external_id`` is the phone-number id: the send path
is ``/{api_version}/{external_id}/messages``. The caller passes an ``httpx.AsyncClient``
already configured with the account's ``proxy_url``.

References:
    https://developers.facebook.com/docs/whatsapp/cloud-api/guides/send-messages
    https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes
    https://developers.facebook.com/docs/whatsapp/pricing#customer-service-windows
    https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media#upload-media
    (a file agents send is uploaded to ``/{phone-number-id}/media`` first, then sent by id)
"""

import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import ClassVar

import httpx
from pydantic import ValidationError

from crossdesk.channels.base import (
    AccountContext,
    Capabilities,
    HandshakeReply,
    ParsedEvent,
    WebhookRequest,
)
from crossdesk.channels.decoding import decode_body
from crossdesk.channels.meta import graph
from crossdesk.channels.whatsapp.events import change_events
from crossdesk.channels.whatsapp.outbound import request_body
from crossdesk.channels.whatsapp.payloads import SendReply, WebhookBody
from crossdesk.channels.whatsapp.signature import answer_subscription, verify_signature
from crossdesk.domain import Attachment, ChannelKind, MessageStatus, OutboundMessage, Receipt
from crossdesk.errors import InvalidInput, PermanentSendError, RetryableSendError

WEBHOOK_OBJECT = "whatsapp_business_account"
DEFAULT_API_BASE = "https://graph.facebook.com"
MB = 1024 * 1024
_PENDING_UPLOAD = "pending-upload"


class WhatsAppCloudAdapter:
    """One WhatsApp Business phone number on the Cloud API."""

    kind: ClassVar[ChannelKind] = ChannelKind.WHATSAPP
    capabilities: ClassVar[Capabilities] = Capabilities(
        attachments=True,
        reactions=True,
        # Only with coexistence (numbers also used in the WhatsApp Business app).
        echoes=True,
        messaging_window=timedelta(hours=24),
        max_text_length=4096,
    )
    # Largest file per kind the Cloud API takes (supported media, "Media file size limits").
    outbound_media: ClassVar[Mapping[str, int]] = {
        "image": 5 * MB,
        "video": 16 * MB,
        "audio": 16 * MB,
        "document": 100 * MB,
    }

    def handshake(self, account: AccountContext, request: WebhookRequest) -> HandshakeReply | None:
        """Answer the ``hub.challenge`` subscription handshake."""
        return answer_subscription(account.secrets, request)

    def verify(self, account: AccountContext, request: WebhookRequest) -> None:
        """Check ``X-Hub-Signature-256`` with the app secret."""
        verify_signature(account.secrets, request)

    def parse(self, account: AccountContext, request: WebhookRequest) -> list[ParsedEvent]:
        """Messages, coexistence echoes and statuses of every ``entry[].changes[]``."""
        body = decode_body(WebhookBody, request.body, "whatsapp")
        if body.object != WEBHOOK_OBJECT:
            raise InvalidInput(
                f"whatsapp webhook object must be {WEBHOOK_OBJECT!r}, got {body.object!r}"
            )
        events: list[ParsedEvent] = []
        for e, entry in enumerate(body.entry):
            for c, change in enumerate(entry.changes):
                where = f"entry.{e}.changes.{c}.value"
                # One app callback receives every number of the app (unless a number has its
                # own override): only this account's number is filed here.
                number = account.external_id or None
                events.extend(change_events(change.field, change.value, where, number))
        return events

    async def send(
        self, client: httpx.AsyncClient, account: AccountContext, message: OutboundMessage
    ) -> Receipt:
        """Send text, one media item or a template.

        Raises:
            PermanentSendError: e.g. ``reason="window_closed"`` (131047: only a template may
                be sent), ``undeliverable`` (131026), ``access_token_invalid`` (190).
            RetryableSendError: 130429 throughput, 131056 pair rate limit, 5xx, timeouts.
        """
        upload = _to_upload(message)
        if upload is not None:
            # Check the body before anything is uploaded, then build it with the real id
            # (a media message's own object, or a template's media header).
            placeholder = replace(upload, platform_file_id=_PENDING_UPLOAD)
            request_body(replace(message, attachments=(placeholder,)))
            key = (account.id, upload.local_path or "")
            media_id = _UPLOADED.get(key)
            if media_id is None:
                media_id = await upload_media(client, account, upload)
                _UPLOADED.put(key, media_id)
            uploaded = replace(upload, platform_file_id=media_id, local_path=None)
            body = request_body(replace(message, attachments=(uploaded,)))
        else:
            key = None
            body = request_body(message)
        url = graph.api_url(account, DEFAULT_API_BASE, account.external_id, "messages")
        try:
            data = await graph.post_json(client, url, graph.access_token(account), body)
        except PermanentSendError:
            if key is not None:
                _UPLOADED.forget(key)  # e.g. the media id was refused: upload afresh
            raise
        try:
            reply = SendReply.model_validate(data)
        except ValidationError:
            raise RetryableSendError(
                "Cloud API reply has no message id", outcome="unknown"
            ) from None
        return Receipt(platform_message_id=reply.messages[0].id, status=MessageStatus.SENT)


async def upload_media(
    client: httpx.AsyncClient, account: AccountContext, attachment: Attachment
) -> str:
    """``POST /{phone-number-id}/media`` (multipart: ``file``, ``type``,
    ``messaging_product``) and return the media id."""
    url = graph.api_url(account, DEFAULT_API_BASE, account.external_id, "media")
    data = {
        "messaging_product": "whatsapp",
        "type": attachment.content_type or "application/octet-stream",
    }
    reply = await graph.post_multipart(
        client, url, graph.access_token(account), data, "file", attachment
    )
    media_id = reply.get("id")
    if not isinstance(media_id, str) or not media_id:
        raise RetryableSendError("the media upload reply has no id", outcome="not_sent")
    return media_id


class _UploadedMedia:
    """Media ids of files already uploaded, by (account, stored file), for a while.

    A send that fails after its upload (5xx, rate limit, timeout) is retried by the outbox;
    the retry reuses the id instead of uploading the file again (up to 100 MB). The Cloud API
    keeps uploaded media for 30 days; ids are reused for a day, per process, bounded.
    """

    TTL = 24 * 3600.0
    MAX = 1024

    def __init__(self) -> None:
        self._ids: dict[tuple[str, str], tuple[str, float]] = {}

    def get(self, key: tuple[str, str]) -> str | None:
        found = self._ids.get(key)
        if found is None or found[1] < time.monotonic():
            return None
        return found[0]

    def put(self, key: tuple[str, str], media_id: str) -> None:
        if len(self._ids) >= self.MAX:
            self._ids.pop(next(iter(self._ids)))  # the oldest
        self._ids[key] = (media_id, time.monotonic() + self.TTL)

    def forget(self, key: tuple[str, str]) -> None:
        self._ids.pop(key, None)


_UPLOADED = _UploadedMedia()


def _to_upload(message: OutboundMessage) -> Attachment | None:
    """The one stored file to upload, if the message carries one the platform has not."""
    if len(message.attachments) != 1:
        return None
    item = message.attachments[0]
    if item.platform_file_id or not item.local_path:
        return None
    return item
