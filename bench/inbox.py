"""Inbox at scale (issue 9): seed 100,000 conversations and 1,000,000 messages, then time
the inbox list page, a conversation page and a search, server side, p50/p95.

    .venv/bin/python bench/inbox.py seed                  # both databases (minutes)
    .venv/bin/python bench/inbox.py measure               # reuses the seeded databases
    .venv/bin/python bench/inbox.py all --backends postgresql --conversations 10000

The databases are kept under --dir (default /tmp/crossdesk-bench-inbox: the SQLite file
and the vault key) and, for PostgreSQL, in the database --pg-name on the server of
CROSSDESK_TEST_POSTGRES_URL, so that `measure` can be rerun after a change without
seeding again (`seed` starts from scratch). Nothing here is committed.

Seeding: the schema comes from the migrations (so the search index, triggers and generated
columns are the real ones), the workspace, people, teams and accounts from the same factory
the tests use, then contacts, conversations and messages are bulk-inserted: executemany on
SQLite (the FTS5 triggers fill the index), COPY on PostgreSQL (the tsvector is generated).
Message texts come from ../shared/bench/gen_chat_corpus.py (deterministic, multilingual:
zh, zh-Hant, en, es, ru, ar, mixed) and are stored as the masked text: the corpus holds no
personal data to mask, and masking a million texts would time the masker, not the inbox.

Measuring goes through the application (httpx ASGI transport, a logged-in browser
session), so each figure includes authentication, the scoped queries and the template:
exactly what a route costs, minus the network.
"""

import argparse
import asyncio
import importlib.util
import json
import os
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg
from sqlalchemy import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.factories import PASSWORD, build_world  # noqa: E402

from crossdesk.config import Settings  # noqa: E402
from crossdesk.db.migrate import upgrade  # noqa: E402
from crossdesk.db.models import Contact, Conversation, Message  # noqa: E402
from crossdesk.domain import new_id  # noqa: E402
from crossdesk.services import build_services  # noqa: E402
from crossdesk.web.app import create_app  # noqa: E402

SHARED_BENCH = Path(os.environ.get("CROSSDESK_SHARED_DIR", ROOT.parent / "shared")) / "bench"
SECRET_KEY = "bench-inbox-" + "0" * 32  # fixed: `measure` reopens what `seed` wrote
BATCH = 5000
START = datetime(2026, 6, 1, tzinfo=UTC)
SPAN_SECONDS = 180 * 86400

FIRST = [
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "María",
    "José",
    "Иван",
    "Ольга",
    "Ahmed",
    "Fatima",
    "John",
    "Emma",
    "Lucía",
    "Дмитрий",
    "Sofía",
    "Wei",
    "Yuki",
    "Omar",
    "Anna",
]
LAST = [
    "伟",
    "娜",
    "敏",
    "静",
    "强",
    "García",
    "Fernández",
    "Петров",
    "Смирнова",
    "Hassan",
    "Al-Sayed",
    "Smith",
    "Johnson",
    "López",
    "Kuznetsov",
    "Martínez",
    "Chen",
    "Sato",
]

# What agents search for: common and rare words in each language of the corpus, a Chinese
# word and phrase, a contact's name, and two words that must both occur.
QUERIES = [
    "refund",
    "tracking",
    "invoice",
    "退款",
    "发货",
    "申请退款",
    "尺码表",
    "pedido",
    "доставка",
    "الشحن",
    "García",
    "warranty charger",
    "包装 破损",
    "Смирнова",
]


def progress(label: str, done: int, total: int, started: float) -> None:
    rate = done / max(time.perf_counter() - started, 1e-9)
    end = "\n" if done >= total else ""
    sys.stderr.write(f"\r{label}: {done:,}/{total:,} ({rate:,.0f}/s){end}")
    sys.stderr.flush()


def corpus_generator() -> Callable[..., Iterator[dict[str, Any]]]:
    spec = importlib.util.spec_from_file_location(
        "gen_chat_corpus", SHARED_BENCH / "gen_chat_corpus.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    generate: Callable[..., Iterator[dict[str, Any]]] = module.generate
    return generate


# --- where the data lives -------------------------------------------------------------


def pg_urls(name: str) -> tuple[str, str]:
    base = os.environ.get(
        "CROSSDESK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    parts = urlsplit(base)
    return f"postgresql+psycopg://{parts.netloc}/{name}", f"postgresql://{parts.netloc}{parts.path}"


def database_url(backend: str, directory: Path, pg_name: str) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{directory / 'inbox.db'}"
    return pg_urls(pg_name)[0]


def settings_for(url: str, directory: Path) -> Settings:
    return Settings(
        data_dir=directory / "data",
        database_url=url,
        secret_key=SECRET_KEY,
        run_workers=False,
    )


def fresh_database(backend: str, directory: Path, pg_name: str) -> str:
    url = database_url(backend, directory, pg_name)
    if backend == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{directory / 'inbox.db'}{suffix}").unlink(missing_ok=True)
    else:
        admin = pg_urls(pg_name)[1]
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{pg_name}"')
    upgrade(url)
    return url


# --- rows -------------------------------------------------------------------------------


def complete(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """Fill columns the seed does not set (added by later migrations) from their model
    defaults, so COPY, which applies no Python defaults, gets every NOT NULL column."""
    for col in table.columns:
        if col.name in row:
            continue
        default = col.default
        if default is not None and getattr(default, "is_scalar", False):
            row[col.name] = default.arg  # type: ignore[attr-defined]
        elif default is not None and getattr(default, "is_callable", False):
            row[col.name] = default.arg(None)  # type: ignore[attr-defined]
        elif col.server_default is None:
            row[col.name] = None
    return row


class Seeder:
    """Deterministic contacts, conversations and messages for one workspace."""

    def __init__(self, meta: dict[str, Any], conversations: int, messages: int) -> None:
        self.meta = meta
        self.n_conversations = conversations
        self.n_messages = messages
        self.rng = random.Random(20261129)
        self.generate = corpus_generator()

    def plan(self) -> list[int]:
        """Messages per conversation: skewed (many short chats, a few long ones), summing
        to exactly n_messages."""
        weights = [self.rng.paretovariate(1.5) for _ in range(self.n_conversations)]
        scale = (self.n_messages - self.n_conversations) / sum(weights)
        counts = [1 + int(w * scale) for w in weights]
        short = self.n_messages - sum(counts)
        for i in range(abs(short)):
            j = i % self.n_conversations
            if short > 0:
                counts[j] += 1
            elif counts[j] > 1:
                counts[j] -= 1
        return counts

    def rows(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every contact and conversation first, then the messages in the order they were
        sent (across conversations), as a live table receives them: the heap and the FTS5
        rowids end up in time order, like production data."""
        meta, rng = self.meta, self.rng
        accounts = meta["accounts"]
        agents = meta["agents"]  # team id → agent user ids
        texts = [(m["text"], m["lang"]) for m in self.generate(self.n_messages, seed=20240318)]
        counts = self.plan()
        sent: list[tuple[datetime, int, int, bool]] = []  # (time, conversation, text, inbound)
        conversations: list[tuple[str, str, str]] = []  # (conversation id, account id, name)
        offset = 0
        for i, count in enumerate(counts):
            account = accounts[i % len(accounts)]
            contact_id, conversation_id = new_id(), new_id()
            created = START + timedelta(seconds=rng.randrange(SPAN_SECONDS))
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            conversations.append((conversation_id, account["id"], name))
            yield (
                "contact",
                {
                    "id": contact_id,
                    "workspace_id": meta["workspace_id"],
                    "account_id": account["id"],
                    "platform_user_id": f"{rng.randrange(10**10, 10**11)}",
                    "display_name": name,
                    "language": None,
                    "country": None,
                    "created_at": created,
                },
            )
            at, last_inbound = created, None
            for k in range(count):
                at += timedelta(seconds=rng.randrange(20, 4 * 3600))
                inbound = k % 2 == 0 or rng.random() < 0.3
                last_inbound = at if inbound else last_inbound
                sent.append((at, i, offset + k, inbound))
            offset += count
            team_agents = agents.get(account["team_id"] or "", [])
            assignee = rng.choice(team_agents) if team_agents and rng.random() < 0.6 else None
            yield (
                "conversation",
                {
                    "id": conversation_id,
                    "workspace_id": meta["workspace_id"],
                    "account_id": account["id"],
                    "contact_id": contact_id,
                    "team_id": account["team_id"],
                    "assignee_id": assignee,
                    "status": "open" if rng.random() < 0.3 else "resolved",
                    "last_message_at": at,
                    "last_inbound_at": last_inbound,
                    "last_message_preview": texts[offset - 1][0][:300],
                    "unread_count": rng.choice([0, 0, 0, 1, 2]),
                    "archived_at": None,
                    "archived_by": None,
                    "created_at": created,
                },
            )
        sent.sort()
        for n, (at, i, text_index, inbound) in enumerate(sent):
            conversation_id, account_id, name = conversations[i]
            text, lang = texts[text_index]
            yield (
                "message",
                {
                    "id": new_id(),
                    "workspace_id": meta["workspace_id"],
                    "conversation_id": conversation_id,
                    "account_id": account_id,
                    "direction": "inbound" if inbound else "outbound",
                    "sender_user_id": None,
                    "sender_label": name if inbound else "agent",
                    "body_masked": text,
                    "body_raw_enc": None,
                    "language": lang,
                    "language_status": "detected",
                    "translation": None,
                    "outgoing_enc": None,
                    "translation_language": None,
                    "translation_engine": None,
                    "translation_status": "not_translated",
                    "translation_note": None,
                    "guard_status": "clean",
                    "guard_findings": "[]",
                    "pii_status": "masked",
                    "pii_spans": "[]",
                    "stage_notes": "{}",
                    "status": "received" if inbound else "delivered",
                    "platform_message_id": f"pm-{n}",
                    "error": None,
                    "echo": False,
                    "deleted_by_platform": False,
                    "sent_at": at,
                    "status_at": None,
                    "created_at": at,
                },
            )


TABLES: dict[str, Table] = {
    "contact": Contact.__table__,  # type: ignore[dict-item]
    "conversation": Conversation.__table__,  # type: ignore[dict-item]
    "message": Message.__table__,  # type: ignore[dict-item]
}
ORDER = ("contact", "conversation", "message")  # foreign keys


def _flush_sqlite(conn: sqlite3.Connection, buffers: dict[str, list[dict[str, Any]]]) -> None:
    for name in ORDER:
        rows = buffers[name]
        if not rows:
            continue
        cols = list(rows[0])
        sql = f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        conn.executemany(sql, [[_sqlite_value(r[c]) for c in cols] for r in rows])
        rows.clear()


def _sqlite_value(value: Any) -> Any:
    # SQLAlchemy's SQLite DateTime storage format (naive UTC).
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def _flush_postgres(
    conn: psycopg.Connection[Any], buffers: dict[str, list[dict[str, Any]]]
) -> None:
    with conn.cursor() as cursor:
        for name in ORDER:
            rows = buffers[name]
            if not rows:
                continue
            cols = list(rows[0])
            with cursor.copy(f"COPY {name} ({', '.join(cols)}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row([r[c] for c in cols])
            rows.clear()


def bulk_insert(backend: str, url: str, seeder: Seeder) -> None:
    total = seeder.n_messages
    buffers: dict[str, list[dict[str, Any]]] = {name: [] for name in ORDER}
    started = time.perf_counter()
    done = 0
    if backend == "sqlite":
        path = url.split("///", 1)[1]
        conn: Any = sqlite3.connect(path)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        flush: Callable[[Any, dict[str, list[dict[str, Any]]]], None] = _flush_sqlite
    else:
        conn = psycopg.connect(url.replace("postgresql+psycopg", "postgresql"))
        conn.execute("SET synchronous_commit = off")
        flush = _flush_postgres
    try:
        for name, row in seeder.rows():
            buffers[name].append(complete(TABLES[name], row))
            done += name == "message"
            # Contacts and conversations all come before the messages, and a flush writes
            # contacts, then conversations, then messages: foreign keys always hold.
            if len(buffers[name]) >= BATCH:
                flush(conn, buffers)
                conn.commit()
                progress(f"{backend} messages", done, total, started)
        flush(conn, buffers)
        conn.commit()
        progress(f"{backend} messages", total, total, started)
        print(f"{backend}: analysing", file=sys.stderr)
        if backend == "sqlite":
            conn.execute("ANALYZE")
            conn.execute("INSERT INTO message_fts(message_fts) VALUES ('optimize')")
        else:
            conn.execute("ANALYZE")
        conn.commit()
    finally:
        conn.close()


async def seed_world(url: str, directory: Path) -> dict[str, Any]:
    services = build_services(settings_for(url, directory))
    try:
        world = await build_world(services)
    finally:
        await services.close()
    agents: dict[str, list[str]] = {
        world.team_a: [world.users["agent_a"].id],
        world.team_b: [world.users["agent_b"].id],
    }
    accounts = [{"id": a.id, "team_id": a.team_id} for a in (world.account_a, world.account_b)]
    return {
        "workspace_id": world.workspace_id,
        "emails": {role: user.email for role, user in world.users.items()},
        "agents": agents,
        "accounts": accounts,
    }


def seed(backend: str, args: argparse.Namespace) -> None:
    directory: Path = args.dir
    directory.mkdir(parents=True, exist_ok=True)
    print(f"{backend}: migrating a fresh database", file=sys.stderr)
    url = fresh_database(backend, directory, args.pg_name)
    meta = asyncio.run(seed_world(url, directory))
    started = time.perf_counter()
    bulk_insert(backend, url, Seeder(meta, args.conversations, args.messages))
    meta["seconds"] = round(time.perf_counter() - started, 1)
    meta["conversations"], meta["messages"] = args.conversations, args.messages
    (directory / f"{backend}.json").write_text(json.dumps(meta, indent=2))
    print(f"{backend}: seeded in {meta['seconds']} s", file=sys.stderr)


# --- measuring ----------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _login(client: httpx.AsyncClient, email: str) -> None:
    response = await client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 303, response.text


class CpuClock:
    """CPU seconds spent on a request: this process (the app, and SQLite in its thread)
    plus the PostgreSQL backends serving the bench database (read from /proc: the server
    runs on this machine). On a shared, loaded machine the wall clock also counts time
    spent waiting for a core; CPU time is what the request costs."""

    def __init__(self, pg_dsn: str | None) -> None:
        self.pg_dsn = pg_dsn

    def backends(self) -> list[int]:
        if self.pg_dsn is None:
            return []
        base, dbname = self.pg_dsn.rsplit("/", 1)
        with psycopg.connect(base + "/postgres") as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (dbname,)
            ).fetchall()
        return [int(r[0]) for r in rows]

    @staticmethod
    def _cpu_ns(pid: int) -> int:
        # schedstat: nanoseconds on a CPU (stat's utime/stime count 10 ms ticks).
        try:
            return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return 0

    def now(self, pids: list[int]) -> float:
        return time.process_time() + sum(self._cpu_ns(pid) for pid in pids) / 1e9


async def _time(
    client: httpx.AsyncClient, paths: list[str], clock: CpuClock | None = None
) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of each request."""
    walls: list[float] = []
    cpus: list[float] = []
    pids = clock.backends() if clock else []
    for path in paths:
        cpu_started = clock.now(pids) if clock else 0.0
        started = time.perf_counter()
        response = await client.get(path)
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append(((clock.now(pids) if clock else 0.0) - cpu_started) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return walls, cpus


async def measure(backend: str, args: argparse.Namespace) -> dict[str, dict[str, float]]:
    directory: Path = args.dir
    meta = json.loads((directory / f"{backend}.json").read_text())
    url = database_url(backend, directory, args.pg_name)
    services = build_services(settings_for(url, directory))
    app = create_app(services.settings, services=services)
    rng = random.Random(7)
    results: dict[str, dict[str, float]] = {}
    clock = CpuClock(
        pg_urls(args.pg_name)[0].replace("+psycopg", "") if backend != "sqlite" else None
    )
    try:
        async with services.sessionmaker() as session:
            from sqlalchemy import select

            sample = list(
                (
                    await session.scalars(
                        select(Conversation.id)
                        .where(Conversation.team_id == meta["accounts"][0]["team_id"])
                        .limit(20000)
                    )
                ).all()
            )
        transport = httpx.ASGITransport(app=app)
        cases: list[tuple[str, str, list[str]]] = []
        n = args.requests
        cases.append(("inbox list, owner (all)", "owner", ["/ui/inbox?view=all"] * n))
        cases.append(("inbox list, supervisor (team)", "supervisor", ["/ui/inbox?view=team"] * n))
        cases.append(("inbox list, agent (mine)", "agent_a", ["/ui/inbox?view=mine"] * n))
        cases.append(
            (
                "inbox list refresh, agent (unassigned)",
                "agent_a",
                ["/ui/inbox/list?view=unassigned"] * n,
            )
        )
        cases.append(
            (
                "conversation page, supervisor",
                "supervisor",
                [f"/ui/conversations/{rng.choice(sample)}" for _ in range(n)],
            )
        )
        searches = [QUERIES[i % len(QUERIES)] for i in range(n)]
        cases.append(("search, owner", "owner", [f"/ui/search?q={q}" for q in searches]))
        cases.append(("search, agent", "agent_a", [f"/ui/search?q={q}" for q in searches]))
        for label, role, paths in cases:
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                await _login(client, meta["emails"][role])
                await _time(client, paths[: max(3, n // 10)])  # warm caches and plans
                times, cpu = await _time(client, paths, clock)
            results[label] = {
                "p50": statistics.median(times),
                "p95": percentile(times, 0.95),
                "cpu_p50": statistics.median(cpu),
                "cpu_p95": percentile(cpu, 0.95),
            }
            r = results[label]
            print(
                f"{backend:10} {label:40} wall p50 {r['p50']:7.1f} p95 {r['p95']:7.1f} ms"
                f" | cpu p50 {r['cpu_p50']:6.1f} p95 {r['cpu_p95']:6.1f} ms"
                f" | load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
        if args.per_query:
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                await _login(client, meta["emails"]["owner"])
                for q in QUERIES:
                    times, cpu = await _time(client, [f"/ui/search?q={q}"] * 5, clock)
                    print(
                        f"{backend:10}   search {q!r:24} median wall "
                        f"{statistics.median(times):7.1f} ms, cpu {statistics.median(cpu):6.1f} ms"
                    )
    finally:
        await services.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("phase", choices=["seed", "measure", "all"])
    parser.add_argument("--backends", nargs="+", default=["postgresql", "sqlite"])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per case")
    parser.add_argument("--per-query", action="store_true", help="also time each search query")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/crossdesk-bench-inbox"))
    parser.add_argument("--pg-name", default="crossdesk_bench_inbox")
    args = parser.parse_args()
    for backend in args.backends:
        if args.phase in ("seed", "all"):
            seed(backend, args)
        if args.phase in ("measure", "all"):
            asyncio.run(measure(backend, args))


if __name__ == "__main__":
    main()
