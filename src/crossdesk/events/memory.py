"""In-process event bus: one bounded queue per subscriber."""

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator

from crossdesk.events.bus import Event

logger = logging.getLogger(__name__)


class MemoryEventBus:
    def __init__(self, queue_size: int = 1000) -> None:
        self._queue_size = queue_size
        self._subscribers: dict[str, set[asyncio.Queue[Event]]] = defaultdict(set)

    async def publish(self, event: Event) -> None:
        # Round-trip through JSON so an event that would break on Redis breaks here too.
        event = Event.from_json(event.to_json())
        for queue in list(self._subscribers.get(event.workspace_id, ())):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                # A stalled browser must not slow everyone else: it will resync on reconnect.
                logger.warning("dropping event for a slow subscriber")

    async def subscribe(self, workspace_id: str) -> AsyncIterator[Event]:
        queue: asyncio.Queue[Event] = asyncio.Queue(self._queue_size)
        self._subscribers[workspace_id].add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._subscribers[workspace_id].discard(queue)

    def subscriber_count(self, workspace_id: str) -> int:
        return len(self._subscribers.get(workspace_id, ()))

    async def close(self) -> None:
        self._subscribers.clear()
