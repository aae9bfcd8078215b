"""The Telegram user worker: one MTProto connection per logged-in Telegram user account.

Each account's client stays connected (Telethon reconnects by itself; we restart it with
backoff if it gives up). Private messages (incoming, and those sent from the phone app as
echoes) go through the normal receive path: ``prepare_events`` then ``store_events`` in one
transaction; the unique (account, platform message id) constraint drops Telegram's
redeliveries. No database session is held while Telegram answers (ADR 0002).

Read receipts: Telegram reports that the contact read our messages as
``updateReadHistoryOutbox`` (peer, max_id): every outbound message of that private chat with
an id up to ``max_id`` has been read. The worker turns that watermark into one ``StatusEvent``
per matching message and stores them through the normal status path (forward only).

Media (photos, and documents: files, voice notes, audio, video, stickers) is downloaded over
this same connection (Telethon ``download_media``: ``upload.getFile`` in parts) before the
message is stored, with the attachment worker's rules: the declared size is checked first,
the download is cut at the limit, the type is taken from the bytes where they identify it and
must be on the allow-list. The file and the message are committed together; a refused or
failed file keeps its metadata (no stored file) and the message says why in its stage notes
(``attachments``). Downloads run in the update handler: one account's messages stay in order.

Our own replies come back: Telegram shows a message sent through the outbox to the account's
other sessions (this listening connection) as an outgoing ``updateNewMessage``, exactly like a
message typed in the phone app. It is not stored again: if its id is already on our outbound
message it is a redelivery; if it arrives before the delivery worker committed that id (the
send is still being answered), it matches a reply of the same chat, with the same text, that
is queued or sending without a Telegram id (or carries only the ``random:`` id of a resend
Telegram refused as duplicate; that reply then gets the real id). The update carries no
``random_id`` (only the sender's own answer does), so chat + text + in-flight is the match.
Only what matches none of our replies is a "phone app" echo.

Waiting for a login: an account with no session (or one Telegram ended) waits up to
``AUTH_BACKOFF``, but every ``SESSION_CHECK_SECONDS`` it compares a fingerprint of the
account's stored settings (config, proxy, and each sealed secret's id and ciphertext hash:
read as stored, never decrypted) with the one it started from: a login from the accounts
page or the CLI, in this process or another, re-seals the session, so the worker connects
within seconds. ``auth_failed`` is only written while that fingerprint is still the one the
worker tried, in the same transaction as the check: a session saved meanwhile keeps its
``connected``.
"""

import asyncio
import contextlib
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from telethon import errors, events
from telethon.tl import types

from crossdesk.actions.accounts import account_context
from crossdesk.actions.receive_message import PreparedMessage, prepare_events, store_events
from crossdesk.channels.telegram_user.client import make_client, message_event
from crossdesk.channels.telegram_user.settings import (
    API_HASH_SECRET,
    SESSION_SECRET,
    TelegramUserSettings,
    telegram_user_settings,
)
from crossdesk.db.base import utcnow
from crossdesk.db.models import (
    Attachment,
    ChannelAccount,
    Contact,
    Conversation,
    Message,
    Outbox,
    Secret,
)
from crossdesk.db.session import transaction
from crossdesk.domain import (
    ChannelKind,
    Direction,
    InboundEvent,
    MessageStatus,
    StatusEvent,
    new_id,
)
from crossdesk.errors import InvalidInput
from crossdesk.services import Services
from crossdesk.workers.attachments import (
    DEFAULT_MAX_BYTES,
    NOT_DOWNLOADED,
    REFUSED,
    AttachmentRefused,
    LimitedBuffer,
    Stored,
    attachments_root,
    checked_type,
    write_checked,
)
from crossdesk.workers.delivery import lacks_platform_id, outgoing_text

logger = logging.getLogger(__name__)

RESCAN_SECONDS = 60.0
MAX_BACKOFF = 300.0
AUTH_BACKOFF = 900.0
# While waiting for a login: how often the stored settings are compared (one small query).
SESSION_CHECK_SECONDS = 2.0
DOWNLOAD_TIMEOUT = 300.0
# A download that fails for a passing reason (Telegram busy, FLOOD_WAIT, a dropped
# connection) is tried again right away, a few times: the message is stored without its file
# otherwise, and nothing fetches it later.
DOWNLOAD_ATTEMPTS = 3
RETRY_SECONDS = 1.0
MAX_DOWNLOAD_WAIT = 30.0
TRANSIENT = (
    errors.ServerError,
    errors.TimedOutError,
    errors.FloodWaitError,
    OSError,
    TimeoutError,
    ConnectionError,
)
# How far back a queued/sending reply may be the origin of an outgoing update (FLOOD_WAIT
# and anti-ban holds can keep a reply queued for hours).
OWN_SEND_WINDOW = timedelta(hours=24)
IN_FLIGHT = (
    MessageStatus.QUEUED.value,
    MessageStatus.SENDING.value,
    MessageStatus.SENT.value,
    MessageStatus.UNKNOWN.value,
)

# Downloads the message's media into the given file object (the worker's own connection).
Download = Callable[[LimitedBuffer], Awaitable[Any]]


class TelegramUserWorker:
    def __init__(
        self, services: Services, *, max_attachment_bytes: int = DEFAULT_MAX_BYTES
    ) -> None:
        self._services = services
        self._watchers: dict[str, asyncio.Task[None]] = {}
        self.clients: dict[str, Any] = {}  # account id -> connected client (for tests/health)
        self.max_attachment_bytes = max_attachment_bytes
        self.handled = 0  # updates handled (stored or not): tests wait on it
        self.own_sends_skipped = 0  # outgoing updates recognised as our own replies

    async def run_forever(self) -> None:
        try:
            while True:
                try:
                    await self.reconcile()
                except Exception:
                    logger.exception("listing Telegram user accounts failed")
                await asyncio.sleep(RESCAN_SECONDS)
        finally:
            await self.stop()

    async def stop(self) -> None:
        for task in self._watchers.values():
            task.cancel()
        for task in self._watchers.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._watchers.clear()

    async def reconcile(self) -> None:
        """Watch every active Telegram user account, stop watching archived ones."""
        async with self._services.read_sessionmaker() as session:
            ids = set(
                (
                    await session.scalars(
                        select(ChannelAccount.id).where(
                            ChannelAccount.kind == ChannelKind.TELEGRAM_USER.value,
                            ChannelAccount.archived.is_(False),
                        )
                    )
                ).all()
            )
        for account_id in list(self._watchers):
            task = self._watchers[account_id]
            if account_id not in ids or task.done():
                task.cancel()
                del self._watchers[account_id]
        for account_id in ids - set(self._watchers):
            self._watchers[account_id] = asyncio.create_task(self.watch(account_id))

    async def _settings(self, account_id: str) -> TelegramUserSettings | None:
        async with self._services.read_sessionmaker() as session:
            account = await session.get(ChannelAccount, account_id)
            if account is None or account.archived:
                return None
            context = await account_context(self._services, session, account)
        return telegram_user_settings(context)

    async def watch(self, account_id: str) -> None:
        """Keep one account connected until cancelled."""
        backoff = 5.0
        while True:
            try:
                # Read before the settings: a login saved in between is then seen as a change.
                seen = await self.settings_fingerprint(account_id)
                settings = await self._settings(account_id)
                if settings is None:
                    return
                if settings.session is None or not await self._connected(account_id, settings):
                    await self.mark_auth_failed(account_id, seen)
                    await self.wait_for_change(account_id, seen, AUTH_BACKOFF)
                    continue
                backoff = 5.0
            except asyncio.CancelledError:
                raise
            except InvalidInput as exc:
                logger.warning("Telegram user account %s is misconfigured: %s", account_id, exc)
                await self.wait_for_change(account_id, seen, AUTH_BACKOFF)
            except Exception as exc:
                logger.info("Telegram account %s: %s; retrying", account_id, type(exc).__name__)
                await asyncio.sleep(backoff)
                backoff = min(MAX_BACKOFF, backoff * 2)

    async def settings_fingerprint(self, account_id: str) -> str:
        """What the account's settings are as stored: changes with every login (the session
        is re-sealed), config, proxy or api_hash edit. Nothing is decrypted."""
        async with self._services.read_sessionmaker() as session:
            return await _fingerprint(session, account_id)

    async def wait_for_change(self, account_id: str, seen: str, longest: float) -> bool:
        """Wait up to ``longest`` seconds for the stored settings to differ from ``seen``."""
        clock = asyncio.get_running_loop()
        deadline = clock.time() + longest
        while (left := deadline - clock.time()) > 0:
            await asyncio.sleep(min(SESSION_CHECK_SECONDS, left))
            with contextlib.suppress(Exception):  # a database hiccup: check again later
                if await self.settings_fingerprint(account_id) != seen:
                    return True
        return False

    async def mark_auth_failed(self, account_id: str, seen: str) -> bool:
        """Set health ``auth_failed`` unless the settings changed since ``seen`` (a login
        was saved meanwhile: its ``connected`` stands). True when written."""
        async with transaction(self._services.sessionmaker) as session:
            # The account row is locked first (PostgreSQL): a login committing meanwhile
            # is waited for, and the fingerprint read after the lock sees it.
            locked = await session.scalar(
                select(ChannelAccount.id).where(ChannelAccount.id == account_id).with_for_update()
            )
            if locked is None or await _fingerprint(session, account_id) != seen:
                return False
            await session.execute(
                update(ChannelAccount)
                .where(ChannelAccount.id == account_id)
                .values(health="auth_failed")
            )
        return True

    async def _connected(self, account_id: str, settings: TelegramUserSettings) -> bool:
        """Listen until disconnected; False when the session no longer works (ended on the
        phone), without touching health (the caller checks the session was not replaced)."""
        telegram = make_client(settings)

        async def on_message(update: Any) -> None:
            message = update.message
            try:
                event = message_event(message, await update.get_chat())
                if event is not None:

                    async def download(target: LimitedBuffer) -> Any:
                        return await telegram.download_media(message, file=target)

                    await self.store(account_id, event, download=download)
            except Exception:
                logger.exception("storing a Telegram message of account %s failed", account_id)
            finally:
                self.handled += 1

        async def on_read(update: Any) -> None:
            try:
                if isinstance(update.peer, types.PeerUser):
                    await self.mark_read(account_id, update.peer.user_id, update.max_id)
            except Exception:
                logger.exception("storing a Telegram read receipt of account %s failed", account_id)

        telegram.add_event_handler(on_message, events.NewMessage())
        telegram.add_event_handler(on_read, events.Raw(types.UpdateReadHistoryOutbox))
        try:
            await telegram.connect()
            if not await telegram.is_user_authorized():  # the session was ended on the phone
                return False
            await self._set_health(account_id, "connected")
            self.clients[account_id] = telegram
            with contextlib.suppress(Exception):
                await telegram.catch_up()  # what arrived while we were away
            await telegram.run_until_disconnected()
            return True
        finally:
            self.clients.pop(account_id, None)
            await telegram.disconnect()

    async def store(
        self, account_id: str, event: InboundEvent, *, download: Download | None = None
    ) -> bool:
        """Store one message through the normal receive path, with its file when it has one
        (``download`` fetches it); False if already stored or one of our own replies."""
        async with self._services.read_sessionmaker() as session:
            account = await session.get(ChannelAccount, account_id)
            if account is None:
                return False
            session.expunge(account)
        if event.echo and await self._own_reply(account, event):
            self.own_sends_skipped += 1
            return False
        prepared = await prepare_events(self._services, account, [event])
        if not prepared:
            return False
        stored: Stored | None = None
        item = prepared[0]
        if event.attachments and isinstance(item, PreparedMessage):
            stored, failure = await self._fetch(account, event, download)
            if failure is not None:
                item.draft.notes["attachments"] = failure
        try:
            async with transaction(self._services.sessionmaker) as session:
                result = await store_events(self._services, session, account, prepared)
                if result.stored == 1 and stored is not None:
                    await _attach(session, account, event, stored)
        except BaseException:
            _discard(self._services, stored)
            raise
        if result.stored != 1:
            _discard(self._services, stored)  # a concurrent redelivery won
        return result.stored == 1

    async def _fetch(
        self, account: ChannelAccount, event: InboundEvent, download: Download | None
    ) -> tuple[Stored | None, str | None]:
        """The message's file checked and written to the store, or why it is not."""
        attachment = event.attachments[0]
        if attachment.size is not None and attachment.size > self.max_attachment_bytes:
            return None, (
                f"{REFUSED}the file has {attachment.size} bytes; "
                f"the limit is {self.max_attachment_bytes}"
            )
        if download is None:
            return None, f"{NOT_DOWNLOADED}no connection to fetch it through"
        clock = asyncio.get_running_loop()
        deadline = clock.time() + DOWNLOAD_TIMEOUT  # all attempts together
        for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
            target = LimitedBuffer(self.max_attachment_bytes)
            try:
                await asyncio.wait_for(download(target), max(deadline - clock.time(), 0.001))
                break
            except AttachmentRefused as exc:
                return None, f"{REFUSED}{exc}"
            except TRANSIENT as exc:
                wait = float(getattr(exc, "seconds", 0) or RETRY_SECONDS)
                if (
                    attempt == DOWNLOAD_ATTEMPTS
                    or wait > MAX_DOWNLOAD_WAIT
                    or clock.time() + wait >= deadline
                ):
                    logger.info("Telegram file of account %s not downloaded: %s", account.id, exc)
                    return None, f"{NOT_DOWNLOADED}{type(exc).__name__}"
                await asyncio.sleep(wait)  # the account's next updates wait: kept short
            except errors.RPCError as exc:
                logger.info("Telegram file of account %s not downloaded: %s", account.id, exc)
                return None, f"{NOT_DOWNLOADED}{type(exc).__name__}"
        data = target.getvalue()
        if not data:
            return None, f"{NOT_DOWNLOADED}Telegram returned no file"
        try:
            content_type = checked_type(attachment.content_type, None, data[:16])
        except AttachmentRefused as exc:
            return None, f"{REFUSED}{exc}"
        stored = await asyncio.to_thread(
            write_checked, self._services, account.workspace_id, new_id(), content_type, data
        )
        return stored, None

    async def _own_reply(self, account: ChannelAccount, event: InboundEvent) -> bool:
        """Whether an outgoing update is one of our replies (see the module doc)."""
        platform_id = event.platform_message_id
        async with self._services.read_sessionmaker() as session:
            known = await session.scalar(
                select(Message.id).where(
                    Message.account_id == account.id, Message.platform_message_id == platform_id
                )
            )
            if known is not None:
                return False  # stored already (ours or an earlier echo): the usual dedupe
            rows = (
                await session.execute(
                    select(
                        Message.id,
                        Message.workspace_id,
                        Message.outgoing_enc,
                        Message.body_raw_enc,
                        Message.platform_message_id,
                        Outbox.attempts,
                    )
                    .join(Conversation, Conversation.id == Message.conversation_id)
                    .outerjoin(Outbox, Outbox.message_id == Message.id)
                    .join(Contact, Contact.id == Conversation.contact_id)
                    .where(
                        Message.account_id == account.id,
                        Message.direction == Direction.OUTBOUND.value,
                        Message.echo.is_(False),
                        Message.status.in_(IN_FLIGHT),
                        lacks_platform_id(),
                        Message.created_at >= utcnow() - OWN_SEND_WINDOW,
                        Contact.account_id == account.id,
                        Contact.platform_user_id == event.sender_id,
                    )
                    .order_by(Message.created_at)
                    .limit(50)
                )
            ).all()
        wanted = event.text.strip()
        for message_id, workspace_id, outgoing, raw, current, attempts in rows:
            sent = outgoing_text(
                self._services.envelope,
                message_id=message_id,
                workspace_id=workspace_id,
                outgoing_enc=outgoing,
                body_raw_enc=raw,
            )
            if sent.strip() != wanted:
                continue
            # Record the real id now when a send was attempted: if that attempt's answer is
            # lost, the resend only gets a "random:" placeholder (and the delivery worker
            # keeps a real id). A reply not yet tried keeps none: its own send will tell.
            if current is not None or (attempts or 0) > 0:
                await self._claim(message_id, platform_id)
            return True
        return False

    async def _claim(self, message_id: str, platform_id: str) -> None:
        """Give our reply its real id, unless it already has one (no id yet, or only a
        resend's placeholder: conditional, so a concurrent receipt is never overwritten)."""
        with contextlib.suppress(IntegrityError):
            async with transaction(self._services.sessionmaker) as session:
                await session.execute(
                    update(Message)
                    .where(
                        Message.id == message_id,
                        lacks_platform_id(),
                    )
                    .values(platform_message_id=platform_id)
                )

    async def mark_read(self, account_id: str, user_id: int, max_id: int) -> int:
        """The contact ``user_id`` read our messages up to ``max_id``; returns how many moved."""
        async with self._services.read_sessionmaker() as session:
            account = await session.get(ChannelAccount, account_id)
            if account is None:
                return 0
            session.expunge(account)
            rows = (
                await session.execute(
                    select(Message.platform_message_id, Message.status)
                    .join(Conversation, Conversation.id == Message.conversation_id)
                    .join(Contact, Contact.id == Conversation.contact_id)
                    .where(
                        Message.account_id == account_id,
                        Message.direction == Direction.OUTBOUND.value,
                        Message.status != MessageStatus.READ.value,
                        Message.platform_message_id.is_not(None),
                        Contact.account_id == account_id,
                        Contact.platform_user_id.startswith(f"{user_id}:", autoescape=True),
                    )
                )
            ).all()
        now = utcnow()
        statuses: list[InboundEvent | StatusEvent] = [
            StatusEvent(platform_id, MessageStatus.READ, now)
            for platform_id, status in rows
            if platform_id is not None
            and platform_id.isdigit()  # placeholder receipts carry no message id
            and int(platform_id) <= max_id
            and MessageStatus(status).can_become(MessageStatus.READ)
        ]
        if not statuses:
            return 0
        prepared = await prepare_events(self._services, account, statuses)
        async with transaction(self._services.sessionmaker) as session:
            result = await store_events(self._services, session, account, prepared)
        return result.statuses

    async def _set_health(self, account_id: str, health: str) -> None:
        async with transaction(self._services.sessionmaker) as session:
            await session.execute(
                update(ChannelAccount).where(ChannelAccount.id == account_id).values(health=health)
            )


async def _attach(
    session: Any, account: ChannelAccount, event: InboundEvent, stored: Stored
) -> None:
    """Point the message's attachment row at the stored file (same transaction)."""
    message_id = await session.scalar(
        select(Message.id).where(
            Message.account_id == account.id,
            Message.platform_message_id == event.platform_message_id,
        )
    )
    row = await session.scalar(select(Attachment).where(Attachment.message_id == message_id))
    if row is not None:
        row.storage_path = stored.relative_path
        row.content_type = stored.content_type
        row.size = stored.size


async def _fingerprint(session: AsyncSession, account_id: str) -> str:
    account = (
        await session.execute(
            select(ChannelAccount.config, ChannelAccount.proxy_url).where(
                ChannelAccount.id == account_id
            )
        )
    ).first()
    secrets = (
        await session.execute(
            select(Secret.id, Secret.name, Secret.blob)
            .where(
                Secret.owner_id == account_id,
                Secret.name.in_((SESSION_SECRET, API_HASH_SECRET)),
            )
            .order_by(Secret.name)
        )
    ).all()
    digest = hashlib.sha256()
    if account is not None:
        digest.update(json.dumps([account[0], account[1]], sort_keys=True, default=str).encode())
    for secret_id, name, blob in secrets:
        digest.update(f"|{name}:{secret_id}:".encode())
        digest.update(hashlib.sha256(blob).digest())
    return digest.hexdigest()


def _discard(services: Services, stored: Stored | None) -> None:
    if stored is not None:
        with contextlib.suppress(FileNotFoundError):
            (attachments_root(services) / Path(stored.relative_path)).unlink()
