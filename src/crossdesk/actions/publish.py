"""Helpers that schedule realtime events on commit."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.db.models import Conversation
from crossdesk.db.session import on_commit
from crossdesk.events import Event
from crossdesk.services import Services


def publish_on_commit(
    services: Services,
    session: AsyncSession,
    event_type: str,
    conversation: Conversation,
    data: dict[str, Any] | None = None,
) -> None:
    event = Event(
        type=event_type,
        workspace_id=conversation.workspace_id,
        conversation_id=conversation.id,
        team_id=conversation.team_id,
        assignee_id=conversation.assignee_id,
        data=data or {},
    )

    async def _publish() -> None:
        await services.bus.publish(event)

    on_commit(session, _publish)


def wake_delivery_on_commit(services: Services, session: AsyncSession) -> None:
    async def _wake() -> None:
        services.delivery_wakeup.set()

    on_commit(session, _wake)
