"""Server-Sent Events: committed changes, filtered to what each viewer may see."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from crossdesk.actions.alert_handling import ALERT_EVENT_PREFIX, alert_event_visible
from crossdesk.actions.presence import heartbeat
from crossdesk.events import Event
from crossdesk.risk.rbac import Principal, can_see_fields
from crossdesk.services import Services
from crossdesk.web.deps import Reader, ServicesDep

logger = logging.getLogger(__name__)
router = APIRouter(tags=["events"])

KEEPALIVE_SECONDS = 15.0


def visible_to(principal: Principal, event: Event) -> bool:
    if event.type.startswith(ALERT_EVENT_PREFIX):  # alerts: supervisors of the teams
        return alert_event_visible(principal, event)
    if event.type.startswith("notification."):
        return event.workspace_id == principal.workspace_id and (
            event.data.get("user_id") == principal.user_id
        )
    if can_see_fields(principal, event.workspace_id, event.team_id, event.assignee_id):
        return True
    # The previous assignee must learn that a conversation left their list.
    previous = event.data.get("previous_assignee")
    return previous is not None and can_see_fields(
        principal, event.workspace_id, event.team_id, previous
    )


def format_sse(event: Event) -> str:
    return f"event: {event.type}\ndata: {event.to_json()}\n\n"


async def _beat(services: Services, principal: Principal) -> None:
    """A live stream means the person is online (throttled write, see actions/presence)."""
    try:
        await heartbeat(services, principal)
    except Exception:
        # Presence must never cut the live stream; the next beat tries again.
        logger.warning("presence heartbeat failed", exc_info=True)


@router.get("/events")
async def stream_events(
    request: Request, principal: Reader, services: ServicesDep
) -> StreamingResponse:
    """An EventSource stream of message and conversation changes for the caller."""

    async def body() -> AsyncIterator[str]:
        subscription = services.bus.subscribe(principal.workspace_id)
        queue: asyncio.Queue[Event] = asyncio.Queue()

        async def pump() -> None:
            async for event in subscription:
                await queue.put(event)

        task = asyncio.create_task(pump())
        try:
            yield ": connected\n\n"
            while not await request.is_disconnected():
                await _beat(services, principal)
                try:
                    event = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                if visible_to(principal, event):
                    yield format_sse(event)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
