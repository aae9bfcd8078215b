"""Return to the queue the open conversations of agents offline longer than their team
allows (``AssignmentPolicy.offline_return_minutes``). Run by the assignment worker."""

import logging
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.actions.assignment import BATCH, OPEN, ConversationRef
from crossdesk.actions.presence import wake_assignment_on_commit
from crossdesk.actions.publish import publish_on_commit
from crossdesk.db.base import utcnow
from crossdesk.db.models import AgentState, AssignmentPolicy, Conversation
from crossdesk.db.session import transaction
from crossdesk.risk import audit
from crossdesk.services import Services

logger = logging.getLogger(__name__)


async def return_offline(services: Services, now: datetime | None = None) -> int:
    """Return to the queue the open conversations of agents offline longer than their
    team allows (audited, one transaction per team); returns how many went back."""
    now = now or utcnow()
    async with services.read_sessionmaker() as session:
        policies = (
            await session.execute(
                select(
                    AssignmentPolicy.team_id,
                    AssignmentPolicy.workspace_id,
                    AssignmentPolicy.offline_return_minutes,
                ).where(AssignmentPolicy.offline_return_minutes.is_not(None))
            )
        ).all()
    returned = 0
    for team_id, workspace_id, minutes in policies:
        cutoff = now - timedelta(minutes=minutes or 0)
        async with transaction(services.sessionmaker) as session:
            returned += await _return_team(services, session, team_id, workspace_id, cutoff)
    return returned


async def _return_team(
    services: Services, session: AsyncSession, team_id: str, workspace_id: str, cutoff: datetime
) -> int:
    rows = (
        await session.execute(
            select(Conversation.id, Conversation.assignee_id, AgentState.last_heartbeat_at)
            .outerjoin(AgentState, AgentState.user_id == Conversation.assignee_id)
            .where(
                Conversation.workspace_id == workspace_id,
                Conversation.team_id == team_id,
                Conversation.assignee_id.is_not(None),
                Conversation.status == OPEN,
                Conversation.archived_at.is_(None),
                # Never seen connected counts as offline since forever.
                or_(AgentState.last_heartbeat_at.is_(None), AgentState.last_heartbeat_at < cutoff),
            )
            .limit(BATCH * 10)
        )
    ).all()
    count = 0
    for conversation_id, assignee_id, last_seen in rows:
        back = await session.scalar(
            update(Conversation)
            .where(Conversation.id == conversation_id, Conversation.assignee_id == assignee_id)
            .values(assignee_id=None)
            .returning(Conversation.id)
        )
        if back is None:
            continue
        count += 1
        await audit.record(
            session,
            workspace_id,
            "conversation.return_to_queue",
            audit.SYSTEM,
            target_type="conversation",
            target_id=conversation_id,
            data={
                "from": assignee_id,
                "reason": "agent offline",
                "last_seen": last_seen.isoformat() if last_seen else None,
            },
        )
        ref = ConversationRef(conversation_id, workspace_id, team_id, None)
        publish_on_commit(
            services, session, "conversation.updated", ref, {"previous_assignee": assignee_id}
        )
    if count:
        wake_assignment_on_commit(services, session, [team_id])
        logger.info("returned %d conversations of offline agents to team %s", count, team_id)
    return count
