"""The realtime bus: in-process and Redis backends behave the same, events only on commit."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from tests.factories import DemoWorld, build_world, inbound, receive

from crossdesk.events import Event, EventBus, MemoryEventBus
from crossdesk.events.redis import RedisEventBus
from crossdesk.services import Services


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[EventBus]:
    if request.param == "memory":
        built: EventBus = MemoryEventBus()
    else:
        built = RedisEventBus(request.getfixturevalue("redis_url"))
    yield built
    await built.close()


async def _collect(
    bus: EventBus, workspace_id: str, count: int, ready: asyncio.Event
) -> list[Event]:
    got: list[Event] = []
    subscription = bus.subscribe(workspace_id)
    first = asyncio.ensure_future(subscription.__anext__())
    await asyncio.sleep(0.2)  # let the subscription reach Redis before anything is published
    ready.set()
    got.append(await first)
    while len(got) < count:
        got.append(await subscription.__anext__())
    await subscription.aclose()  # type: ignore[attr-defined]
    return got


async def test_subscribers_get_their_workspace_only(bus: EventBus) -> None:
    ready = asyncio.Event()
    collector = asyncio.create_task(_collect(bus, "ws-1", 2, ready))
    await ready.wait()
    await bus.publish(Event("message.created", "ws-2", "c-other"))
    await bus.publish(Event("message.created", "ws-1", "c1", "team", None, {"n": 1}))
    await bus.publish(Event("message.status", "ws-1", "c1", data={"status": "read"}))
    events = await asyncio.wait_for(collector, 5)
    assert [(e.type, e.conversation_id) for e in events] == [
        ("message.created", "c1"),
        ("message.status", "c1"),
    ]
    assert events[0].data == {"n": 1} and events[0].team_id == "team"


async def test_stored_message_is_published_after_commit(
    services: Services, world: DemoWorld
) -> None:
    """On both databases: the event arrives once the message is committed."""
    ready = asyncio.Event()
    collector = asyncio.create_task(_collect(services.bus, world.workspace_id, 1, ready))
    await ready.wait()
    await receive(services, world.account_a, inbound("¿Tienen talla 39?", message_id="evt-1"))
    [event] = await asyncio.wait_for(collector, 5)
    assert event.type == "message.created"
    assert event.data["platform_message_id"] == "evt-1"
    assert event.team_id == world.team_a


async def test_rolled_back_work_publishes_nothing(sqlite_services: Services) -> None:
    from crossdesk.actions.publish import publish_on_commit
    from crossdesk.db.session import transaction

    bus = sqlite_services.bus
    assert isinstance(bus, MemoryEventBus)
    received: list[Event] = []

    async def listen() -> None:
        async for event in bus.subscribe("ws"):
            received.append(event)

    listener = asyncio.create_task(listen())
    await asyncio.sleep(0)

    class Scope:
        id, workspace_id, team_id, assignee_id = "c", "ws", None, None

    with contextlib.suppress(RuntimeError):
        async with transaction(sqlite_services.sessionmaker) as session:
            publish_on_commit(sqlite_services, session, "message.created", Scope())
            raise RuntimeError("the action failed")
    await asyncio.sleep(0.05)
    assert received == []
    listener.cancel()


@pytest.mark.redis
async def test_app_uses_redis_when_configured(redis_services: Services) -> None:
    assert isinstance(redis_services.bus, RedisEventBus)
    world = await build_world(redis_services)
    ready = asyncio.Event()
    collector = asyncio.create_task(_collect(redis_services.bus, world.workspace_id, 1, ready))
    await ready.wait()
    await receive(redis_services, world.account_a, inbound("via redis", message_id="r-1"))
    [event] = await asyncio.wait_for(collector, 5)
    assert event.data["platform_message_id"] == "r-1"
