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
"""

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
from crossdesk.channels.meta.events import to_events
from crossdesk.channels.meta.payloads import SendReply, WebhookBody
from crossdesk.channels.meta.signature import answer_subscription, verify_signature
from crossdesk.domain import Attachment, ChannelKind, MessageStatus, OutboundMessage, Receipt
from crossdesk.errors import InvalidInput, PermanentSendError, RetryableSendError

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
        """Convert every ``entry[].messaging[]`` element into events."""
        body = decode_body(WebhookBody, request.body, self.kind.value)
        if body.object != self.webhook_object:
            raise InvalidInput(
                f"{self.kind.value} webhook object must be {self.webhook_object!r}, "
                f"got {body.object!r}"
            )
        events: list[ParsedEvent] = []
        for entry in body.entry:
            for item in entry.messaging:
                events.extend(to_events(item))
        return events

    async def send(
        self, client: httpx.AsyncClient, account: AccountContext, message: OutboundMessage
    ) -> Receipt:
        """Send one text or one attachment through the Send API.

        Raises:
            PermanentSendError: refused (window closed, unknown recipient, bad token, a
                message with both text and an attachment, which Meta sends as two messages).
            RetryableSendError: rate limits, transient errors, unknown outcome.
        """
        payload = self._request_body(message)
        node = account.config.get("send_node_id") or account.external_id
        url = graph.api_url(account, self.default_api_base, node, "messages")
        data = await graph.post_json(client, url, graph.access_token(account), payload)
        try:
            reply = SendReply.model_validate(data)
        except ValueError:
            raise RetryableSendError(
                "Send API reply has no message_id", outcome="unknown"
            ) from None
        return Receipt(platform_message_id=reply.message_id, status=MessageStatus.SENT)

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


def _attachment(item: Attachment) -> dict[str, Any]:
    """Send API ``attachment`` object: a reusable URL or an uploaded attachment id."""
    kind = _OUTBOUND_ATTACHMENT_TYPES.get(item.kind)
    if kind is None:
        raise PermanentSendError(f"cannot send a {item.kind} attachment", reason="unsupported")
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
    webhook_object: ClassVar[str] = "instagram"
    default_api_base: ClassVar[str] = "https://graph.instagram.com"
