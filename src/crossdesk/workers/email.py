"""The e-mail worker: every e-mail account's mailbox is watched over IMAP.

One watcher per account, each with its own thread for the blocking IMAP session (so a long
IDLE never holds up the event loop or another account). A watcher connects, reads every mail
after the stored cursor (``UID SEARCH`` / ``UID FETCH``, one transaction per mail: see
actions/email_inbox.py), then waits: in IDLE when the server offers it (woken by the server
as soon as mail arrives), otherwise for ``poll_seconds``. A broken connection is retried
with backoff; refused credentials mark the account ``auth_failed`` and are retried slowly.
No database session is held while the IMAP server answers (ADR 0002).
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import select, update

from crossdesk.actions.accounts import account_context
from crossdesk.actions.email_inbox import (
    MailboxPosition,
    advance_cursor,
    read_cursor,
    store_mail,
)
from crossdesk.channels.email.imap import MAX_MAIL_BYTES, ImapError, ImapSession
from crossdesk.channels.email.mime import parse_mail, parse_oversized
from crossdesk.channels.email.settings import EmailSettings, email_settings
from crossdesk.db.models import ChannelAccount
from crossdesk.db.session import transaction
from crossdesk.domain import ChannelKind
from crossdesk.errors import InvalidInput
from crossdesk.services import Services
from crossdesk.workers.attachments import DEFAULT_MAX_BYTES

logger = logging.getLogger(__name__)

T = TypeVar("T")
SessionFactory = Callable[[EmailSettings], ImapSession]

IDLE_SECONDS = 20 * 60.0  # below the 29 minutes after which servers may end an IDLE
RESCAN_SECONDS = 60.0  # how often the list of e-mail accounts is re-read
RETRY_SECONDS = 5.0  # first wait after a broken connection, doubled up to MAX_BACKOFF
MAX_BACKOFF = 300.0
AUTH_BACKOFF = 900.0


class EmailWorker:
    def __init__(
        self,
        services: Services,
        *,
        idle_seconds: float = IDLE_SECONDS,
        retry_seconds: float = RETRY_SECONDS,
        max_attachment_bytes: int = DEFAULT_MAX_BYTES,
        max_mail_bytes: int = MAX_MAIL_BYTES,
        session_factory: SessionFactory = ImapSession,
    ) -> None:
        self._services = services
        self._idle = idle_seconds
        self._retry = retry_seconds
        self._max_attachment = max_attachment_bytes
        self._max_mail = max_mail_bytes
        self._session_factory = session_factory
        self._watchers: dict[str, asyncio.Task[None]] = {}

    async def run_forever(self) -> None:
        try:
            while True:
                try:
                    await self._reconcile()
                except Exception:
                    logger.exception("listing e-mail accounts failed")
                await asyncio.sleep(RESCAN_SECONDS)
        finally:
            for task in self._watchers.values():
                task.cancel()
            for task in self._watchers.values():
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _reconcile(self) -> None:
        """Start a watcher for each e-mail account, stop those of archived accounts."""
        async with self._services.read_sessionmaker() as session:
            ids = set(
                (
                    await session.scalars(
                        select(ChannelAccount.id).where(
                            ChannelAccount.kind == ChannelKind.EMAIL.value,
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

    async def _settings(self, account_id: str) -> tuple[ChannelAccount, EmailSettings] | None:
        async with self._services.read_sessionmaker() as session:
            account = await session.get(ChannelAccount, account_id)
            if account is None or account.archived:
                return None
            context = await account_context(self._services, session, account)
            session.expunge(account)
        return account, email_settings(context)

    async def watch(self, account_id: str) -> None:
        """Keep one mailbox read until cancelled."""
        backoff = self._retry
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"imap-{account_id}") as pool:
            loop = asyncio.get_running_loop()
            while True:
                started = loop.time()
                try:
                    found = await self._settings(account_id)
                    if found is None:
                        return
                    account, settings = found
                    await self._session_loop(pool, account, settings)
                except asyncio.CancelledError:
                    raise
                except InvalidInput as exc:
                    # Shown on the account (health error) until fixed, e.g. an https:// proxy
                    # that cannot carry IMAP: mail is never read around the account's proxy.
                    logger.warning("e-mail account %s is misconfigured: %s", account_id, exc)
                    await self._set_health(account_id, "error")
                    await asyncio.sleep(AUTH_BACKOFF)
                except ImapError as exc:
                    if exc.auth:
                        await self._set_health(account_id, "auth_failed")
                        await asyncio.sleep(AUTH_BACKOFF)
                        continue
                    logger.info("IMAP for account %s: %s; retrying", account_id, exc)
                    if loop.time() - started > MAX_BACKOFF:
                        backoff = self._retry  # a session that lasted broke: not a failing server
                    await asyncio.sleep(backoff)
                    backoff = min(MAX_BACKOFF, backoff * 2)
                except Exception:
                    logger.exception("e-mail watcher of account %s failed", account_id)
                    await asyncio.sleep(backoff)
                    backoff = min(MAX_BACKOFF, backoff * 2)
                else:
                    backoff = self._retry

    async def _session_loop(
        self, pool: ThreadPoolExecutor, account: ChannelAccount, settings: EmailSettings
    ) -> None:
        session = await _in(pool, self._session_factory, settings)
        try:
            if account.health != "connected":
                await self._set_health(account.id, "connected")
            if not session.supports_idle:
                logger.info(
                    "IMAP server of account %s offers no IDLE: polling every %gs",
                    account.id,
                    settings.poll_seconds,
                )
            while True:
                await self._sync(pool, session, account, settings)
                if session.supports_idle:
                    await _in(pool, session.idle, self._idle)
                else:
                    await asyncio.sleep(settings.poll_seconds)
        except asyncio.CancelledError:
            session.interrupt()  # ends a blocking IDLE in the thread
            raise
        finally:
            with contextlib.suppress(Exception):
                await asyncio.shield(_in(pool, session.close))

    async def sync_account(self, account_id: str) -> int:
        """Connect, read everything new once, disconnect; returns how many mails were new."""
        found = await self._settings(account_id)
        if found is None:
            return 0
        account, settings = found
        with ThreadPoolExecutor(max_workers=1) as pool:
            session = await _in(pool, self._session_factory, settings)
            try:
                return await self._sync(pool, session, account, settings)
            finally:
                await _in(pool, session.close)

    async def _sync(
        self,
        pool: ThreadPoolExecutor,
        session: ImapSession,
        account: ChannelAccount,
        settings: EmailSettings,
    ) -> int:
        mailbox, uidvalidity = settings.mailbox, session.uidvalidity
        cursor = await read_cursor(self._services, account.id, mailbox)
        last_uid = cursor[1] if cursor is not None and cursor[0] == uidvalidity else 0
        if cursor is not None and cursor[0] != uidvalidity:
            logger.info("mailbox of account %s has a new UIDVALIDITY: re-reading", account.id)
        new = 0
        for uid in await _in(pool, session.uids_after, last_uid):
            fetched = await _in(pool, session.fetch, uid, self._max_mail)
            position = MailboxPosition(mailbox, uidvalidity, uid)
            if fetched is None:  # expunged between SEARCH and FETCH
                await advance_cursor(self._services, account, position)
                continue
            if fetched.truncated:
                logger.info(
                    "mail of %d bytes in account %s: headers only", fetched.size, account.id
                )
                mail = parse_oversized(fetched.raw, fetched.size, self._max_mail)
            else:
                mail = await asyncio.to_thread(parse_mail, fetched.raw)
            if await store_mail(
                self._services,
                account,
                mail,
                position,
                max_attachment_bytes=self._max_attachment,
            ):
                new += 1
        return new

    async def _set_health(self, account_id: str, health: str) -> None:
        async with transaction(self._services.sessionmaker) as session:
            await session.execute(
                update(ChannelAccount).where(ChannelAccount.id == account_id).values(health=health)
            )


async def _in(pool: ThreadPoolExecutor, function: Callable[..., T], *args: object) -> T:
    return await asyncio.get_running_loop().run_in_executor(pool, function, *args)
