"""The seam between the core and every platform.

An adapter is stateless: everything about one account (ids, config, decrypted
secrets, proxy) arrives in an ``AccountContext``; the HTTP client is passed in.
The core never switches on the channel kind: differences are ``Capabilities``.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import ClassVar, Protocol, runtime_checkable

import httpx

from crossdesk.domain import ChannelKind, InboundEvent, OutboundMessage, Receipt, StatusEvent


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a platform supports; the core reads these instead of checking the kind."""

    attachments: bool = False
    edits: bool = False
    reactions: bool = False
    echoes: bool = False
    # After this long without a customer message only templates may be sent (WhatsApp: 24h).
    messaging_window: timedelta | None = None
    # The platform deduplicates resends carrying our idempotency key, so an unknown
    # outcome may be retried safely; otherwise it is surfaced to the agent as "unknown".
    deduplicates_sends: bool = False
    max_text_length: int = 4096


@dataclass(frozen=True, slots=True)
class AccountContext:
    """One channel account as an adapter sees it. ``secrets`` are decrypted vault values."""

    id: str
    workspace_id: str
    kind: ChannelKind
    external_id: str
    config: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)
    proxy_url: str | None = None

    def __repr__(self) -> str:  # never print secrets
        return f"AccountContext(id={self.id!r}, kind={self.kind.value!r})"


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    """A framework-free view of an incoming HTTP request. Header names are lower-case."""

    method: str
    headers: Mapping[str, str]
    query: Mapping[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class HandshakeReply:
    """A reply an adapter sends itself, such as Meta's hub.challenge echo."""

    status: int
    body: str
    content_type: str = "text/plain"


ParsedEvent = InboundEvent | StatusEvent


@runtime_checkable
class ChannelAdapter(Protocol):
    """A platform. Raise ``SignatureInvalid`` from ``verify`` and ``InvalidInput`` from ``parse``;
    raise ``PermanentSendError`` / ``RetryableSendError`` from ``send``."""

    kind: ClassVar[ChannelKind]
    capabilities: ClassVar[Capabilities]

    def handshake(self, account: AccountContext, request: WebhookRequest) -> HandshakeReply | None:
        """Answer a subscription handshake (GET), or None if this is not one."""
        ...

    def verify(self, account: AccountContext, request: WebhookRequest) -> None:
        """Check the request's signature or secret token; raise SignatureInvalid."""
        ...

    def parse(self, account: AccountContext, request: WebhookRequest) -> list[ParsedEvent]:
        """Turn a verified request body into events; unsupported event types yield nothing."""
        ...

    async def send(
        self, client: httpx.AsyncClient, account: AccountContext, message: OutboundMessage
    ) -> Receipt:
        """Deliver one message to the platform."""
        ...
