"""The sandbox platform itself: a tiny messenger living beside crossdesk.

It plays the part WhatsApp or Telegram play for real accounts: it stores what
customers write, calls crossdesk's webhook (signed), accepts the business's replies
on its send API (deduplicated by Idempotency-Key) and reports delivered / read
statuses back through the webhook. crossdesk reaches it only through the sandbox
adapter and its webhook, exactly as it reaches a real platform.
"""

import asyncio
import json
import logging
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crossdesk.channels.sandbox.protocol import SIGNATURE_HEADER, derived_credential, sign
from crossdesk.db.models import ChannelAccount, SandboxMessage
from crossdesk.domain import ChannelKind, new_id

logger = logging.getLogger(__name__)

# Webhook deliveries are retried like a real platform would, then dropped.
WEBHOOK_ATTEMPTS = 4


class SandboxPlatform:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        installation_key: bytes,
        crossdesk_client: Callable[[], httpx.AsyncClient],
    ) -> None:
        self._sessionmaker = sessionmaker
        self._key = installation_key
        self._client = crossdesk_client
        self._tasks: set[asyncio.Task[None]] = set()

    def api_token(self, external_id: str) -> str:
        return derived_credential(self._key, "api", external_id)

    def webhook_secret(self, external_id: str) -> str:
        return derived_credential(self._key, "webhook", external_id)

    async def account_exists(self, external_id: str) -> bool:
        return await self._crossdesk_account_id(external_id) is not None

    async def customer_says(
        self, external_id: str, contact_id: str, text: str, *, name: str | None, lang: str | None
    ) -> str:
        """A customer writes to the business: store it, then call crossdesk's webhook."""
        message_id = "sbx_" + new_id()
        async with self._sessionmaker() as session:
            session.add(
                SandboxMessage(
                    id=message_id,
                    account_external_id=external_id,
                    contact_id=contact_id,
                    direction="to_business",
                    text=text,
                )
            )
            await session.commit()
        event: dict[str, object] = {
            "type": "message",
            "id": message_id,
            "from": contact_id,
            "name": name,
            "text": text,
            "timestamp": datetime.now(UTC).isoformat(),
        }
        if lang:
            event["lang"] = lang
        await self._deliver(external_id, [event])
        return message_id

    async def business_sends(
        self, external_id: str, contact_id: str, text: str, idempotency_key: str | None
    ) -> str:
        """The send API: store the reply once per Idempotency-Key and report it delivered."""
        async with self._sessionmaker() as session:
            if idempotency_key:
                existing = await session.scalar(
                    select(SandboxMessage.id).where(SandboxMessage.client_key == idempotency_key)
                )
                if existing is not None:
                    return existing
            message_id = "sbx_" + new_id()
            session.add(
                SandboxMessage(
                    id=message_id,
                    account_external_id=external_id,
                    contact_id=contact_id,
                    direction="from_business",
                    text=text,
                    client_key=idempotency_key,
                )
            )
            await session.commit()
        self._later(self._report(external_id, message_id, "delivered", delay=0.3))
        return message_id

    async def thread(self, external_id: str, contact_id: str) -> list[SandboxMessage]:
        """The customer's view of the chat; showing it marks the business's replies read."""
        async with self._sessionmaker() as session:
            rows = list(
                (
                    await session.scalars(
                        select(SandboxMessage)
                        .where(
                            SandboxMessage.account_external_id == external_id,
                            SandboxMessage.contact_id == contact_id,
                        )
                        .order_by(SandboxMessage.created_at, SandboxMessage.id)
                    )
                ).all()
            )
            newly_read = [
                r for r in rows if r.direction == "from_business" and not r.read_by_customer
            ]
            for row in newly_read:
                row.read_by_customer = True
            await session.commit()
        for row in newly_read:
            self._later(self._report(external_id, row.id, "read", delay=0.6))
        return rows

    async def _report(self, external_id: str, message_id: str, status: str, delay: float) -> None:
        await asyncio.sleep(delay)  # like a real phone, the customer's device answers later
        event: dict[str, object] = {
            "type": "status",
            "id": message_id,
            "status": status,
            "timestamp": datetime.now(UTC).isoformat(),
        }
        await self._deliver(external_id, [event])

    async def _deliver(self, external_id: str, events: list[dict[str, object]]) -> None:
        account_id = await self._crossdesk_account_id(external_id)
        if account_id is None:
            logger.warning("sandbox account %s is not connected to crossdesk", external_id)
            return
        body = json.dumps({"events": events}).encode()
        headers = {
            "content-type": "application/json",
            SIGNATURE_HEADER: sign(self.webhook_secret(external_id), body),
        }
        for attempt in range(WEBHOOK_ATTEMPTS):
            try:
                async with self._client() as client:
                    response = await client.post(
                        f"/webhooks/sandbox/{account_id}", content=body, headers=headers
                    )
                if response.status_code < 500:
                    if response.status_code >= 400:
                        logger.warning(
                            "crossdesk refused a sandbox webhook: %s", response.status_code
                        )
                    return
            except httpx.TransportError:
                logger.warning("sandbox webhook delivery failed (attempt %d)", attempt + 1)
            await asyncio.sleep(0.5 * 2**attempt)

    async def _crossdesk_account_id(self, external_id: str) -> str | None:
        # The simulator's only shortcut: it finds the webhook URL in crossdesk's table
        # instead of keeping its own registration (a real platform has it in its console).
        async with self._sessionmaker() as session:
            return await session.scalar(
                select(ChannelAccount.id).where(
                    ChannelAccount.kind == ChannelKind.SANDBOX.value,
                    ChannelAccount.external_id == external_id,
                    ChannelAccount.archived.is_(False),
                )
            )

    def _later(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for pending status reports (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
