"""Group commit for inbound webhooks.

Webhooks that arrive together are stored in one transaction: one BEGIN/COMMIT and one
connection checkout serve the whole group, which is what lets a single SQLite connection
keep up with bursts. Each webhook still gets its answer only after its own events are
committed; if a group fails, its members are retried one by one so that one bad event
cannot fail the others.
"""

import asyncio
import logging
from dataclasses import dataclass, field

from crossdesk.actions.receive_message import Prepared, ReceiveResult, store_events
from crossdesk.db.models import ChannelAccount
from crossdesk.db.session import transaction
from crossdesk.services import Services

logger = logging.getLogger(__name__)

MAX_GROUP = 64


@dataclass
class _Request:
    account: ChannelAccount
    prepared: list[Prepared]
    done: asyncio.Future[ReceiveResult] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class GroupCommitter:
    def __init__(self, services: Services, max_group: int = MAX_GROUP) -> None:
        self._services = services
        self._max_group = max_group
        self._queue: list[_Request] = []
        self._draining: asyncio.Task[None] | None = None

    async def store(self, account: ChannelAccount, prepared: list[Prepared]) -> ReceiveResult:
        """Store one webhook's prepared events; returns once they are committed."""
        request = _Request(account, prepared)
        self._queue.append(request)
        if self._draining is None or self._draining.done():
            self._draining = asyncio.create_task(self._drain())
        return await request.done

    async def _drain(self) -> None:
        while self._queue:
            group, self._queue = self._queue[: self._max_group], self._queue[self._max_group :]
            try:
                results = await self._store_group(group)
            except Exception:
                logger.warning("group of %d webhooks failed; storing one by one", len(group))
                for request in group:
                    await self._store_alone(request)
                continue
            for request, result in zip(group, results, strict=True):
                if not request.done.done():
                    request.done.set_result(result)

    async def _store_group(self, group: list[_Request]) -> list[ReceiveResult]:
        async with transaction(self._services.sessionmaker) as session:
            return [
                await store_events(self._services, session, r.account, r.prepared) for r in group
            ]

    async def _store_alone(self, request: _Request) -> None:
        try:
            [result] = await self._store_group([request])
        except Exception as exc:
            if not request.done.done():
                request.done.set_exception(exc)
            return
        if not request.done.done():
            request.done.set_result(result)
