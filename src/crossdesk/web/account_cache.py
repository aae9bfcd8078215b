"""A short-lived, process-local cache of webhook targets.

Every webhook needs its account, the account's decrypted secrets and the workspace's default
language; loading them was a quarter of the cost of a webhook. Entries live a few seconds,
so a changed secret or an archived account takes effect almost at once; nothing here is
state that matters (a restart or another process simply loads it again).
"""

import time
from dataclasses import dataclass

from sqlalchemy import select

from crossdesk.actions.accounts import account_context
from crossdesk.channels.base import AccountContext
from crossdesk.db.models import ChannelAccount, Workspace
from crossdesk.domain import ChannelKind
from crossdesk.errors import NotFound
from crossdesk.services import Services

TTL_SECONDS = 5.0
MAX_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    account: ChannelAccount  # detached snapshot: read its fields, never modify it
    context: AccountContext
    default_language: str | None


class AccountCache:
    def __init__(self, services: Services) -> None:
        self._services = services
        self._entries: dict[tuple[str, str], tuple[float, WebhookTarget]] = {}

    async def get(self, kind: str, account_id: str) -> WebhookTarget:
        key = (kind, account_id)
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            return entry[1]
        target = await self._load(kind, account_id)
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = (now + TTL_SECONDS, target)
        return target

    async def _load(self, kind: str, account_id: str) -> WebhookTarget:
        try:
            channel_kind = ChannelKind(kind)
        except ValueError:
            raise NotFound(f"unknown platform {kind!r}") from None
        async with self._services.read_sessionmaker() as session:
            account = await session.scalar(
                select(ChannelAccount).where(
                    ChannelAccount.id == account_id,
                    ChannelAccount.kind == channel_kind.value,
                    ChannelAccount.archived.is_(False),
                )
            )
            if account is None:
                raise NotFound("no such account")
            context = await account_context(self._services, session, account)
            language = await session.scalar(
                select(Workspace.default_language).where(Workspace.id == account.workspace_id)
            )
            session.expunge(account)
        return WebhookTarget(account, context, language)
