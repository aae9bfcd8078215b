"""Sandbox channel adapter: exactly the shape of a real platform adapter."""

import hmac
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
from crossdesk.channels.sandbox.protocol import (
    SIGNATURE_HEADER,
    MessagePayload,
    SendRequest,
    WebhookBody,
    sign,
)
from crossdesk.domain import ChannelKind, InboundEvent, MessageStatus, OutboundMessage, Receipt
from crossdesk.domain.events import StatusEvent
from crossdesk.errors import (
    PermanentSendError,
    RetryableSendError,
    SignatureInvalid,
)

_STATUS = {
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.READ,
    "failed": MessageStatus.FAILED,
}


class SandboxAdapter:
    kind: ClassVar[ChannelKind] = ChannelKind.SANDBOX
    capabilities: ClassVar[Capabilities] = Capabilities(deduplicates_sends=True)

    def handshake(self, account: AccountContext, request: WebhookRequest) -> HandshakeReply | None:
        return None

    def verify(self, account: AccountContext, request: WebhookRequest) -> None:
        secret = account.secrets.get("webhook_secret")
        given = request.headers.get(SIGNATURE_HEADER, "")
        if not secret or not given:
            raise SignatureInvalid("missing X-Sandbox-Signature")
        if not hmac.compare_digest(given, sign(secret, request.body)):
            raise SignatureInvalid("X-Sandbox-Signature does not match the body")

    def parse(self, account: AccountContext, request: WebhookRequest) -> list[ParsedEvent]:
        body = decode_body(WebhookBody, request.body, "sandbox")
        events: list[ParsedEvent] = []
        for item in body.events:
            if isinstance(item, MessagePayload):
                events.append(
                    InboundEvent(
                        platform_message_id=item.id,
                        sender_id=item.sender,
                        sender_name=item.name,
                        text=item.text,
                        sent_at=item.timestamp,
                        language_hint=item.lang,
                    )
                )
            else:
                events.append(StatusEvent(item.id, _STATUS[item.status], item.timestamp))
        return events

    async def send(
        self, client: httpx.AsyncClient, account: AccountContext, message: OutboundMessage
    ) -> Receipt:
        base = account.config.get("api_base_url", "").rstrip("/")
        token = account.secrets.get("api_token", "")
        if not base or not token:
            raise PermanentSendError("the sandbox account has no api_base_url or api_token")
        body = SendRequest(to=message.recipient_id, text=message.text).model_dump()
        try:
            response = await client.post(
                f"{base}/accounts/{account.external_id}/messages",
                json=body,
                headers={
                    "Authorization": f"Bearer {token}",
                    "Idempotency-Key": message.idempotency_key,
                },
            )
        except httpx.TransportError as exc:
            raise RetryableSendError(
                f"sandbox platform unreachable: {type(exc).__name__}"
            ) from None
        if response.status_code == 200:
            return Receipt(platform_message_id=str(response.json()["id"]))
        if response.status_code == 429 or response.status_code >= 500:
            retry_after = response.headers.get("retry-after")
            raise RetryableSendError(
                f"sandbox platform answered {response.status_code}",
                retry_after=float(retry_after) if retry_after else None,
            )
        raise PermanentSendError(f"sandbox platform refused the message ({response.status_code})")
