"""Automatic assignment: round robin among a team's online members, within capacity.

A team with auto-assignment on hands its unassigned open conversations, oldest first, to
the next online member (after the one who got the last) whose open conversations are
below their capacity (their own, else the team's default). What finds nobody stays in the
unassigned queue; the assignment worker tries again whenever capacity may have freed
(a conversation resolved, reassigned or returned, an agent online) and on a timer.

Race-free on both databases: every pass locks the workspace row first (the row the audit
chain locks anyway, so no new lock order), so two passes, in any processes, count and
assign one after the other; SQLite serialises writers already. Each assignment is a
conditional UPDATE (still unassigned, still open), so a colleague's manual assignment in
between is never overwritten.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.actions.notifications import NewNotification, notify
from crossdesk.actions.presence import PRESENCE_TTL, wake_assignment_on_commit
from crossdesk.actions.publish import publish_on_commit
from crossdesk.db.base import utcnow
from crossdesk.db.models import (
    AgentState,
    AssignmentPolicy,
    Contact,
    Conversation,
    Team,
    TeamMember,
    User,
    Workspace,
)
from crossdesk.db.session import transaction
from crossdesk.domain import ConversationStatus, Permission, Role
from crossdesk.errors import InvalidInput, NotFound, PermissionDenied
from crossdesk.risk import audit
from crossdesk.risk.rbac import ROLE_PERMISSIONS, Principal
from crossdesk.services import Services

logger = logging.getLogger(__name__)

MAX_CAPACITY = 200
MAX_RETURN_MINUTES = 7 * 24 * 60
BATCH = 100
OPEN = ConversationStatus.OPEN.value


@dataclass(frozen=True, slots=True)
class ConversationRef:
    """What a realtime event needs of a conversation."""

    id: str
    workspace_id: str
    team_id: str | None
    assignee_id: str | None


@dataclass(frozen=True, slots=True)
class PolicyInput:
    auto_assign: bool
    default_capacity: int
    offline_return_minutes: int | None


def _may_manage_team(principal: Principal, team_id: str) -> bool:
    if not principal.can(Permission.CONVERSATION_ASSIGN):
        return False
    return principal.can(Permission.CONVERSATION_READ_ALL) or team_id in principal.team_ids


async def load_team(session: AsyncSession, principal: Principal, team_id: str) -> Team:
    team = await session.scalar(
        select(Team).where(Team.id == team_id, Team.workspace_id == principal.workspace_id)
    )
    if team is None:
        raise NotFound("no such team")
    if not _may_manage_team(principal, team_id):
        raise PermissionDenied("only a supervisor of this team may manage its assignment")
    return team


async def policy_of(session: AsyncSession, team_id: str) -> AssignmentPolicy | None:
    return await session.get(AssignmentPolicy, team_id)


def validate_policy(value: PolicyInput) -> None:
    if not 1 <= value.default_capacity <= MAX_CAPACITY:
        raise InvalidInput(
            f"the default capacity must be 1 to {MAX_CAPACITY} open conversations",
            field="default_capacity",
        )
    minutes = value.offline_return_minutes
    if minutes is not None and not 1 <= minutes <= MAX_RETURN_MINUTES:
        raise InvalidInput(
            f"return-to-queue minutes must be 1 to {MAX_RETURN_MINUTES}, or empty for never",
            field="offline_return_minutes",
        )


async def save_policy(
    services: Services,
    session: AsyncSession,
    principal: Principal,
    team_id: str,
    value: PolicyInput,
    actor: audit.Actor,
) -> AssignmentPolicy:
    """Set a team's auto-assignment, default capacity and offline return (audited)."""
    await load_team(session, principal, team_id)
    validate_policy(value)
    policy = await policy_of(session, team_id)
    if policy is None:
        policy = AssignmentPolicy(team_id=team_id, workspace_id=principal.workspace_id)
        session.add(policy)
    policy.auto_assign = value.auto_assign
    policy.default_capacity = value.default_capacity
    policy.offline_return_minutes = value.offline_return_minutes
    policy.updated_at = utcnow()
    await audit.record(
        session,
        principal.workspace_id,
        "assignment.policy",
        actor,
        target_type="team",
        target_id=team_id,
        data={
            "auto_assign": value.auto_assign,
            "default_capacity": value.default_capacity,
            "offline_return_minutes": value.offline_return_minutes,
        },
    )
    wake_assignment_on_commit(services, session, [team_id])
    return policy


async def set_capacity(
    services: Services,
    session: AsyncSession,
    principal: Principal,
    user_id: str,
    capacity: int | None,
    actor: audit.Actor,
) -> AgentState:
    """A supervisor sets one person's capacity (None: their teams' default). Audited."""
    if capacity is not None and not 0 <= capacity <= MAX_CAPACITY:
        raise InvalidInput(f"capacity must be 0 to {MAX_CAPACITY}, or empty", field="capacity")
    user = await session.scalar(
        select(User).where(User.id == user_id, User.workspace_id == principal.workspace_id)
    )
    if user is None:
        raise NotFound("no such user")
    teams = set(
        (
            await session.scalars(select(TeamMember.team_id).where(TeamMember.user_id == user_id))
        ).all()
    )
    if not (
        principal.can(Permission.CONVERSATION_ASSIGN)
        and (principal.can(Permission.CONVERSATION_READ_ALL) or teams & principal.team_ids)
    ):
        raise PermissionDenied("only a supervisor of this person's team may set their capacity")
    state = await session.get(AgentState, user_id)
    if state is None:
        state = AgentState(
            user_id=user_id, workspace_id=principal.workspace_id, availability="online"
        )
        session.add(state)
    previous = state.capacity
    state.capacity = capacity
    await audit.record(
        session,
        principal.workspace_id,
        "assignment.capacity",
        actor,
        target_type="user",
        target_id=user_id,
        data={"from": previous, "to": capacity},
    )
    wake_assignment_on_commit(services, session, teams)
    return state


@dataclass(frozen=True, slots=True)
class _Candidate:
    user_id: str
    capacity: int


def _takes_conversations(role: str) -> bool:
    return Permission.CONVERSATION_READ_OWN in ROLE_PERMISSIONS.get(Role(role), frozenset())


async def _online_candidates(
    session: AsyncSession, policy: AssignmentPolicy, now: datetime
) -> list[_Candidate]:
    rows = (
        await session.execute(
            select(User.id, User.role, AgentState.capacity)
            .join(TeamMember, TeamMember.user_id == User.id)
            .join(AgentState, AgentState.user_id == User.id)
            .where(
                TeamMember.team_id == policy.team_id,
                User.disabled.is_(False),
                AgentState.availability == "online",
                AgentState.last_heartbeat_at >= now - PRESENCE_TTL,
            )
            .order_by(User.id)
        )
    ).all()
    return [
        _Candidate(user_id, policy.default_capacity if capacity is None else capacity)
        for user_id, role, capacity in rows
        if _takes_conversations(role)
    ]


async def open_counts(session: AsyncSession, user_ids: list[str]) -> dict[str, int]:
    """Open conversations per person: what capacity is measured against."""
    if not user_ids:
        return {}
    rows = await session.execute(
        select(Conversation.assignee_id, func.count())
        .where(
            Conversation.assignee_id.in_(user_ids),
            Conversation.status == OPEN,
            Conversation.archived_at.is_(None),
        )
        .group_by(Conversation.assignee_id)
    )
    return {str(user_id): int(count) for user_id, count in rows.all()}


def _next_candidate(
    candidates: list[_Candidate], counts: dict[str, int], cursor: str | None
) -> _Candidate | None:
    """The first candidate after ``cursor`` (in id order, wrapping) with room left."""
    start = 0
    if cursor is not None:
        start = next((i for i, c in enumerate(candidates) if c.user_id > cursor), 0)
    for step in range(len(candidates)):
        candidate = candidates[(start + step) % len(candidates)]
        if counts.get(candidate.user_id, 0) < candidate.capacity:
            return candidate
    return None


async def assign_queued(services: Services, team_id: str) -> list[tuple[str, str]]:
    """One pass over a team's unassigned queue; returns (conversation, user) assigned."""
    if not await _worth_a_pass(services, team_id):
        return []
    async with transaction(services.sessionmaker) as session:
        workspace_id = await session.scalar(
            select(AssignmentPolicy.workspace_id).where(
                AssignmentPolicy.team_id == team_id, AssignmentPolicy.auto_assign.is_(True)
            )
        )
        if workspace_id is None:
            return []
        # The serialisation point (see the module docstring).
        await session.execute(
            select(Workspace.id).where(Workspace.id == workspace_id).with_for_update()
        )
        policy = await session.get(AssignmentPolicy, team_id, populate_existing=True)
        if policy is None or not policy.auto_assign:
            return []
        return await _assign_pass(services, session, policy)


async def _worth_a_pass(services: Services, team_id: str) -> bool:
    """A cheap read (no lock, no write transaction) so that the worker's periodic passes
    over idle teams cost two indexed lookups: something queued, someone online."""
    async with services.read_sessionmaker() as session:
        queued = await session.scalar(
            select(Conversation.id)
            .where(
                Conversation.team_id == team_id,
                Conversation.assignee_id.is_(None),
                Conversation.status == OPEN,
                Conversation.archived_at.is_(None),
            )
            .limit(1)
        )
        if queued is None:
            return False
        online = await session.scalar(
            select(AgentState.user_id)
            .join(TeamMember, TeamMember.user_id == AgentState.user_id)
            .where(
                TeamMember.team_id == team_id,
                AgentState.availability == "online",
                AgentState.last_heartbeat_at >= utcnow() - PRESENCE_TTL,
            )
            .limit(1)
        )
        return online is not None


async def _assign_pass(
    services: Services, session: AsyncSession, policy: AssignmentPolicy
) -> list[tuple[str, str]]:
    queue = (
        await session.execute(
            select(Conversation.id, Contact.display_name, Conversation.last_message_preview)
            .join(Contact, Contact.id == Conversation.contact_id)
            .where(
                Conversation.workspace_id == policy.workspace_id,
                Conversation.team_id == policy.team_id,
                Conversation.assignee_id.is_(None),
                Conversation.status == OPEN,
                Conversation.archived_at.is_(None),
            )
            .order_by(Conversation.created_at, Conversation.id)
            .limit(BATCH)
        )
    ).all()
    if not queue:
        return []
    now = utcnow()
    candidates = await _online_candidates(session, policy, now)
    if not candidates:
        return []
    counts = await open_counts(session, [c.user_id for c in candidates])
    assigned: list[tuple[str, str]] = []
    # A local cursor: setting it on the policy each time would flush an UPDATE per row.
    cursor = policy.last_assigned_user_id
    for conversation_id, contact_name, preview in queue:
        candidate = _next_candidate(candidates, counts, cursor)
        if candidate is None:
            break  # everyone is full: the rest waits in the queue
        taken = await session.scalar(
            update(Conversation)
            .where(
                Conversation.id == conversation_id,
                Conversation.assignee_id.is_(None),
                Conversation.status == OPEN,
            )
            .values(assignee_id=candidate.user_id)
            .returning(Conversation.id)
        )
        if taken is None:
            continue  # assigned or resolved by someone in between
        counts[candidate.user_id] = counts.get(candidate.user_id, 0) + 1
        cursor = candidate.user_id
        assigned.append((conversation_id, candidate.user_id))
        await _record_assignment(services, session, policy, conversation_id, candidate.user_id)
        await notify(
            services,
            session,
            policy.workspace_id,
            NewNotification(
                user_id=candidate.user_id,
                kind="assignment",
                conversation_id=conversation_id,
                summary=f"{contact_name}: {preview}" if preview else contact_name,
            ),
        )
    if assigned:
        policy.last_assigned_user_id = cursor
        logger.info("auto-assigned %d conversations in team %s", len(assigned), policy.team_id)
    return assigned


async def _record_assignment(
    services: Services,
    session: AsyncSession,
    policy: AssignmentPolicy,
    conversation_id: str,
    user_id: str,
) -> None:
    await audit.record(
        session,
        policy.workspace_id,
        "conversation.assign",
        audit.SYSTEM,
        target_type="conversation",
        target_id=conversation_id,
        data={"from": None, "to": user_id, "by": "auto", "team_id": policy.team_id},
    )
    ref = ConversationRef(conversation_id, policy.workspace_id, policy.team_id, user_id)
    publish_on_commit(
        services, session, "conversation.updated", ref, {"previous_assignee": None, "auto": True}
    )


async def auto_assign_teams(session: AsyncSession) -> list[str]:
    """Every team with auto-assignment on (for the worker's periodic pass)."""
    rows = await session.scalars(
        select(AssignmentPolicy.team_id).where(AssignmentPolicy.auto_assign.is_(True))
    )
    return list(rows.all())
