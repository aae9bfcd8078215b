"""The sandbox platform's wire protocol, shared by its adapter and its simulator.

Webhook (platform → crossdesk): ``POST /webhooks/sandbox/{account_id}`` with header
``X-Sandbox-Signature: sha256=<hex HMAC-SHA256 of the raw body with the webhook secret>``
and a JSON body ``{"events": [...]}`` of message and status events (see payloads below).

Send API (crossdesk → platform): ``POST {api_base_url}/accounts/{external_id}/messages``
with ``Authorization: Bearer <api token>``, ``Idempotency-Key`` (the platform returns the
original message for a repeated key) and ``{"to": contact_id, "text": "..."}``; replies
``200 {"id": "..."}``, ``401``, ``404`` (unknown contact), ``429`` with ``Retry-After``.
"""

import hashlib
import hmac
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

SIGNATURE_HEADER = "x-sandbox-signature"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def derived_credential(installation_key: bytes, purpose: str, external_id: str) -> str:
    """The simulator's credentials for one account, derived from the installation key
    (a real platform would issue them in its console)."""
    message = f"sandbox:{purpose}:{external_id}".encode()
    return hmac.new(installation_key, message, hashlib.sha256).hexdigest()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MessagePayload(_Strict):
    type: Literal["message"]
    id: Annotated[str, Field(min_length=1, max_length=200)]
    sender: Annotated[str, Field(alias="from", min_length=1, max_length=200)]
    name: Annotated[str | None, Field(max_length=200)] = None
    text: Annotated[str, Field(max_length=8192)]
    timestamp: datetime
    lang: Annotated[str | None, Field(max_length=16)] = None


class StatusPayload(_Strict):
    type: Literal["status"]
    id: Annotated[str, Field(min_length=1, max_length=200)]
    status: Literal["delivered", "read", "failed"]
    timestamp: datetime


class WebhookBody(_Strict):
    events: Annotated[
        list[Annotated[MessagePayload | StatusPayload, Field(discriminator="type")]],
        Field(max_length=100),
    ]


class SendRequest(_Strict):
    to: Annotated[str, Field(min_length=1, max_length=200)]
    text: Annotated[str, Field(min_length=1, max_length=8192)]
