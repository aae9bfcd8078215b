"""Reports at scale (issues 8 and 9): seed a month of a busy shop, then time each report
query server side (median of --repeat runs), for the owner (whole workspace) and for a
supervisor (one team), on SQLite and PostgreSQL.

    .venv/bin/python bench/reports.py                       # both databases
    .venv/bin/python bench/reports.py --backends sqlite --conversations 5000

Seeding: schema from the migrations, people and accounts from the tests' factory, then
contacts (a share of them the same phone on a second account: one lead), one conversation
each, and messages alternating customer turns and agent replies over 30 days, inserted with
executemany. The SQLite file and the PostgreSQL database (--pg-name) are recreated on each
run and left behind for inspection. Nothing here is committed to the product database.
"""

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
from sqlalchemy import insert, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.factories import build_world  # noqa: E402

from crossdesk.config import Settings  # noqa: E402
from crossdesk.db.migrate import upgrade  # noqa: E402
from crossdesk.db.models import Contact, Conversation, Message  # noqa: E402
from crossdesk.domain import new_id  # noqa: E402
from crossdesk.risk.periods import choose_period  # noqa: E402
from crossdesk.risk.reports import (  # noqa: E402
    ReportScope,
    account_report,
    agent_report,
    lead_report,
    volume_per_day,
)
from crossdesk.services import Services, build_services  # noqa: E402

BATCH = 5000
SECRET_KEY = "bench-reports-" + "0" * 32


def urls(backend: str, directory: Path, pg_name: str) -> str:
    if backend == "sqlite":
        path = directory / "reports.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite+aiosqlite:///{path}"
    base = os.environ.get(
        "CROSSDESK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    parts = urlsplit(base)
    with psycopg.connect(f"postgresql://{parts.netloc}{parts.path}", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{pg_name}"')
    return f"postgresql+psycopg://{parts.netloc}/{pg_name}"


async def seed(services: Services, conversations: int, per_conversation: int) -> dict[str, Any]:
    world = await build_world(services)
    rng = random.Random(7)
    end = datetime.now(UTC).replace(microsecond=0)
    start = end - timedelta(days=30)
    agents = {world.team_a: world.users["agent_a"].id, world.team_b: world.users["agent_b"].id}
    accounts = [(world.account_a.id, world.team_a), (world.account_b.id, world.team_b)]
    contacts: list[dict[str, Any]] = []
    convs: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    for index in range(conversations):
        account_id, team = accounts[index % 2]
        # One in five customers is a phone already writing to the other account.
        phone = f"+8613{(index if index % 5 else index - 1):09d}"
        at = start + timedelta(seconds=rng.randrange(30 * 86400 - 7200))
        contact_id, conv_id = new_id(), new_id()
        contacts.append(
            {
                "id": contact_id,
                "workspace_id": world.workspace_id,
                "account_id": account_id,
                "platform_user_id": phone,
                "display_name": phone,
                "created_at": at,
            }
        )
        convs.append(
            {
                "id": conv_id,
                "workspace_id": world.workspace_id,
                "account_id": account_id,
                "contact_id": contact_id,
                "team_id": team,
                "assignee_id": agents[team],
                "created_at": at,
            }
        )
        for turn in range(per_conversation):
            inbound = turn % 2 == 0
            at += timedelta(seconds=rng.randrange(20, 900))
            messages.append(
                {
                    "id": new_id(),
                    "workspace_id": world.workspace_id,
                    "conversation_id": conv_id,
                    "account_id": account_id,
                    "direction": "inbound" if inbound else "outbound",
                    "sender_user_id": None if inbound else agents[team],
                    "body_masked": "bench",
                    "status": "received" if inbound else "sent",
                    "created_at": at,
                }
            )
    async with services.sessionmaker() as session:
        for table, rows in (
            (Contact.__table__, contacts),
            (Conversation.__table__, convs),
            (Message.__table__, messages),
        ):
            for offset in range(0, len(rows), BATCH):
                await session.execute(insert(table), rows[offset : offset + BATCH])
            await session.commit()
        # Fresh planner statistics, as autovacuum (PostgreSQL) or a periodic ANALYZE would
        # have after a month of traffic; without them PostgreSQL expects one row per table.
        await session.execute(text("ANALYZE"))
        await session.commit()
    return {
        "workspace_id": world.workspace_id,
        "team_a": world.team_a,
        "messages": len(messages),
    }


async def timed(repeat: int, run: Callable[[], Awaitable[object]]) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await run()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


async def bench(backend: str, args: argparse.Namespace) -> None:
    url = urls(backend, args.dir, args.pg_name)
    upgrade(url)
    settings = Settings(
        data_dir=args.dir / "data", database_url=url, secret_key=SECRET_KEY, run_workers=False
    )  # type: ignore[arg-type]
    services = build_services(settings)
    try:
        started = time.perf_counter()
        seeded = await seed(services, args.conversations, args.per_conversation)
        print(
            f"{backend}: seeded {args.conversations} conversations, {seeded['messages']} "
            f"messages in {time.perf_counter() - started:.1f} s"
        )
        period = choose_period("30d", None, None)
        scopes = {
            "owner": ReportScope(seeded["workspace_id"], None),
            "supervisor": ReportScope(seeded["workspace_id"], frozenset({seeded["team_a"]})),
        }
        for who, scope in scopes.items():
            for name, query in (
                ("agents", agent_report),
                ("accounts", account_report),
                ("volume per day", volume_per_day),
                ("leads", lead_report),
            ):

                async def run(query: Any = query, scope: ReportScope = scope) -> object:
                    async with services.read_sessionmaker() as session:
                        return await query(session, scope, period)

                ms = await timed(args.repeat, run)
                print(f"{backend:10} {who:10} {name:15} median {ms:8.1f} ms")
    finally:
        await services.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--conversations", type=int, default=20_000)
    parser.add_argument("--per-conversation", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/crossdesk-bench-reports"))
    parser.add_argument("--pg-name", default="crossdesk_bench_reports")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    for backend in args.backends:
        asyncio.run(bench(backend, args))


if __name__ == "__main__":
    main()
