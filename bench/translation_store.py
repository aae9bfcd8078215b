"""The translation store's database layer: cache hit latency, memory lookup, write cost.

Run from the repository root: ``.venv/bin/python bench/translation_store.py`` (SQLite in a
temporary directory, through the one inline connection of ADR 0002; pass a PostgreSQL URL
as the first argument to measure that instead, on an empty, migrated database).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from crossdesk.db.migrate import upgrade  # noqa: E402
from crossdesk.db.session import make_engine, make_read_sessionmaker, make_sessionmaker  # noqa: E402
from crossdesk.pipeline.stages.translate import TranslationContext  # noqa: E402
from crossdesk.pipeline.translation_store import DatabaseCache, TranslationStore  # noqa: E402
from crossdesk.translation import CacheKey, LRUCache  # noqa: E402

ROWS = 10_000
SAMPLES = 2_000


def key(i: int) -> CacheKey:
    return CacheKey("deepseek", "deepseek-chat", "es", "en", "0", f"Su pedido ⟦0⟧ número {i}")


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


def line(name: str, values: list[float]) -> str:
    return (
        f"- {name}: p50 {statistics.median(values):.0f} µs, p99 {pct(values, 0.99):.0f} µs "
        f"({len(values)} samples)"
    )


async def main(url: str) -> None:
    engine = make_engine(url)
    sessionmaker, read_sessionmaker = make_sessionmaker(engine), make_read_sessionmaker(engine)
    cache = DatabaseCache(LRUCache(maxsize=ROWS * 2))
    store = TranslationStore(sessionmaker, read_sessionmaker, cache)
    context = TranslationContext("w" * 32)

    writes: list[float] = []
    for start in range(0, ROWS, 100):  # fill: 100 new entries per transaction
        for i in range(start, start + 100):
            cache.put(key(i), f"Your order ⟦0⟧ number {i}")
        t0 = time.perf_counter_ns()
        await store.save()
        writes.append((time.perf_counter_ns() - t0) / 1000 / 100)
    one_write: list[float] = []
    for i in range(ROWS, ROWS + 500):
        cache.put(key(i), "x")
        t0 = time.perf_counter_ns()
        await store.save()
        one_write.append((time.perf_counter_ns() - t0) / 1000)

    db_hit: list[float] = []
    lru_hit: list[float] = []
    for n in range(SAMPLES):
        k = key((n * 7919) % ROWS)
        cache.memory = LRUCache(maxsize=16)  # cold memory: the row must come from the database
        t0 = time.perf_counter_ns()
        await store.prepare([k], context, ("es", "en", k.text))
        db_hit.append((time.perf_counter_ns() - t0) / 1000)
        assert cache.get(k) is not None
        t0 = time.perf_counter_ns()
        await store.prepare([k], context, ("es", "en", k.text))  # LRU hit
        lru_hit.append((time.perf_counter_ns() - t0) / 1000)
    no_context: list[float] = []
    cache.memory = LRUCache(maxsize=ROWS * 2)
    for n in range(SAMPLES):
        k = key((n * 7919) % ROWS)
        await store.prepare([k], None, None)  # warm the LRU
    for n in range(SAMPLES):
        k = key((n * 7919) % ROWS)
        t0 = time.perf_counter_ns()
        await store.prepare([k], None, None)  # LRU hit, no workspace: no database at all
        no_context.append((time.perf_counter_ns() - t0) / 1000)
    await engine.dispose()
    print(f"Database: {url.split(':')[0]}, {ROWS} cache rows")
    print(line("cache hit from the database (LRU cold: one read session)", db_hit))
    print(line("LRU hit in a workspace (memory keys and quota known: no database)", lru_hit))
    print(line("LRU hit outside a workspace (no database)", no_context))
    print(line("store one new entry (one write transaction)", one_write))
    print(line("store entries in batches of 100 (per entry)", writes))


if __name__ == "__main__":
    if len(sys.argv) > 1:
        target = sys.argv[1]
        upgrade(target)
        asyncio.run(main(target))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            target = f"sqlite+aiosqlite:///{tmp}/bench.db"
            upgrade(target)
            asyncio.run(main(target))
