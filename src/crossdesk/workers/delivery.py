"""The delivery worker: outbox → channel adapter → platform.

Each attempt is committed as ``sending`` (with a lease) *before* the platform is called,
and as ``done`` after. A ``sending`` row whose lease ran out therefore means a worker died
between the two: the platform may or may not have the message. Where the platform
deduplicates resends by our idempotency key the row is simply retried; elsewhere the
message is marked ``unknown`` for the agent, never silently resent.

Before each send the account's anti-ban limits are checked (actions/account_limits.py): a
message over them goes back to ``pending`` with ``next_attempt_at`` set to when a slot frees
up and the note "waiting: account send limit (...)" for the agent; it is never dropped.
"""

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from datetime import timedelta

import httpx
from sqlalchemy import ColumnElement, and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from crossdesk.actions.account_limits import send_verdict, waiting_note
from crossdesk.actions.accounts import account_context
from crossdesk.actions.outbound_attachments import message_attachments, stored_path
from crossdesk.actions.outbound_context import outbound_metadata, window_refusal
from crossdesk.actions.publish import publish_on_commit
from crossdesk.actions.signed_files import signed_url
from crossdesk.channels.base import AccountContext
from crossdesk.channels.registry import get_adapter
from crossdesk.db.base import utcnow
from crossdesk.db.models import ChannelAccount, Contact, Conversation, Message, Outbox
from crossdesk.db.session import commit
from crossdesk.domain import Attachment, ChannelKind, MessageStatus, OutboundMessage
from crossdesk.domain.events import PLACEHOLDER_ID_PREFIX
from crossdesk.domain.send_limits import Verdict
from crossdesk.errors import CrossdeskError, PermanentSendError, RetryableSendError
from crossdesk.services import Services
from crossdesk.vault.crypto import Envelope, associated_data

logger = logging.getLogger(__name__)

ClientFactory = Callable[[AccountContext], httpx.AsyncClient]

UNKNOWN_NOTE = (
    "The worker stopped while the platform was receiving this message: it may or may not "
    "have arrived. Check with the customer before sending it again."
)


def default_client_factory(account: AccountContext) -> httpx.AsyncClient:
    """One client per send, through the account's own proxy when it has one."""
    return httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=5.0), proxy=account.proxy_url)


class DeliveryWorker:
    def __init__(
        self, services: Services, client_factory: ClientFactory = default_client_factory
    ) -> None:
        self._services = services
        self._settings = services.settings.delivery
        self._client_factory = client_factory

    async def run_forever(self) -> None:
        wakeup = self._services.delivery_wakeup
        while True:
            try:
                worked = await self.run_once()
            except Exception:
                logger.exception("delivery pass failed")
                worked = 0
            if worked:
                continue
            wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wakeup.wait(), self._settings.poll_interval_seconds)

    async def run_once(self, limit: int = 20) -> int:
        """Recover abandoned attempts, then deliver up to ``limit`` due messages."""
        await self.recover_abandoned()
        claimed = await self._claim(limit)
        for outbox_id in claimed:
            await self._deliver(outbox_id)
        return len(claimed)

    async def _claim(self, limit: int) -> list[str]:
        now = utcnow()
        earlier = aliased(Outbox)
        # In order within a conversation: skip a row while an older one is still in flight.
        blocked_by_earlier = exists().where(
            and_(
                earlier.conversation_id == Outbox.conversation_id,
                earlier.state.in_(("pending", "sending")),
                earlier.created_at < Outbox.created_at,
            )
        )
        async with self._services.sessionmaker() as session:
            statement = (
                select(Outbox.id)
                .where(
                    Outbox.state == "pending", Outbox.next_attempt_at <= now, ~blocked_by_earlier
                )
                .order_by(Outbox.next_attempt_at)
                .limit(limit)
            )
            if session.get_bind().dialect.name == "postgresql":
                statement = statement.with_for_update(skip_locked=True, of=Outbox)
            ids = list((await session.scalars(statement)).all())
            claimed: list[str] = []
            lease = now + timedelta(seconds=self._settings.lease_seconds)
            for outbox_id in ids:
                result = await session.execute(
                    update(Outbox)
                    .where(Outbox.id == outbox_id, Outbox.state == "pending")
                    .values(state="sending", lease_until=lease, attempts=Outbox.attempts + 1)
                )
                if result.rowcount:  # type: ignore[attr-defined]  # CursorResult
                    claimed.append(outbox_id)
            await session.commit()
        return claimed

    async def _deliver(self, outbox_id: str) -> None:
        async with self._services.sessionmaker() as session:
            row = await session.get(Outbox, outbox_id)
            assert row is not None
            message = await session.get(Message, row.message_id)
            account = await session.get(ChannelAccount, row.account_id)
            conversation = await session.get(Conversation, row.conversation_id)
            assert message is not None and account is not None and conversation is not None
            contact = await session.get(Contact, conversation.contact_id)
            assert contact is not None
            try:
                context = await account_context(self._services, session, account)
            except CrossdeskError as exc:
                await self._give_up(session, row, message, conversation, exc.message)
                return
            # Anti-ban: over the account's send limits the message waits (never dropped).
            verdict = await send_verdict(
                session,
                account,
                conversation.id,
                row.id,
                overrides=self._services.settings.sessions.send_limit_defaults,
            )
            if not verdict.allowed:
                await self._hold(session, row, message, conversation, verdict)
                return
            adapter = get_adapter(ChannelKind(account.kind))
            # Templates, e-mail threading headers; free text outside the platform's
            # customer-service window is refused here, before the platform is asked.
            metadata = await outbound_metadata(
                self._services, session, account, conversation, message, row.idempotency_key
            )
            refusal = window_refusal(adapter.capabilities, conversation, metadata)
            if refusal is not None:
                await self._give_up(session, row, message, conversation, refusal)
                return
            try:
                attachments = await self._attachments(session, message)
            except PermanentSendError as exc:
                await self._give_up(session, row, message, conversation, exc.message)
                return
            outbound = OutboundMessage(
                message_id=message.id,
                recipient_id=contact.platform_user_id,
                text=self._outgoing_text(message),
                idempotency_key=row.idempotency_key,
                attachments=attachments,
                metadata=metadata,
            )
            message.status = MessageStatus.SENDING.value
            self._announce(session, conversation, message)
            await commit(session)
            try:
                async with self._client_factory(context) as client:
                    receipt = await adapter.send(client, context, outbound)
            except RetryableSendError as exc:
                await self._retry(session, row, message, conversation, exc)
                return
            except PermanentSendError as exc:
                await self._give_up(session, row, message, conversation, exc.message)
                return
            except Exception as exc:  # an adapter bug must not kill the worker or lose the row
                logger.exception("adapter %s crashed while sending", account.kind)
                await self._retry(
                    session, row, message, conversation, RetryableSendError(type(exc).__name__)
                )
                return
            row.state = "done"
            row.lease_until = None
            await self._record_platform_id(session, message, receipt.platform_message_id)
            message.sent_at = utcnow()
            if MessageStatus(message.status).can_become(receipt.status):
                message.status = receipt.status.value
            message.error = None
            self._announce(session, conversation, message)
            await commit(session)

    async def _record_platform_id(
        self, session: AsyncSession, message: Message, platform_id: str
    ) -> None:
        """Record the receipt's id. A placeholder never replaces a real id: the Telegram
        user worker may already have taken the real one from the echo of the attempt whose
        answer was lost, and read receipts only match real ids. One conditional UPDATE, so
        an echo committing meanwhile is not overwritten either (our ``message`` is stale)."""
        if not platform_id.startswith(PLACEHOLDER_ID_PREFIX):
            message.platform_message_id = platform_id
            return
        await session.execute(
            update(Message)
            .where(Message.id == message.id, lacks_platform_id())
            .values(platform_message_id=platform_id)
            .execution_options(synchronize_session=False)
        )

    def _announce(
        self, session: AsyncSession, conversation: Conversation, message: Message
    ) -> None:
        """Tell the viewers of the conversation, once committed, that a status changed."""
        publish_on_commit(
            self._services,
            session,
            "message.status",
            conversation,
            {"message_id": message.id, "status": message.status},
        )

    async def _attachments(self, session: AsyncSession, message: Message) -> tuple[Attachment, ...]:
        """The message's stored files as adapters take them: the absolute path to upload
        and, when a public https base URL is configured, a signed URL for platforms that
        fetch media themselves (LINE)."""
        items: list[Attachment] = []
        for row in await message_attachments(session, message.id):
            path = stored_path(self._services, row)
            if path is None:
                raise PermanentSendError(
                    f"the file {row.filename or row.id} is missing from the attachments directory",
                    reason="file_missing",
                )
            items.append(
                Attachment(
                    kind=row.kind,
                    content_type=row.content_type,
                    filename=row.filename,
                    size=row.size,
                    local_path=str(path),
                    url=signed_url(self._services.settings, row.id, row.filename or path.name),
                )
            )
        return tuple(items)

    def _outgoing_text(self, message: Message) -> str:
        assert message.outgoing_enc is not None or message.body_raw_enc is not None
        return outgoing_text(
            self._services.envelope,
            message.workspace_id,
            message.id,
            message.outgoing_enc,
            message.body_raw_enc,
        )

    async def _retry(
        self,
        session: AsyncSession,
        row: Outbox,
        message: Message,
        conversation: Conversation,
        exc: RetryableSendError,
    ) -> None:
        if row.attempts >= self._settings.max_attempts:
            await self._give_up(session, row, message, conversation, f"gave up: {exc.message}")
            return
        backoff = min(
            self._settings.max_backoff_seconds,
            self._settings.base_backoff_seconds * 2 ** (row.attempts - 1),
        )
        delay = max(exc.retry_after or 0.0, backoff * random.uniform(0.5, 1.0))  # jitter
        row.state = "pending"
        row.lease_until = None
        row.next_attempt_at = utcnow() + timedelta(seconds=delay)
        row.last_error = exc.message[:500]
        message.status = MessageStatus.QUEUED.value
        message.error = f"retrying: {exc.message}"[:500]
        self._announce(session, conversation, message)
        await commit(session)

    async def _hold(
        self,
        session: AsyncSession,
        row: Outbox,
        message: Message,
        conversation: Conversation,
        verdict: Verdict,
    ) -> None:
        """Put the message back until the account may send again; waiting is not a failed
        attempt, so it does not count towards ``max_attempts``."""
        now = utcnow()
        note = waiting_note(verdict, now)
        row.state = "pending"
        row.lease_until = None
        row.attempts = max(0, row.attempts - 1)
        row.next_attempt_at = now + timedelta(seconds=verdict.wait_seconds)
        row.last_error = note[:500]
        message.status = MessageStatus.QUEUED.value
        message.error = note[:500]
        self._announce(session, conversation, message)
        await commit(session)

    async def _give_up(
        self,
        session: AsyncSession,
        row: Outbox,
        message: Message,
        conversation: Conversation,
        reason: str,
    ) -> None:
        row.state = "dead"
        row.lease_until = None
        row.last_error = reason[:500]
        message.status = MessageStatus.FAILED.value
        message.error = reason[:500]
        self._announce(session, conversation, message)
        await commit(session)

    async def recover_abandoned(self) -> int:
        """Settle attempts whose worker died mid-send (see the module docstring)."""
        now = utcnow()
        async with self._services.sessionmaker() as session:
            rows = (
                await session.scalars(
                    select(Outbox).where(Outbox.state == "sending", Outbox.lease_until < now)
                )
            ).all()
            for row in rows:
                account = await session.get(ChannelAccount, row.account_id)
                message = await session.get(Message, row.message_id)
                conversation = await session.get(Conversation, row.conversation_id)
                assert account is not None and message is not None and conversation is not None
                if get_adapter(ChannelKind(account.kind)).capabilities.deduplicates_sends:
                    row.state = "pending"  # resend with the same key: the platform dedupes
                    row.next_attempt_at = now
                    row.lease_until = None
                    message.status = MessageStatus.QUEUED.value
                else:
                    row.state = "dead"
                    row.lease_until = None
                    row.last_error = "outcome unknown"
                    message.status = MessageStatus.UNKNOWN.value
                    message.error = UNKNOWN_NOTE
                self._announce(session, conversation, message)
            await commit(session)
            return len(rows)


def lacks_platform_id() -> ColumnElement[bool]:
    """A message with no real platform id yet: none, or only a resend's placeholder."""
    return or_(
        Message.platform_message_id.is_(None),
        Message.platform_message_id.startswith(PLACEHOLDER_ID_PREFIX, autoescape=True),
    )


def outgoing_text(
    envelope: Envelope,
    workspace_id: str,
    message_id: str,
    outgoing_enc: bytes | None,
    body_raw_enc: bytes | None,
) -> str:
    """What the customer gets: the customer's copy of the translation when there is one,
    else the agent's own words (decrypted: masks are for viewers, not for the customer)."""
    record = f"message {message_id}"
    if outgoing_enc is not None:
        aad = associated_data(workspace_id, message_id, "message.outgoing")
        return envelope.open(outgoing_enc, aad, record=record).decode()
    if body_raw_enc is None:
        return ""
    aad = associated_data(workspace_id, message_id, "message.body")
    return envelope.open(body_raw_enc, aad, record=record).decode()
