"""Automatic assignment at scale (issue 9): how long a pass takes to drain a queue, what an
idle poll costs, and that concurrent passes never overfill anyone, on SQLite and PostgreSQL.

    .venv/bin/python bench/assignment.py                         # both databases
    .venv/bin/python bench/assignment.py --backends sqlite --queued 2000 --agents 40

Seeding: the tests' factory workspace, ``--agents`` more agents in team A (all online,
capacity ``--capacity``), ``--queued`` unassigned open conversations inserted with
executemany. Then: one pass (timed; it assigns min(queued, agents * capacity, 100 per pass)
and repeats until nothing is left), ``--polls`` idle passes (nothing queued: the read-only
pre-check), and ``--racers`` passes started at once over a fresh queue larger than the
remaining capacity (checked: nobody above capacity). The SQLite file and the PostgreSQL
database (--pg-name) are recreated on each run.
"""

import argparse
import asyncio
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tests.factories import PASSWORD, build_world  # noqa: E402

from crossdesk.actions.assignment import PolicyInput, assign_queued, save_policy  # noqa: E402
from crossdesk.actions.identity import create_user  # noqa: E402
from crossdesk.config import Settings  # noqa: E402
from crossdesk.db.base import utcnow  # noqa: E402
from crossdesk.db.migrate import upgrade  # noqa: E402
from crossdesk.db.models import AgentState, Contact, Conversation, TeamMember  # noqa: E402
from crossdesk.db.session import transaction  # noqa: E402
from crossdesk.domain import Role, new_id  # noqa: E402
from crossdesk.risk import audit  # noqa: E402
from crossdesk.risk.rbac import Principal  # noqa: E402
from crossdesk.services import Services, build_services  # noqa: E402
from reports import urls  # noqa: E402


async def seed_agents(services: Services, workspace_id: str, team_id: str, n: int) -> list[str]:
    ids = []
    async with transaction(services.sessionmaker) as session:
        for i in range(n):
            user = await create_user(
                session,
                workspace_id,
                email=f"bench-{i}-{new_id()[-6:]}@bench.shop",
                display_name=f"agent {i}",
                password=PASSWORD,
                role=Role.AGENT,
            )
            await session.flush()
            session.add(TeamMember(workspace_id=workspace_id, team_id=team_id, user_id=user.id))
            session.add(
                AgentState(
                    user_id=user.id,
                    workspace_id=workspace_id,
                    availability="online",
                    last_heartbeat_at=utcnow() + timedelta(hours=1),  # online for the run
                    capacity=None,
                )
            )
            ids.append(user.id)
    return ids


async def queue(
    services: Services, workspace_id: str, account_id: str, team_id: str, n: int
) -> None:
    contacts: list[dict[str, Any]] = []
    conversations: list[dict[str, Any]] = []
    start = datetime.now(UTC) - timedelta(hours=1)
    for i in range(n):
        contact_id = new_id()
        at = start + timedelta(milliseconds=i)
        contacts.append(
            {
                "id": contact_id,
                "workspace_id": workspace_id,
                "account_id": account_id,
                "platform_user_id": f"bench-{new_id()}",
                "display_name": f"customer {i}",
                "created_at": at,
            }
        )
        conversations.append(
            {
                "id": new_id(),
                "workspace_id": workspace_id,
                "account_id": account_id,
                "contact_id": contact_id,
                "team_id": team_id,
                "status": "open",
                "last_message_preview": "hola",
                "unread_count": 1,
                "created_at": at,
                "last_message_at": at,
            }
        )
    async with transaction(services.sessionmaker) as session:
        await session.execute(insert(Contact), contacts)
        await session.execute(insert(Conversation), conversations)


async def run(backend: str, args: argparse.Namespace) -> None:
    url = urls(backend, Path(args.dir), args.pg_name)
    upgrade(url)
    settings = Settings(
        data_dir=Path(args.dir),
        database_url=url,
        secret_key="bench-assignment-" + "0" * 32,  # type: ignore[arg-type]
        run_workers=False,
    )
    services = build_services(settings)
    try:
        world = await build_world(services)
        team = world.team_a
        agents = await seed_agents(services, world.workspace_id, team, args.agents)
        owner = Principal(
            world.users["owner"].id, world.workspace_id, Role.OWNER, frozenset(), "en", "owner"
        )
        async with transaction(services.sessionmaker) as session:
            value = PolicyInput(True, args.capacity, None)
            await save_policy(services, session, owner, team, value, audit.SYSTEM)
        await queue(services, world.workspace_id, world.account_a.id, team, args.queued)
        assigned, passes, started = 0, [], time.perf_counter()
        cpu = time.process_time()
        while True:
            t = time.perf_counter()
            done = len(await assign_queued(services, team))
            passes.append(time.perf_counter() - t)
            assigned += done
            if not done:
                break
        total = time.perf_counter() - started
        cpu = time.process_time() - cpu
        print(
            f"{backend}: drained {assigned} of {args.queued} queued to {len(agents)} agents "
            f"in {total:.2f} s ({len(passes)} passes; {1000 * total / max(assigned, 1):.2f} ms "
            f"wall, {1000 * cpu / max(assigned, 1):.2f} ms CPU of this process per assignment "
            "incl. audit event, notification, realtime event)"
        )
        idle = []
        for _ in range(args.polls):
            t = time.perf_counter()
            await assign_queued(services, world.team_b)  # no policy: first read answers
            idle.append(time.perf_counter() - t)
        full = []
        for _ in range(args.polls):
            t = time.perf_counter()
            await assign_queued(services, team)  # queue left over, everyone full
            full.append(time.perf_counter() - t)
        print(
            f"{backend}: idle poll p50 {1000 * statistics.median(idle):.2f} ms; "
            f"full-team pass p50 {1000 * statistics.median(full):.2f} ms"
        )
        # Race: free capacity, queue more than it, start several passes at once.
        async with transaction(services.sessionmaker) as session:
            for state in (await session.scalars(select(AgentState))).all():
                state.capacity = args.capacity + 1  # one more each
        await queue(services, world.workspace_id, world.account_a.id, team, len(agents) * 3)
        results = await asyncio.gather(*(assign_queued(services, team) for _ in range(args.racers)))
        async with services.read_sessionmaker() as session:
            counts = Counter(
                (
                    await session.scalars(
                        select(Conversation.assignee_id).where(
                            Conversation.assignee_id.in_(agents), Conversation.status == "open"
                        )
                    )
                ).all()
            )
        over = [a for a in agents if counts[a] > args.capacity + 1]
        print(
            f"{backend}: {args.racers} concurrent passes assigned "
            f"{sum(len(r) for r in results)} (expected {len(agents)}); "
            f"agents over capacity: {len(over)}"
        )
    finally:
        await services.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--queued", type=int, default=2000)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--capacity", type=int, default=50)
    parser.add_argument("--polls", type=int, default=50)
    parser.add_argument("--racers", type=int, default=4)
    parser.add_argument("--dir", default="/tmp/crossdesk-bench-assignment")
    parser.add_argument("--pg-name", default="crossdesk_bench_assignment")
    args = parser.parse_args()
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    for backend in args.backends.split(","):
        asyncio.run(run(backend, args))


if __name__ == "__main__":
    main()
