"""Presence and automatic assignment: my availability; a team's policy, members and
capacities (supervisors). Manual assignment is POST /conversations/{id}/assign."""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from crossdesk.actions.assignment import (
    MAX_CAPACITY,
    MAX_RETURN_MINUTES,
    PolicyInput,
    load_team,
    save_policy,
    set_capacity,
)
from crossdesk.actions.assignment_overview import TeamAssignment, team_overview
from crossdesk.actions.presence import presence_of, set_availability
from crossdesk.db.models import AgentState
from crossdesk.db.session import commit
from crossdesk.domain import Permission
from crossdesk.errors import NotFound
from crossdesk.risk.rbac import Principal
from crossdesk.web.api.v1.schemas import StrictInput
from crossdesk.web.deps import ServicesDep, SessionDep, actor_of, require

router = APIRouter(tags=["assignment"])
Member = Annotated[Principal, Depends(require(Permission.WORKSPACE_READ))]
Supervisor = Annotated[Principal, Depends(require(Permission.CONVERSATION_ASSIGN))]


class PresenceIn(StrictInput):
    availability: Literal["online", "away"]


class PresenceOut(BaseModel):
    availability: str
    presence: str
    last_heartbeat_at: datetime | None


class PolicyIn(StrictInput):
    auto_assign: bool
    default_capacity: Annotated[int, Field(ge=1, le=MAX_CAPACITY)] = 5
    offline_return_minutes: Annotated[int | None, Field(ge=1, le=MAX_RETURN_MINUTES)] = None


class CapacityIn(StrictInput):
    capacity: Annotated[int | None, Field(ge=0, le=MAX_CAPACITY)]


class MemberOut(BaseModel):
    user_id: str
    display_name: str
    role: str
    presence: str
    last_seen: datetime | None
    capacity: int | None
    effective_capacity: int
    open: int


class TeamAssignmentOut(BaseModel):
    team_id: str
    name: str
    auto_assign: bool
    default_capacity: int
    offline_return_minutes: int | None
    queued: int
    members: list[MemberOut]

    @classmethod
    def of(cls, team: TeamAssignment) -> "TeamAssignmentOut":
        return cls(
            team_id=team.team_id,
            name=team.name,
            auto_assign=team.auto_assign,
            default_capacity=team.default_capacity,
            offline_return_minutes=team.offline_return_minutes,
            queued=team.queued,
            members=[
                MemberOut(
                    user_id=m.user_id,
                    display_name=m.display_name,
                    role=m.role,
                    presence=m.presence.value,
                    last_seen=m.last_seen,
                    capacity=m.capacity,
                    effective_capacity=m.effective_capacity,
                    open=m.open,
                )
                for m in team.members
            ],
        )


def _presence_out(state: AgentState | None) -> PresenceOut:
    return PresenceOut(
        availability=state.availability if state else "online",
        presence=presence_of(state).value,
        last_heartbeat_at=state.last_heartbeat_at if state else None,
    )


@router.get("/presence", response_model=PresenceOut)
async def get_presence(principal: Member, session: SessionDep) -> PresenceOut:
    return _presence_out(await session.get(AgentState, principal.user_id))


@router.put("/presence", response_model=PresenceOut)
async def put_presence(
    body: PresenceIn,
    request: Request,
    principal: Member,
    services: ServicesDep,
    session: SessionDep,
) -> PresenceOut:
    """Choose online or away; also counts as a heartbeat (API clients without a stream)."""
    state = await set_availability(
        services, session, principal, body.availability, actor_of(request, principal)
    )
    await commit(session)
    return _presence_out(state)


@router.get("/teams/assignment", response_model=list[TeamAssignmentOut])
async def get_teams(principal: Supervisor, session: SessionDep) -> list[TeamAssignmentOut]:
    return [TeamAssignmentOut.of(t) for t in await team_overview(session, principal)]


@router.put("/teams/{team_id}/assignment", response_model=TeamAssignmentOut)
async def put_policy(
    team_id: str,
    body: PolicyIn,
    request: Request,
    principal: Supervisor,
    services: ServicesDep,
    session: SessionDep,
) -> TeamAssignmentOut:
    await load_team(session, principal, team_id)
    value = PolicyInput(body.auto_assign, body.default_capacity, body.offline_return_minutes)
    await save_policy(services, session, principal, team_id, value, actor_of(request, principal))
    await commit(session)
    return await _team_out(session, principal, team_id)


@router.put("/users/{user_id}/capacity", response_model=MemberOut)
async def put_capacity(
    user_id: str,
    body: CapacityIn,
    request: Request,
    principal: Supervisor,
    services: ServicesDep,
    session: SessionDep,
) -> MemberOut:
    """One person's capacity (null: their team's default)."""
    await set_capacity(
        services, session, principal, user_id, body.capacity, actor_of(request, principal)
    )
    await commit(session)
    for team in await team_overview(session, principal):
        for member in TeamAssignmentOut.of(team).members:
            if member.user_id == user_id:
                return member
    raise NotFound("no such member in your teams")


async def _team_out(session: SessionDep, principal: Principal, team_id: str) -> TeamAssignmentOut:
    for team in await team_overview(session, principal):
        if team.team_id == team_id:
            return TeamAssignmentOut.of(team)
    raise NotFound("no such team")
