"""What a supervisor sees of their teams' assignment: policy, and each member's presence,
open conversations and capacity. Reads only."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.actions.assignment import open_counts
from crossdesk.actions.presence import Presence, presence_of, states_of
from crossdesk.db.base import utcnow
from crossdesk.db.models import AssignmentPolicy, Conversation, Team, TeamMember, User
from crossdesk.domain import ConversationStatus, Permission
from crossdesk.risk.rbac import Principal

DEFAULT_CAPACITY = 5


@dataclass(frozen=True, slots=True)
class MemberRow:
    user_id: str
    display_name: str
    role: str
    presence: Presence
    last_seen: datetime | None
    capacity: int | None  # their own; None: the team default
    effective_capacity: int
    open: int


@dataclass(frozen=True, slots=True)
class TeamAssignment:
    team_id: str
    name: str
    auto_assign: bool
    default_capacity: int
    offline_return_minutes: int | None
    queued: int
    members: list[MemberRow]


async def managed_teams(session: AsyncSession, principal: Principal) -> list[Team]:
    statement = select(Team).where(Team.workspace_id == principal.workspace_id)
    if not principal.can(Permission.CONVERSATION_READ_ALL):
        statement = statement.where(Team.id.in_(principal.team_ids))
    return list((await session.scalars(statement.order_by(Team.name))).all())


async def team_overview(session: AsyncSession, principal: Principal) -> list[TeamAssignment]:
    if not principal.can(Permission.CONVERSATION_ASSIGN):
        return []
    teams = await managed_teams(session, principal)
    if not teams:
        return []
    team_ids = [t.id for t in teams]
    policies = {
        p.team_id: p
        for p in await session.scalars(
            select(AssignmentPolicy).where(AssignmentPolicy.team_id.in_(team_ids))
        )
    }
    members = (
        await session.execute(
            select(TeamMember.team_id, User)
            .join(User, User.id == TeamMember.user_id)
            .where(TeamMember.team_id.in_(team_ids), User.disabled.is_(False))
            .order_by(User.display_name)
        )
    ).all()
    user_ids = sorted({user.id for _, user in members})
    states = await states_of(session, user_ids)
    counts = await open_counts(session, user_ids)
    queued_rows = await session.execute(
        select(Conversation.team_id, func.count())
        .where(
            Conversation.team_id.in_(team_ids),
            Conversation.assignee_id.is_(None),
            Conversation.status == ConversationStatus.OPEN.value,
            Conversation.archived_at.is_(None),
        )
        .group_by(Conversation.team_id)
    )
    queued = {str(team_id): int(count) for team_id, count in queued_rows.all()}
    now = utcnow()
    result = []
    for team in teams:
        policy = policies.get(team.id)
        default = policy.default_capacity if policy else DEFAULT_CAPACITY
        rows = []
        for team_id, user in members:
            if team_id != team.id:
                continue
            state = states.get(user.id)
            own = state.capacity if state else None
            rows.append(
                MemberRow(
                    user_id=user.id,
                    display_name=user.display_name,
                    role=user.role,
                    presence=presence_of(state, now),
                    last_seen=state.last_heartbeat_at if state else None,
                    capacity=own,
                    effective_capacity=default if own is None else own,
                    open=counts.get(user.id, 0),
                )
            )
        result.append(
            TeamAssignment(
                team_id=team.id,
                name=team.name,
                auto_assign=bool(policy and policy.auto_assign),
                default_capacity=default,
                offline_return_minutes=policy.offline_return_minutes if policy else None,
                queued=queued.get(team.id, 0),
                members=rows,
            )
        )
    return result
