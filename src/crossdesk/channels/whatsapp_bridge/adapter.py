"""WhatsApp app accounts (ordinary WhatsApp and WhatsApp Business app numbers) linked by QR
code to a WhatsApp-Web bridge that the company runs; crossdesk stays the inbox.

Two bridge flavours (settings.py, config ``flavour``): WAHA (default) and Evolution API v2.

Secrets: ``api_key`` (WAHA's ``X-Api-Key`` / Evolution's ``apikey``), ``webhook_hmac_key``
(WAHA: signs its webhooks; Evolution: the secret header its webhook carries).
Config: ``api_base_url`` (the bridge), ``flavour``. ``external_id``: the WAHA session or
Evolution instance name (one per account). Contacts are WhatsApp chat ids (``<number>@c.us``
on WAHA, ``<number>@s.whatsapp.net`` on Evolution), used as the recipient of replies.
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
from crossdesk.channels.whatsapp_bridge import api, evolution_events
from crossdesk.channels.whatsapp_bridge.events import envelope_events
from crossdesk.channels.whatsapp_bridge.evolution_payloads import EvolutionEnvelope
from crossdesk.channels.whatsapp_bridge.outbound import read_one
from crossdesk.channels.whatsapp_bridge.payloads import Envelope
from crossdesk.channels.whatsapp_bridge.settings import is_evolution
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
        """WAHA: ``X-Webhook-Hmac`` (HMAC-SHA512); Evolution: the secret header."""
        verify_signature(account, request)

    def parse(self, account: AccountContext, request: WebhookRequest) -> list[ParsedEvent]:
        if is_evolution(account):
            evolution = decode_body(EvolutionEnvelope, request.body, "evolution")
            if account.external_id and evolution.instance != account.external_id:
                raise InvalidInput(
                    f"evolution webhook is for instance {evolution.instance!r}, not this account's"
                )
            return evolution_events.envelope_events(evolution)
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
            # One file, the text as its caption (outbound.py reads and checks it).
            file = await read_one(message.attachments, message.text)
            platform_id = await api.send_file(
                client,
                account,
                message.recipient_id,
                file,
                message.text,
                message.reply_to_platform_id,
            )
            return Receipt(platform_message_id=platform_id, status=MessageStatus.SENT)
        if not message.text.strip():
            raise PermanentSendError("empty message", reason="invalid_message")
        if len(message.text) > MAX_TEXT:
            raise PermanentSendError("text longer than 4096 characters", reason="text_too_long")
        platform_id = await api.send_text(
            client, account, message.recipient_id, message.text, message.reply_to_platform_id
        )
        return Receipt(platform_message_id=platform_id, status=MessageStatus.SENT)
