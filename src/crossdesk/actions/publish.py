"""Helpers that schedule realtime events on commit."""

from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.db.session import on_commit
from crossdesk.events import Event
from crossdesk.services import Services


class ConversationScope(Protocol):
    """What an event needs to know of its conversation to be filtered per viewer."""

    @property
    def id(self) -> str: ...
    @property
    def workspace_id(self) -> str: ...
    @property
    def team_id(self) -> str | None: ...
    @property
    def assignee_id(self) -> str | None: ...


def publish_on_commit(
    services: Services,
    session: AsyncSession,
    event_type: str,
    conversation: ConversationScope,
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
