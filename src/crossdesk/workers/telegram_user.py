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
"""

import asyncio
import contextlib
import logging
from typing import Any

from sqlalchemy import select, update
from telethon import events
from telethon.tl import types

from crossdesk.actions.accounts import account_context
from crossdesk.actions.receive_message import prepare_events, store_events
from crossdesk.channels.telegram_user.client import make_client, message_event
from crossdesk.channels.telegram_user.settings import TelegramUserSettings, telegram_user_settings
from crossdesk.db.base import utcnow
from crossdesk.db.models import ChannelAccount, Contact, Conversation, Message
from crossdesk.db.session import transaction
from crossdesk.domain import ChannelKind, Direction, InboundEvent, MessageStatus, StatusEvent
from crossdesk.errors import InvalidInput
from crossdesk.services import Services

logger = logging.getLogger(__name__)

RESCAN_SECONDS = 60.0
MAX_BACKOFF = 300.0
AUTH_BACKOFF = 900.0


class TelegramUserWorker:
    def __init__(self, services: Services) -> None:
        self._services = services
        self._watchers: dict[str, asyncio.Task[None]] = {}
        self.clients: dict[str, Any] = {}  # account id -> connected client (for tests/health)

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
                settings = await self._settings(account_id)
                if settings is None:
                    return
                if settings.session is None:
                    await self._set_health(account_id, "auth_failed")
                    await asyncio.sleep(AUTH_BACKOFF)
                    continue
                await self._connected(account_id, settings)
                backoff = 5.0
            except asyncio.CancelledError:
                raise
            except InvalidInput as exc:
                logger.warning("Telegram user account %s is misconfigured: %s", account_id, exc)
                await asyncio.sleep(AUTH_BACKOFF)
            except Exception as exc:
                logger.info("Telegram account %s: %s; retrying", account_id, type(exc).__name__)
                await asyncio.sleep(backoff)
                backoff = min(MAX_BACKOFF, backoff * 2)

    async def _connected(self, account_id: str, settings: TelegramUserSettings) -> None:
        telegram = make_client(settings)

        async def on_message(update: Any) -> None:
            try:
                event = message_event(update.message, await update.get_chat())
                if event is not None:
                    await self.store(account_id, event)
            except Exception:
                logger.exception("storing a Telegram message of account %s failed", account_id)

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
                await telegram.disconnect()
                await self._set_health(account_id, "auth_failed")
                await asyncio.sleep(AUTH_BACKOFF)
                return
            await self._set_health(account_id, "connected")
            self.clients[account_id] = telegram
            with contextlib.suppress(Exception):
                await telegram.catch_up()  # what arrived while we were away
            await telegram.run_until_disconnected()
        finally:
            self.clients.pop(account_id, None)
            await telegram.disconnect()

    async def store(self, account_id: str, event: InboundEvent) -> bool:
        """Store one message through the normal receive path; False if already stored."""
        async with self._services.read_sessionmaker() as session:
            account = await session.get(ChannelAccount, account_id)
            if account is None:
                return False
            session.expunge(account)
        prepared = await prepare_events(self._services, account, [event])
        if not prepared:
            return False
        async with transaction(self._services.sessionmaker) as session:
            result = await store_events(self._services, session, account, prepared)
        return result.stored == 1

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
            and platform_id.isdigit()  # "random:..." receipts carry no message id
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
