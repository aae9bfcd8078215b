"""The EventBus protocol and the event value. Backends are chosen by URL."""

import json
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Event:
    """A committed change. The scoping fields let the SSE endpoint filter per viewer."""

    type: str  # message.created, message.status, conversation.updated
    workspace_id: str
    conversation_id: str | None = None
    team_id: str | None = None
    assignee_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes) -> "Event":
        return cls(**json.loads(raw))


class EventBus(Protocol):
    async def publish(self, event: Event) -> None: ...

    def subscribe(self, workspace_id: str) -> AsyncIterator[Event]:
        """Events of one workspace, from now on, until the iterator is closed."""
        ...

    async def close(self) -> None: ...


def make_bus(redis_url: str | None) -> EventBus:
    if redis_url:
        from crossdesk.events.redis import RedisEventBus

        return RedisEventBus(redis_url)
    from crossdesk.events.memory import MemoryEventBus

    return MemoryEventBus()
