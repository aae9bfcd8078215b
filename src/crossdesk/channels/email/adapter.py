"""E-mail account adapter: sending replies over SMTP.

E-mail has no webhooks: mail is read from IMAP by the e-mail worker
(``crossdesk.workers.email``), so ``verify`` refuses every webhook request and ``parse`` is
never reached. ``send`` ignores the HTTP client: SMTP has its own connection, opened through
the account's proxy when it has one (proxy.py).

Attachments are the stored files named by ``Attachment.local_path``, sent as parts of a
``multipart/mixed`` mail (files.py reads and checks them, smtp.py composes).

``OutboundMessage.metadata`` keys (filled from the thread index by the delivery worker):
``email_message_id``, ``email_subject``, ``email_in_reply_to``, ``email_references``
(space separated).
"""

import asyncio
from collections.abc import Mapping
from typing import ClassVar

import httpx

from crossdesk.channels.base import (
    AccountContext,
    Capabilities,
    HandshakeReply,
    ParsedEvent,
    WebhookRequest,
)
from crossdesk.channels.email import smtp
from crossdesk.channels.email.files import MAX_TOTAL_BYTES, read_files
from crossdesk.channels.email.settings import EmailSettings, email_settings
from crossdesk.domain import ChannelKind, MessageStatus, OutboundMessage, Receipt
from crossdesk.errors import InvalidInput, PermanentSendError, SignatureInvalid

MAX_TEXT = 100_000


def outgoing_message_id(idempotency_key: str, domain: str) -> str:
    """The Message-ID of an outbound mail: the same on every attempt of one outbox row."""
    return f"<{idempotency_key}.crossdesk@{domain}>"


class EmailAdapter:
    """One mailbox: IMAP in (worker), SMTP out (here)."""

    kind: ClassVar[ChannelKind] = ChannelKind.EMAIL
    capabilities: ClassVar[Capabilities] = Capabilities(attachments=True, max_text_length=MAX_TEXT)
    # Checked at upload (the composer says so at once); any kind of file is a document.
    outbound_media: ClassVar[Mapping[str, int]] = {
        kind: MAX_TOTAL_BYTES for kind in ("image", "video", "audio", "document")
    }

    def handshake(self, account: AccountContext, request: WebhookRequest) -> HandshakeReply | None:
        return None

    def verify(self, account: AccountContext, request: WebhookRequest) -> None:
        """There is nothing to verify a webhook against: e-mail arrives over IMAP."""
        raise SignatureInvalid("e-mail accounts receive mail over IMAP, not webhooks")

    def parse(self, account: AccountContext, request: WebhookRequest) -> list[ParsedEvent]:
        raise InvalidInput("e-mail accounts receive mail over IMAP, not webhooks")

    async def send(
        self, client: httpx.AsyncClient, account: AccountContext, message: OutboundMessage
    ) -> Receipt:
        """Send one reply; the Receipt's id is the mail's Message-ID."""
        settings = _settings(account)
        if not message.text.strip() and not message.attachments:
            raise PermanentSendError("empty message", reason="invalid_message")
        if len(message.text) > MAX_TEXT:
            raise PermanentSendError("the reply is too long for one mail", reason="text_too_long")
        meta = message.metadata
        message_id = meta.get("email_message_id") or outgoing_message_id(
            message.idempotency_key, settings.domain
        )
        in_reply_to = meta.get("email_in_reply_to") or message.reply_to_platform_id
        files = await asyncio.to_thread(read_files, message.attachments)
        mail = smtp.compose(
            settings,
            to=message.recipient_id,
            text=message.text,
            message_id=message_id,
            subject=meta.get("email_subject") or smtp.reply_subject(""),
            in_reply_to=in_reply_to,
            references=meta.get("email_references", "").split(),
            files=files,
        )
        await smtp.send(settings, mail)
        return Receipt(platform_message_id=message_id, status=MessageStatus.SENT)


def _settings(account: AccountContext) -> EmailSettings:
    try:
        return email_settings(account)
    except InvalidInput as exc:
        raise PermanentSendError(exc.message, reason="config") from None
