"""Automatic assignment: round robin, capacity (race-free), presence, offline return."""

import asyncio
from datetime import timedelta

from sqlalchemy import func, select
from tests.factories import PASSWORD, DemoWorld, inbound, receive

from crossdesk.actions import conversations as conv_actions
from crossdesk.actions.assignment import (
    PolicyInput,
    assign_queued,
    save_policy,
    set_capacity,
)
from crossdesk.actions.identity import create_user, principal_for
from crossdesk.actions.presence import Presence, heartbeat, presence_of, set_availability
from crossdesk.actions.queue_return import return_offline
from crossdesk.db.base import utcnow
from crossdesk.db.models import AgentState, AuditEvent, Conversation, TeamMember, User
from crossdesk.db.session import commit, transaction
from crossdesk.domain import ConversationStatus, Role, new_id
from crossdesk.errors import InvalidInput, PermissionDenied
from crossdesk.risk import audit
from crossdesk.risk.rbac import Principal
from crossdesk.services import Services
from crossdesk.workers.assignment import AssignmentWorker


async def _principal(services: Services, user_id: str) -> Principal:
    async with services.read_sessionmaker() as session:
        user = await session.get(User, user_id)
        assert user is not None
        return await principal_for(session, user)


async def _add_agent(services: Services, world: DemoWorld, name: str, team_id: str) -> str:
    async with transaction(services.sessionmaker) as session:
        user = await create_user(
            session,
            world.workspace_id,
            email=f"{name}-{new_id()[-6:]}@test.shop",
            display_name=name,
            password=PASSWORD,
            role=Role.AGENT,
        )
        await session.flush()
        session.add(TeamMember(workspace_id=world.workspace_id, team_id=team_id, user_id=user.id))
        return user.id


async def _online(services: Services, user_id: str) -> None:
    await heartbeat(services, await _principal(services, user_id), force=True)


async def _policy(
    services: Services,
    world: DemoWorld,
    team_id: str,
    *,
    capacity: int = 5,
    offline_minutes: int | None = None,
) -> None:
    supervisor = await _principal(services, world.users["owner"].id)
    async with transaction(services.sessionmaker) as session:
        await save_policy(
            services,
            session,
            supervisor,
            team_id,
            PolicyInput(True, capacity, offline_minutes),
            audit.SYSTEM,
        )


async def _assignees(services: Services, team_id: str) -> list[str | None]:
    async with services.read_sessionmaker() as session:
        rows = await session.scalars(
            select(Conversation.assignee_id)
            .where(Conversation.team_id == team_id)
            .order_by(Conversation.created_at, Conversation.id)
        )
        return list(rows.all())


async def test_round_robin_spreads_new_conversations_fairly(
    services: Services, world: DemoWorld
) -> None:
    agents = sorted(
        [
            world.users["agent_a"].id,
            await _add_agent(services, world, "carla", world.team_a),
            await _add_agent(services, world, "dong", world.team_a),
        ]
    )
    for agent in agents:
        await _online(services, agent)
    await _policy(services, world, world.team_a, capacity=10)
    for n in range(6):
        await receive(services, world.account_a, inbound(f"hola {n}", sender=f"rr-{n}"))
    assigned = await assign_queued(services, world.team_a)
    # Oldest first, each to the next member after the last one: a, b, c, a, b, c.
    assert [user for _, user in assigned] == agents * 2
    # The supervisor of team A is a member too but not connected: never chosen.
    assert world.users["supervisor"].id not in await _assignees(services, world.team_a)
    # The cursor survives the pass: the next conversation goes to the first member again.
    await receive(services, world.account_a, inbound("and one more", sender="rr-7"))
    [(_, user)] = await assign_queued(services, world.team_a)
    assert user == agents[0]
    async with services.read_sessionmaker() as session:
        audited = await session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "conversation.assign")
        )
    assert audited == 7


async def test_capacity_holds_when_two_messages_and_two_passes_race(
    services: Services, world: DemoWorld
) -> None:
    agent = world.users["agent_a"].id
    await _online(services, agent)
    await _policy(services, world, world.team_a, capacity=1)
    # Two customers write at the same moment, then two assignment passes run at once
    # (two processes' workers): the agent with capacity 1 must get exactly one.
    await asyncio.gather(
        receive(services, world.account_a, inbound("first", sender="race-1")),
        receive(services, world.account_a, inbound("second", sender="race-2")),
    )
    assert world.team_a in services.assignment_teams  # the webhook woke the worker
    first, second = await asyncio.gather(
        assign_queued(services, world.team_a), assign_queued(services, world.team_a)
    )
    assert len(first) + len(second) == 1
    assignees = await _assignees(services, world.team_a)
    assert sorted(assignees, key=str) == sorted([agent, None], key=str)

    # Resolving the first frees the capacity: the queued one is assigned next.
    taken_id = (first or second)[0][0]
    principal = await _principal(services, agent)
    async with services.sessionmaker() as session:
        conversation = await conv_actions.load_visible(session, principal, taken_id)
        await conv_actions.set_status(
            services, session, principal, conversation, ConversationStatus.RESOLVED, audit.SYSTEM
        )
    worker = AssignmentWorker(services)
    assert await worker.run_once() == 1
    assert await _assignees(services, world.team_a) == [agent, agent]


async def test_capacity_is_per_agent_and_away_agents_get_nothing(
    services: Services, world: DemoWorld
) -> None:
    agent = world.users["agent_a"].id
    other = await _add_agent(services, world, "emil", world.team_a)
    await _online(services, agent)
    await _online(services, other)
    await _policy(services, world, world.team_a, capacity=3)
    owner = await _principal(services, world.users["owner"].id)
    async with transaction(services.sessionmaker) as session:
        await set_capacity(services, session, owner, other, 0, audit.SYSTEM)
    away = await _principal(services, agent)
    async with transaction(services.sessionmaker) as session:
        await set_availability(services, session, away, "away", audit.SYSTEM)
    await receive(services, world.account_a, inbound("hola", sender="cap-1"))
    assert await assign_queued(services, world.team_a) == []  # away, and capacity 0
    async with transaction(services.sessionmaker) as session:
        await set_availability(services, session, away, "online", audit.SYSTEM)
    assert [u for _, u in await assign_queued(services, world.team_a)] == [agent]
    # An agent may not set capacities.
    async with services.sessionmaker() as session:
        try:
            await set_capacity(services, session, away, other, 5, audit.SYSTEM)
        except PermissionDenied:
            pass
        else:
            raise AssertionError("an agent set a capacity")


async def test_offline_agents_conversations_return_to_the_queue(
    services: Services, world: DemoWorld
) -> None:
    gone = world.users["agent_a"].id
    back_soon = await _add_agent(services, world, "fei", world.team_a)
    await _policy(services, world, world.team_a, offline_minutes=5)
    for user in (gone, back_soon):
        await _online(services, user)
    await receive(services, world.account_a, inbound("one", sender="off-1"))
    await receive(services, world.account_a, inbound("two", sender="off-2"))
    assert len(await assign_queued(services, world.team_a)) == 2
    async with transaction(services.sessionmaker) as session:
        state = await session.get(AgentState, gone)
        assert state is not None
        state.last_heartbeat_at = utcnow() - timedelta(minutes=6)
    async with services.read_sessionmaker() as session:
        assert presence_of(await session.get(AgentState, gone)) is Presence.OFFLINE
    assert await return_offline(services) == 1
    assert sorted(await _assignees(services, world.team_a), key=str) == sorted(
        [None, back_soon], key=str
    )
    async with services.read_sessionmaker() as session:
        returned = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == "conversation.return_to_queue")
            )
        ).one()
    assert returned.data["from"] == gone and returned.actor_id is None
    # The worker hands it to whoever is online (within capacity).
    assert await AssignmentWorker(services).run_once(everything=True) == 1
    assert await _assignees(services, world.team_a) == [back_soon, back_soon]


async def test_manual_assignment_notifies_and_wakes_the_queue(
    services: Services, world: DemoWorld
) -> None:
    await receive(services, world.account_a, inbound("hola", sender="man-1"))
    supervisor = await _principal(services, world.users["supervisor"].id)
    [conversation_id] = [c for c in await _assignees(services, world.team_a)]
    assert conversation_id is None
    async with services.read_sessionmaker() as session:
        conversation_id = await session.scalar(
            select(Conversation.id).where(Conversation.team_id == world.team_a)
        )
    assert conversation_id is not None
    services.assignment_teams.clear()
    async with services.sessionmaker() as session:
        conversation = await conv_actions.load_visible(session, supervisor, conversation_id)
        await conv_actions.assign(
            services, session, supervisor, conversation, world.users["agent_a"].id, audit.SYSTEM
        )
    assert world.team_a in services.assignment_teams
    async with services.sessionmaker() as session:
        conversation = await conv_actions.load_visible(session, supervisor, conversation_id)
        try:
            await conv_actions.assign(
                services, session, supervisor, conversation, world.users["agent_b"].id, audit.SYSTEM
            )
        except InvalidInput as exc:  # agent_b is not in team A
            assert "team" in exc.message
        else:
            raise AssertionError("assigned outside the team")
        await commit(session)


async def test_policy_is_validated(services: Services, world: DemoWorld) -> None:
    owner = await _principal(services, world.users["owner"].id)
    agent = await _principal(services, world.users["agent_a"].id)
    async with services.sessionmaker() as session:
        for bad in (PolicyInput(True, 0, None), PolicyInput(True, 5, 0)):
            try:
                await save_policy(services, session, owner, world.team_a, bad, audit.SYSTEM)
            except InvalidInput:
                continue
            raise AssertionError(f"accepted {bad}")
        try:
            await save_policy(
                services, session, agent, world.team_a, PolicyInput(True, 5, None), audit.SYSTEM
            )
        except PermissionDenied:
            pass
        else:
            raise AssertionError("an agent changed the policy")
