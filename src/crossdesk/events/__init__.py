"""The realtime bus: committed changes fan out to connected browsers."""

from crossdesk.events.bus import Event, EventBus, make_bus
from crossdesk.events.memory import MemoryEventBus

__all__ = ["Event", "EventBus", "MemoryEventBus", "make_bus"]
