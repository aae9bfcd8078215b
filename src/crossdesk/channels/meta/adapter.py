"""Messenger and Instagram messaging adapters (one Messenger Platform, two kinds).

Secrets: ``app_secret`` (webhook signature), ``verify_token`` (GET handshake),
``access_token`` (Page access token, or Instagram user token with Instagram Login).
Config: ``api_base_url`` (default Graph host, point it at a fake in tests), ``api_version``,
``send_node_id`` (node whose ``/messages`` edge sends; default ``external_id``).
The HTTP client is passed in by the caller, configured with the account's ``proxy_url``.

References:
    https://developers.facebook.com/docs/messenger-platform/reference/send-api
    https://developers.facebook.com/docs/messenger-platform/send-messages#messaging_types
    https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/messaging-api
    https://developers.facebook.com/docs/messenger-platform/send-messages#file (a file agents
    send is uploaded with the message: multipart ``filedata`` + ``message`` JSON)
"""

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any, ClassVar

import httpx

from crossdesk.channels.base import (
    AccountContext,
    Capabilities,
    HandshakeReply,
    ParsedEvent,
    WebhookRequest,
)
from crossdesk.channels.decoding import decode_body
from crossdesk.channels.meta import graph
from crossdesk.channels.meta.events import entry_events
from crossdesk.channels.meta.payloads import SendReply, WebhookBody
from crossdesk.channels.meta.signature import answer_subscription, verify_signature
from crossdesk.domain import Attachment, ChannelKind, MessageStatus, OutboundMessage, Receipt
from crossdesk.errors import InvalidInput, PermanentSendError, RetryableSendError, SendError

MB = 1024 * 1024
_OUTBOUND_ATTACHMENT_TYPES = {
    "image": "image",
    "video": "video",
    "audio": "audio",
    "document": "file",
}


class _MetaMessagingAdapter:
    """Shared Messenger Platform behaviour; subclasses fix the kind, object and limits."""

    kind: ClassVar[ChannelKind]
    capabilities: ClassVar[Capabilities]
    webhook_object: ClassVar[str]
    default_api_base: ClassVar[str]
    sends_metadata: ClassVar[bool] = False

    def handshake(self, account: AccountContext, request: WebhookRequest) -> HandshakeReply | None:
        """Answer the ``hub.challenge`` subscription handshake."""
        return answer_subscription(account.secrets, request)

    def verify(self, account: AccountContext, request: WebhookRequest) -> None:
        """Check ``X-Hub-Signature-256`` with the app secret."""
        verify_signature(account.secrets, request)

    def parse(self, account: AccountContext, request: WebhookRequest) -> list[ParsedEvent]:
        """Convert every ``entry[].messaging[]`` and ``entry[].standby[]`` element."""
        body = decode_body(WebhookBody, request.body, self.kind.value)
        if body.object != self.webhook_object:
            raise InvalidInput(
                f"{self.kind.value} webhook object must be {self.webhook_object!r}, "
                f"got {body.object!r}"
            )
        events: list[ParsedEvent] = []
        for entry in body.entry:
            events.extend(entry_events(entry))
        return events

    async def send(
        self, client: httpx.AsyncClient, account: AccountContext, message: OutboundMessage
    ) -> Receipt:
        """Send one text or one attachment through the Send API.

        A stored file (``local_path``) is uploaded with the message (multipart
        ``filedata``); its caption follows as a second message, since Meta has no captions.

        Raises:
            PermanentSendError: refused (window closed, unknown recipient, bad token, a
                URL attachment with text, which Meta sends as two messages); a caption that
                failed after its file was delivered (``reason="partially_sent"``: resending
                would duplicate the file).
            RetryableSendError: rate limits, transient errors, unknown outcome.
        """
        upload = _to_upload(message)
        if upload is None:
            return await self._send_json(client, account, self._request_body(message))
        caption = message.text
        if caption and len(caption) > self.capabilities.max_text_length:
            raise PermanentSendError("caption too long for the platform", reason="text_too_long")
        body = self._request_body(replace(message, text="", attachments=(upload,)))
        fields = {
            key: json.dumps(value) if isinstance(value, dict) else str(value)
            for key, value in body.items()
        }
        node = account.config.get("send_node_id") or account.external_id
        url = graph.api_url(account, self.default_api_base, node, "messages")
        data = await graph.post_multipart(
            client, url, graph.access_token(account), fields, "filedata", upload
        )
        receipt = _receipt(data)
        if caption:
            try:
                await self._send_json(
                    client, account, self._request_body(replace(message, attachments=()))
                )
            except SendError as exc:
                raise PermanentSendError(
                    f"the file was delivered but its caption was not: {exc.message}",
                    reason="partially_sent",
                ) from exc
        return receipt

    async def _send_json(
        self, client: httpx.AsyncClient, account: AccountContext, payload: dict[str, Any]
    ) -> Receipt:
        node = account.config.get("send_node_id") or account.external_id
        url = graph.api_url(account, self.default_api_base, node, "messages")
        data = await graph.post_json(client, url, graph.access_token(account), payload)
        return _receipt(data)

    def _request_body(self, message: OutboundMessage) -> dict[str, Any]:
        if message.attachments and message.text:
            raise PermanentSendError(
                "Meta sends text and an attachment as separate messages; split them",
                reason="split_required",
            )
        if len(message.attachments) > 1:
            raise PermanentSendError("one attachment per message", reason="split_required")
        content: dict[str, Any]
        if message.attachments:
            content = {"attachment": _attachment(message.attachments[0])}
        else:
            if not message.text:
                raise PermanentSendError("empty message", reason="invalid_message")
            if len(message.text) > self.capabilities.max_text_length:
                raise PermanentSendError("text too long for the platform", reason="text_too_long")
            content = {"text": message.text}
        if self.sends_metadata:
            content["metadata"] = f"crossdesk:outbox:{message.message_id}"
        body: dict[str, Any] = {"recipient": {"id": message.recipient_id}, "message": content}
        tag = message.metadata.get("message_tag")
        if tag:
            body["messaging_type"] = "MESSAGE_TAG"
            body["tag"] = tag
        else:
            body["messaging_type"] = "RESPONSE"
        return body


def _receipt(data: dict[str, Any]) -> Receipt:
    try:
        reply = SendReply.model_validate(data)
    except ValueError:
        raise RetryableSendError("Send API reply has no message_id", outcome="unknown") from None
    return Receipt(platform_message_id=reply.message_id, status=MessageStatus.SENT)


def _to_upload(message: OutboundMessage) -> Attachment | None:
    """The one stored file to upload with the message, if it carries one."""
    if len(message.attachments) != 1:
        return None
    item = message.attachments[0]
    if item.platform_file_id or not item.local_path:
        return None
    return item


def _attachment(item: Attachment) -> dict[str, Any]:
    """Send API ``attachment`` object: an upload, a reusable URL or an attachment id."""
    kind = _OUTBOUND_ATTACHMENT_TYPES.get(item.kind)
    if kind is None:
        raise PermanentSendError(f"cannot send a {item.kind} attachment", reason="unsupported")
    if item.local_path and not item.platform_file_id:  # the bytes go in ``filedata``
        return {"type": kind, "payload": {"is_reusable": False}}
    if item.platform_file_id:
        return {"type": kind, "payload": {"attachment_id": item.platform_file_id}}
    if item.url:
        return {"type": kind, "payload": {"url": item.url, "is_reusable": True}}
    raise PermanentSendError("attachment has neither url nor file id", reason="invalid_message")


class MessengerAdapter(_MetaMessagingAdapter):
    """Facebook Messenger for a Page (``external_id`` = Page id)."""

    kind: ClassVar[ChannelKind] = ChannelKind.MESSENGER
    capabilities: ClassVar[Capabilities] = Capabilities(
        attachments=True,
        edits=True,
        reactions=True,
        echoes=True,
        # Standard messaging window; beyond it only tagged messages (HUMAN_AGENT: 7 days).
        messaging_window=timedelta(hours=24),
        max_text_length=2000,
    )
    # Attachment size limit of the Send API (25 MB for every type).
    outbound_media: ClassVar[Mapping[str, int]] = {
        "image": 25 * MB,
        "video": 25 * MB,
        "audio": 25 * MB,
        "document": 25 * MB,
    }
    webhook_object: ClassVar[str] = "page"
    default_api_base: ClassVar[str] = "https://graph.facebook.com"
    sends_metadata: ClassVar[bool] = True


class InstagramAdapter(_MetaMessagingAdapter):
    """Instagram professional account (``external_id`` = Instagram account id)."""

    kind: ClassVar[ChannelKind] = ChannelKind.INSTAGRAM
    capabilities: ClassVar[Capabilities] = Capabilities(
        attachments=True,
        reactions=True,
        echoes=True,
        messaging_window=timedelta(hours=24),
        max_text_length=1000,
    )
    # Instagram messaging: images up to 8 MB; video, audio and files (PDF) up to 25 MB.
    outbound_media: ClassVar[Mapping[str, int]] = {
        "image": 8 * MB,
        "video": 25 * MB,
        "audio": 25 * MB,
        "document": 25 * MB,
    }
    webhook_object: ClassVar[str] = "instagram"
    default_api_base: ClassVar[str] = "https://graph.instagram.com"
