"""WhatsApp app accounts (ordinary WhatsApp and WhatsApp Business app numbers) linked by QR
code to a WAHA bridge that the company runs; crossdesk stays the inbox.

Secrets: ``api_key`` (WAHA's ``X-Api-Key``), ``webhook_hmac_key`` (signs WAHA's webhooks).
Config: ``api_base_url`` (the bridge). ``external_id``: the WAHA session name (one session per
account). Contacts are WhatsApp chat ids (``<number>@c.us``), used as ``chatId`` to reply.
"""

from typing import ClassVar

import httpx

from crossdesk.channels.base import (
    AccountContext,
    Capabilities,
    HandshakeReply,
    ParsedEvent,
    WebhookRequest,
)
from crossdesk.channels.decoding import decode_body
from crossdesk.channels.whatsapp_bridge import api
from crossdesk.channels.whatsapp_bridge.events import envelope_events
from crossdesk.channels.whatsapp_bridge.payloads import Envelope
from crossdesk.channels.whatsapp_bridge.signature import verify_signature
from crossdesk.domain import ChannelKind, MessageStatus, OutboundMessage, Receipt
from crossdesk.errors import InvalidInput, PermanentSendError

MAX_TEXT = 4096


class WhatsAppBridgeAdapter:
    kind: ClassVar[ChannelKind] = ChannelKind.WHATSAPP_WEB
    capabilities: ClassVar[Capabilities] = Capabilities(
        attachments=True, echoes=True, max_text_length=MAX_TEXT
    )

    def handshake(self, account: AccountContext, request: WebhookRequest) -> HandshakeReply | None:
        return None

    def verify(self, account: AccountContext, request: WebhookRequest) -> None:
        """``X-Webhook-Hmac`` (HMAC-SHA512) with the account's webhook key."""
        verify_signature(account, request)

    def parse(self, account: AccountContext, request: WebhookRequest) -> list[ParsedEvent]:
        envelope = decode_body(Envelope, request.body, "waha")
        # (No session name to compare when checking a body by hand: ``channels check``.)
        if account.external_id and envelope.session != account.external_id:
            raise InvalidInput(
                f"waha webhook is for session {envelope.session!r}, not this account's"
            )
        return envelope_events(envelope)

    async def send(
        self, client: httpx.AsyncClient, account: AccountContext, message: OutboundMessage
    ) -> Receipt:
        if message.attachments:
            raise PermanentSendError(
                "sending files through the bridge is not supported yet", reason="unsupported"
            )
        if not message.text.strip():
            raise PermanentSendError("empty message", reason="invalid_message")
        if len(message.text) > MAX_TEXT:
            raise PermanentSendError("text longer than 4096 characters", reason="text_too_long")
        platform_id = await api.send_text(
            client, account, message.recipient_id, message.text, message.reply_to_platform_id
        )
        return Receipt(platform_message_id=platform_id, status=MessageStatus.SENT)
