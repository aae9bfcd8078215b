"""LINE Messaging API adapter.

Secrets: ``channel_secret`` (``X-Line-Signature``), ``channel_access_token`` (long-lived or
v2.1 token). Config: ``api_base_url`` (default ``https://api.line.me``; a fake in tests).
``external_id`` is the bot's user id (the webhook's ``destination``). The caller passes an
``httpx.AsyncClient`` configured with the account's ``proxy_url``.

Sending: by default a push message with ``X-Line-Retry-Key`` derived from the outbox
idempotency key, so a resend after an unknown outcome is deduplicated by LINE (409). If
``OutboundMessage.metadata["reply_token"]`` is set the free reply API is used instead; reply
tokens are single-use, so a resend cannot duplicate either (it fails with
``reason="reply_token_invalid"``, and the caller may resend without the token as a push).
``metadata["quote_token"]`` quotes the customer's message.

References:
    https://developers.line.biz/en/reference/messaging-api/#send-push-message
    https://developers.line.biz/en/reference/messaging-api/#text-message
    https://developers.line.biz/en/reference/messaging-api/#image-message

Files agents send: LINE takes no uploads, it fetches ``originalContentUrl`` /
``previewImageUrl`` itself over HTTPS, so crossdesk serves the stored file under a signed,
expiring URL on ``CROSSDESK_WEB__PUBLIC_URL`` (actions/signed_files.py; the delivery worker
fills ``Attachment.url``). JPEG and PNG images up to 1 MB go as image messages (the same
URL serves as the preview, which LINE limits to 1 MB; crossdesk makes no thumbnails);
LINE has no file message, so larger images and documents (and videos and audio, which need
a preview image or a duration) go as a text message with the file's name and its link.
"""

from collections.abc import Mapping
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
from crossdesk.channels.line import api
from crossdesk.channels.line.events import event_to_events
from crossdesk.channels.line.payloads import WebhookBody
from crossdesk.channels.line.signature import verify_signature
from crossdesk.domain import Attachment, ChannelKind, MessageStatus, OutboundMessage, Receipt
from crossdesk.errors import PermanentSendError, RetryableSendError

MAX_TEXT = 5000
MAX_MESSAGES = 5
MB = 1024 * 1024
MAX_PREVIEW_BYTES = 1 * MB
PUBLIC_URL_SETTING = "CROSSDESK_WEB__PUBLIC_URL"


class LineAdapter:
    """One LINE Official Account (Messaging API channel)."""

    kind: ClassVar[ChannelKind] = ChannelKind.LINE
    capabilities: ClassVar[Capabilities] = Capabilities(
        attachments=True, deduplicates_sends=True, max_text_length=MAX_TEXT
    )
    # Image messages: 10 MB (JPEG, PNG). Other files go as a link (only the global cap).
    outbound_media: ClassVar[Mapping[str, int]] = {"image": 10 * MB, "document": 200 * MB}

    def handshake(self, account: AccountContext, request: WebhookRequest) -> HandshakeReply | None:
        """LINE has no GET handshake; its console "Verify" is a signed POST with no events."""
        return None

    def verify(self, account: AccountContext, request: WebhookRequest) -> None:
        """Check ``X-Line-Signature`` with the channel secret."""
        verify_signature(account.secrets, request)

    def parse(self, account: AccountContext, request: WebhookRequest) -> list[ParsedEvent]:
        """Message and unsend events; redeliveries carry the same message id."""
        body = decode_body(WebhookBody, request.body, "line")
        events: list[ParsedEvent] = []
        for index, event in enumerate(body.events):
            events.extend(event_to_events(event, index))
        return events

    async def send(
        self, client: httpx.AsyncClient, account: AccountContext, message: OutboundMessage
    ) -> Receipt:
        """Push (or reply with) the text and up to four images/videos/audios.

        Raises:
            PermanentSendError: invalid message or token, ``quota_exhausted`` (monthly limit).
            RetryableSendError: rate limit, 5xx, transport failures; safe to resend.
        """
        messages = _messages(message)
        reply_token = message.metadata.get("reply_token")
        if reply_token:
            reply = await api.post(
                client,
                account,
                "/v2/bot/message/reply",
                {"replyToken": reply_token, "messages": messages},
            )
        else:
            reply = await api.post(
                client,
                account,
                "/v2/bot/message/push",
                {"to": message.recipient_id, "messages": messages},
                key=api.retry_key(message.idempotency_key),
            )
        if not reply.sentMessages:
            raise RetryableSendError(
                "LINE accepted the request without message ids", outcome="unknown"
            )
        return Receipt(platform_message_id=reply.sentMessages[0].id, status=MessageStatus.SENT)


def _messages(message: OutboundMessage) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if message.text:
        if len(message.text) > MAX_TEXT:
            raise PermanentSendError("text longer than 5000 characters", reason="text_too_long")
        text: dict[str, Any] = {"type": "text", "text": message.text}
        quote = message.metadata.get("quote_token")
        if quote:
            text["quoteToken"] = quote
        items.append(text)
    items.extend(_media(a, message.metadata) for a in message.attachments)
    if not items:
        raise PermanentSendError("empty message", reason="invalid_message")
    if len(items) > MAX_MESSAGES:
        raise PermanentSendError("LINE sends at most 5 messages at once", reason="split_required")
    return items


def _media(attachment: Attachment, metadata: dict[str, str]) -> dict[str, Any]:
    """Image, video or audio message objects; LINE needs public HTTPS URLs."""
    if attachment.local_path:
        return _stored_file(attachment)
    url = attachment.url
    if not url or not url.startswith("https://"):
        raise PermanentSendError("LINE media must be an https URL", reason="invalid_message")
    if attachment.kind == "image":
        return {"type": "image", "originalContentUrl": url, "previewImageUrl": url}
    if attachment.kind == "video" and metadata.get("preview_image_url"):
        return {
            "type": "video",
            "originalContentUrl": url,
            "previewImageUrl": metadata["preview_image_url"],
        }
    if attachment.kind == "audio" and metadata.get("audio_duration_ms", "").isdigit():
        return {
            "type": "audio",
            "originalContentUrl": url,
            "duration": int(metadata["audio_duration_ms"]),
        }
    raise PermanentSendError(
        f"cannot send a {attachment.kind} attachment to LINE "
        "(video needs metadata preview_image_url, audio needs audio_duration_ms)",
        reason="unsupported",
    )


def _stored_file(attachment: Attachment) -> dict[str, Any]:
    """A file an agent sent, served from crossdesk under its signed URL."""
    url = attachment.url
    if not url or not url.startswith("https://"):
        raise PermanentSendError(
            f"LINE fetches files from a public https URL: set {PUBLIC_URL_SETTING} to "
            "crossdesk's public https address to send files to LINE",
            reason="config",
        )
    small = attachment.size is not None and attachment.size <= MAX_PREVIEW_BYTES
    if (
        attachment.kind == "image"
        and attachment.content_type in ("image/jpeg", "image/png")
        and small
    ):
        return {"type": "image", "originalContentUrl": url, "previewImageUrl": url}
    name = attachment.filename or "file"
    return {"type": "text", "text": f"\U0001f4ce {name}\n{url}"}
