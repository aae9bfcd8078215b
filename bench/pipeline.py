"""Inbound pipeline throughput into the store, and ingest → SSE latency.

1. Throughput: messages/s through the full inbound pipeline (language ID, guard, masking,
   translation stage) and into the store, one webhook-sized transaction per message, on
   SQLite (the embedded default) and on PostgreSQL, in one process.
2. Latency: `crossdesk serve` in its own process (SQLite or PostgreSQL); this process POSTs
   signed sandbox webhooks over HTTP at a fixed offered load (default 200 messages/s) while
   an SSE client reads /api/v1/events; reports p50/p99 from the start of each POST to the
   event's arrival at the SSE client.

    .venv/bin/python bench/pipeline.py                     # both parts, both databases
    .venv/bin/python bench/pipeline.py --backends sqlite --n 2000 --rate 200 --seconds 10

PostgreSQL comes from CROSSDESK_TEST_POSTGRES_URL (a scratch database is created).
"""

import argparse
import asyncio
import importlib.util
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.factories import build_world  # noqa: E402

from crossdesk.actions.receive_message import prepare_events, store_events  # noqa: E402
from crossdesk.channels.sandbox.protocol import SIGNATURE_HEADER, sign  # noqa: E402
from crossdesk.config import Settings  # noqa: E402
from crossdesk.db.migrate import upgrade  # noqa: E402
from crossdesk.db.session import transaction  # noqa: E402
from crossdesk.domain import InboundEvent  # noqa: E402
from crossdesk.guard import warm_up  # noqa: E402
from crossdesk.services import build_services  # noqa: E402

SHARED_BENCH = ROOT.parent / "shared" / "bench"


def corpus(n: int) -> list[str]:
    spec = importlib.util.spec_from_file_location(
        "gen_chat_corpus", SHARED_BENCH / "gen_chat_corpus.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [m["text"] for m in module.generate(n)]


def progress(label: str, done: int, total: int) -> None:
    if sys.stderr.isatty() or done == total:
        sys.stderr.write(f"\r{label}: {done}/{total}")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def scratch_postgres() -> tuple[str, str, str]:
    base = os.environ.get(
        "CROSSDESK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    parts = urlsplit(base)
    admin = f"postgresql://{parts.netloc}{parts.path}"
    name = f"crossdesk_bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://{parts.netloc}/{name}", admin, name


def drop_postgres(admin: str, name: str) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def settings_for(url: str, data_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=url,
        secret_key="bench-" + secrets.token_hex(8),  # type: ignore[arg-type]
        run_workers=False,
    )


async def throughput(url: str, texts: list[str], label: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        services = build_services(settings_for(url, Path(tmp)))
        try:
            world = await build_world(services)
            account = world.account_a
            warm_up()  # the guard's tables and jieba, as the server does at start-up
            await prepare_events(services, account, [_event(0, "warm-up 你好")])
            started = time.perf_counter()
            for i, text in enumerate(texts):
                prepared = await prepare_events(services, account, [_event(i, text)])
                async with transaction(services.sessionmaker) as session:
                    await store_events(services, session, account, prepared)
                if i % 200 == 0:
                    progress(label, i, len(texts))
            elapsed = time.perf_counter() - started
            progress(label, len(texts), len(texts))
            return len(texts) / elapsed
        finally:
            await services.close()


def _event(i: int, text: str) -> InboundEvent:
    from datetime import UTC, datetime

    return InboundEvent(
        platform_message_id=f"bench-{i}-{secrets.token_hex(4)}",
        sender_id=f"customer-{i % 500}",
        sender_name=f"Customer {i % 500}",
        text=text,
        sent_at=datetime.now(UTC),
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def latency(url: str, texts: list[str], rate: float, seconds: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = settings_for(url, Path(tmp))
        seed_services = build_services(settings)
        world = await build_world(seed_services)
        await seed_services.close()
        key = settings.resolved_secret_key()
        from crossdesk.channels.sandbox.protocol import derived_credential

        secret = derived_credential(key, "webhook", world.account_a.external_id)
        port = free_port()
        # The server runs in its own process, as in production; this process only loads it.
        env = {
            **os.environ,
            "CROSSDESK_DATABASE_URL": url,
            "CROSSDESK_SECRET_KEY": settings.resolved_secret_key().decode(),
            "CROSSDESK_DATA_DIR": tmp,
        }
        server = subprocess.Popen(  # noqa: ASYNC220  # started once, before measuring
            [sys.executable, "-m", "crossdesk.cli.main", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base) as probe:
            for _ in range(200):
                try:
                    if (await probe.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
        sent_at: dict[str, float] = {}
        answered: dict[str, float] = {}
        received: dict[str, float] = {}
        total = int(rate * seconds)
        limits = httpx.Limits(max_connections=5000, max_keepalive_connections=100)
        async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
            subscribed = asyncio.Event()

            async def listen() -> None:
                headers = {"Authorization": f"Bearer {world.tokens['owner']}"}
                async with client.stream("GET", "/api/v1/events", headers=headers) as stream:
                    async for line in stream.aiter_lines():
                        if line.startswith(": connected"):
                            subscribed.set()
                        if line.startswith("data: "):
                            event = json.loads(line[6:])
                            pid = event["data"].get("platform_message_id")
                            if pid:
                                received[pid] = time.perf_counter()
                                if len(received) >= total:
                                    return

            listener = asyncio.create_task(listen())
            await asyncio.wait_for(subscribed.wait(), 10)

            async def post(i: int) -> None:
                pid = f"lat-{i}"
                body = json.dumps(
                    {
                        "events": [
                            {
                                "type": "message",
                                "id": pid,
                                "from": f"customer-{i % 200}",
                                "text": texts[i % len(texts)],
                                "timestamp": "2026-11-29T00:00:00+00:00",
                            }
                        ]
                    }
                ).encode()
                sent_at[pid] = time.perf_counter()
                response = await client.post(
                    f"/webhooks/sandbox/{world.account_a.id}",
                    content=body,
                    headers={
                        "content-type": "application/json",
                        SIGNATURE_HEADER: sign(secret, body),
                    },
                )
                response.raise_for_status()
                answered[pid] = time.perf_counter()

            started = time.perf_counter()
            tasks = []
            for i in range(total):
                delay = started + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(post(i)))
                if i % 200 == 0:
                    progress("latency", i, total)
            await asyncio.gather(*tasks)
            progress("latency", total, total)
            try:
                await asyncio.wait_for(listener, 30)
            except TimeoutError:
                listener.cancel()
        server.terminate()
        server.wait(10)
    samples = sorted((received[p] - sent_at[p]) * 1000 for p in received if p in sent_at)
    answers = sorted((answered[p] - sent_at[p]) * 1000 for p in answered)
    achieved = total / (max(sent_at.values()) - min(sent_at.values()) or 1)
    return {
        "offered_rate": rate,
        "achieved_rate": achieved,
        "events": len(samples),
        "p50_ms": statistics.median(samples),
        "p99_ms": samples[int(len(samples) * 0.99) - 1],
        "max_ms": samples[-1],
        "answer_p50_ms": statistics.median(answers),
        "answer_p99_ms": answers[int(len(answers) * 0.99) - 1],
    }


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--n", type=int, default=3000, help="messages for the throughput part")
    parser.add_argument(
        "--rates", default="200,100", help="offered loads for the latency part, messages/s"
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of the latency part")
    args = parser.parse_args()
    texts = corpus(max(args.n, 500))
    print(f"corpus: {len(texts)} generated chat messages (shared/bench/gen_chat_corpus.py)")
    for backend in args.backends.split(","):
        cleanup = None
        if backend == "sqlite":
            tmp = tempfile.mkdtemp()
            url = f"sqlite+aiosqlite:///{tmp}/bench.db"
            lat_url = ""
        else:
            url, admin, name = scratch_postgres()
            lat_url, _, lat_name = scratch_postgres()
            cleanup = (admin, name, lat_name)
        try:
            upgrade(url)
            if backend != "sqlite":
                upgrade(lat_url)
            rate = await throughput(url, texts[: args.n], f"{backend} throughput")
            print(f"{backend}: inbound pipeline into the store: {rate:,.0f} messages/s")
            for offered in (float(r) for r in args.rates.split(",")):
                if backend == "sqlite":
                    lat_url = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/latency.db"
                    upgrade(lat_url)
                figures = await latency(lat_url, texts, offered, args.seconds)
                print(
                    f"{backend}: ingest → SSE at {figures['offered_rate']:.0f}/s offered "
                    f"({figures['achieved_rate']:.0f}/s sent, {figures['events']} events): "
                    f"p50 {figures['p50_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms, "
                    f"max {figures['max_ms']:.1f} ms; webhook answered p50 "
                    f"{figures['answer_p50_ms']:.1f} ms, p99 {figures['answer_p99_ms']:.1f} ms"
                )
        finally:
            if cleanup:
                drop_postgres(cleanup[0], cleanup[1])
                drop_postgres(cleanup[0], cleanup[2])


if __name__ == "__main__":
    asyncio.run(main())
