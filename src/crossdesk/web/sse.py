"""Server-Sent Events: committed changes, filtered to what each viewer may see."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from crossdesk.actions.alert_handling import ALERT_EVENT_PREFIX, alert_event_visible
from crossdesk.events import Event
from crossdesk.risk.rbac import Principal, can_see_fields
from crossdesk.web.deps import Reader, ServicesDep

router = APIRouter(tags=["events"])

KEEPALIVE_SECONDS = 15.0


def visible_to(principal: Principal, event: Event) -> bool:
    if event.type.startswith(ALERT_EVENT_PREFIX):  # alerts: supervisors of the teams
        return alert_event_visible(principal, event)
    if can_see_fields(principal, event.workspace_id, event.team_id, event.assignee_id):
        return True
    # The previous assignee must learn that a conversation left their list.
    previous = event.data.get("previous_assignee")
    return previous is not None and can_see_fields(
        principal, event.workspace_id, event.team_id, previous
    )


def format_sse(event: Event) -> str:
    return f"event: {event.type}\ndata: {event.to_json()}\n\n"


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
