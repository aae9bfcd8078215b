"""Redis pub/sub event bus, for several server processes. Redis only wakes browsers:
everything durable is already committed in the database before an event is published."""

from collections.abc import AsyncIterator

import redis.asyncio as aioredis

from crossdesk.events.bus import Event

_PREFIX = "crossdesk:events:"


class RedisEventBus:
    def __init__(self, url: str) -> None:
        self._redis = aioredis.Redis.from_url(url)

    async def publish(self, event: Event) -> None:
        await self._redis.publish(_PREFIX + event.workspace_id, event.to_json())

    async def subscribe(self, workspace_id: str) -> AsyncIterator[Event]:
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(_PREFIX + workspace_id)
        try:
            async for item in pubsub.listen():
                if item.get("type") == "message":
                    yield Event.from_json(item["data"])
        finally:
            await pubsub.unsubscribe()
            await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py lacks the hint

    async def ready(self, workspace_id: str) -> int:
        """Number of subscribers Redis knows for a workspace (used by tests and health)."""
        counts = await self._redis.pubsub_numsub(_PREFIX + workspace_id)
        return int(counts[0][1]) if counts else 0

    async def close(self) -> None:
        await self._redis.aclose()
