"""Presence: who is online to take conversations.

A person is online while one of their browsers holds the live event stream (each stream
beats every few seconds; a beat is written to the database at most once a minute per
person and process, so several processes agree without a write per beat) and they have not
chosen "away". Choosing "online" or "away" in the UI (or the API) also counts as a beat.
Nobody is marked offline explicitly: a person whose last beat is older than
``PRESENCE_TTL`` is offline, which also covers a closed laptop or a crashed process.
"""

import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.db.base import utcnow
from crossdesk.db.models import AgentState
from crossdesk.db.session import on_commit, transaction
from crossdesk.db.upsert import insert_ignore
from crossdesk.errors import InvalidInput
from crossdesk.risk import audit
from crossdesk.risk.rbac import Principal
from crossdesk.services import Services

PRESENCE_TTL = timedelta(seconds=150)
HEARTBEAT_WRITE_SECONDS = 60.0
AVAILABILITIES = ("online", "away")
_WAKE_KEY = "crossdesk_assignment_wake"

# Process-local throttle only: losing it costs one extra write, never a wrong answer.
_last_write: dict[str, float] = {}


class Presence(StrEnum):
    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


def presence_of(state: AgentState | None, now: datetime | None = None) -> Presence:
    if state is None or state.last_heartbeat_at is None:
        return Presence.OFFLINE
    if (now or utcnow()) - state.last_heartbeat_at > PRESENCE_TTL:
        return Presence.OFFLINE
    return Presence.AWAY if state.availability == "away" else Presence.ONLINE


def wake_assignment(services: Services, team_ids: Iterable[str]) -> None:
    """Ask the assignment worker to look at these teams' queues now."""
    services.assignment_teams.update(team_ids)
    services.assignment_wakeup.set()


def wake_assignment_on_commit(
    services: Services, session: AsyncSession, team_ids: Iterable[str]
) -> None:
    """Wake the assignment worker once the transaction commits (never on rollback).
    One callback per transaction however many teams or messages ask for it."""
    pending: set[str] | None = session.info.get(_WAKE_KEY)
    if pending is None:
        pending = session.info[_WAKE_KEY] = set()

        async def _wake() -> None:
            wake_assignment(services, session.info.pop(_WAKE_KEY, set()))

        on_commit(session, _wake)
    pending.update(team_ids)


async def heartbeat(services: Services, principal: Principal, *, force: bool = False) -> bool:
    """Record that the person is connected; returns whether the database was written.

    Called by the event stream on every keepalive; throttled to one write a minute."""
    clock = time.monotonic()
    if not force and clock - _last_write.get(principal.user_id, -1e9) < HEARTBEAT_WRITE_SECONDS:
        return False
    _last_write[principal.user_id] = clock
    async with transaction(services.sessionmaker) as session:
        came_online = await _beat(session, principal)
        if came_online:
            wake_assignment_on_commit(services, session, principal.team_ids)
    return True


async def _beat(session: AsyncSession, principal: Principal) -> bool:
    """Write the beat; True when the person was offline before and is available."""
    now = utcnow()
    values = {
        "user_id": principal.user_id,
        "workspace_id": principal.workspace_id,
        "availability": "online",
        "last_heartbeat_at": now,
        "capacity": None,
    }
    if await insert_ignore(session, AgentState, values):
        return True
    state = await session.scalar(
        select(AgentState).where(AgentState.user_id == principal.user_id).with_for_update()
    )
    assert state is not None  # inserted by someone else just now, or long ago
    was = presence_of(state, now)
    state.last_heartbeat_at = now
    return was is Presence.OFFLINE and state.availability == "online"


async def set_availability(
    services: Services,
    session: AsyncSession,
    principal: Principal,
    availability: str,
    actor: audit.Actor,
) -> AgentState:
    """Choose "online" (take conversations while connected) or "away"."""
    if availability not in AVAILABILITIES:
        raise InvalidInput(
            f"availability must be one of {', '.join(AVAILABILITIES)}", field="availability"
        )
    await _beat(session, principal)
    state = await session.get(AgentState, principal.user_id, populate_existing=True)
    assert state is not None
    previous = state.availability
    state.availability = availability
    if previous != availability:
        await audit.record(
            session,
            principal.workspace_id,
            "presence.set",
            actor,
            target_type="user",
            target_id=principal.user_id,
            data={"from": previous, "to": availability},
        )
    if availability == "online":
        wake_assignment_on_commit(services, session, principal.team_ids)
    _last_write[principal.user_id] = time.monotonic()
    return state


async def states_of(session: AsyncSession, user_ids: Iterable[str]) -> dict[str, AgentState]:
    ids = list(user_ids)
    if not ids:
        return {}
    rows = await session.scalars(select(AgentState).where(AgentState.user_id.in_(ids)))
    return {row.user_id: row for row in rows}
