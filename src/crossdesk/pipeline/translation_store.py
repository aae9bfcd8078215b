"""What the translation router remembers in the database: cache, translation memory, usage.

The router (``crossdesk.translation``) knows no database; its cache protocol is synchronous.
So the database layers work around each router call, from :class:`RouterTranslator`:

* before: one short read session loads the cache rows the router may ask for (every engine
  of the pair's chain) into the in-memory LRU, looks the text up in the workspace's
  translation memory and checks the workspace's monthly quota;
* the router runs with no connection held (ADR 0002/0003) and serves hits from the LRU;
* after: one short write transaction stores the new verified translations (failures never
  reach the cache: the router only ``put``s verified outputs) and the characters used.

The caller must not hold a session while translating (true of every pipeline caller: the
inbound prepare phase, ``send_reply`` and the composer end their transactions first).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crossdesk.db.base import utcnow
from crossdesk.db.models import (
    TranslationCacheEntry,
    TranslationMemory,
    TranslationQuota,
    TranslationUsage,
)
from crossdesk.db.session import commit
from crossdesk.domain import new_id
from crossdesk.pipeline.stages.translate import TranslationContext
from crossdesk.translation import CacheKey, LRUCache, TranslationResult

logger = logging.getLogger(__name__)

UNATTRIBUTED = "-"
"""Usage of a translation made outside a workspace's pipeline run (none known)."""


_CACHE_ROWS = select(TranslationCacheEntry.key_hash, TranslationCacheEntry.translation).where(
    TranslationCacheEntry.key_hash.in_(bindparam("hashes", expanding=True))
)


def cache_hash(key: CacheKey) -> str:
    """The database key of a cache entry: every field of the LRU key, hashed."""
    raw = "\x1f".join(
        (key.engine, key.model, key.source, key.target, key.glossary_version, key.text)
    )
    return hashlib.sha256(raw.encode()).hexdigest()


def text_hash(text: str) -> str:
    return hashlib.sha256(text.strip().encode()).hexdigest()


class DatabaseCache:
    """A :class:`~crossdesk.translation.TranslationCache`: the in-memory LRU in front, the
    ``translation_cache`` table behind it (loaded by :meth:`load`, written by :meth:`save`)."""

    def __init__(self, memory: LRUCache | None = None) -> None:
        self.memory = memory if memory is not None else LRUCache()
        self.db_hits = 0
        self._unsaved: dict[CacheKey, str] = {}

    def get(self, key: CacheKey) -> str | None:
        return self.memory.get(key)

    def put(self, key: CacheKey, translation: str) -> None:
        self.memory.put(key, translation)
        self._unsaved[key] = translation

    def missing(self, keys: Iterable[CacheKey]) -> list[CacheKey]:
        # The LRU counts lookups; peek without counting.
        data: Mapping[CacheKey, str] = self.memory._data
        return [key for key in keys if key not in data]

    async def load(self, session: AsyncSession, keys: Iterable[CacheKey]) -> int:
        """Put the stored translations of ``keys`` not in memory into the LRU."""
        wanted = {cache_hash(key): key for key in self.missing(keys)}
        if not wanted:
            return 0
        connection = await session.connection()  # Core, statement built once: a hot path
        rows = await connection.execute(_CACHE_ROWS, {"hashes": list(wanted)})
        found = 0
        for key_hash, translation in rows:
            self.memory.put(wanted[key_hash], translation)
            found += 1
        self.db_hits += found
        return found

    def take_unsaved(self) -> dict[CacheKey, str]:
        unsaved, self._unsaved = self._unsaved, {}
        return unsaved

    @staticmethod
    async def write(session: AsyncSession, entries: Mapping[CacheKey, str]) -> None:
        if not entries:
            return
        connection = await session.connection()
        insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
        now = utcnow()
        await connection.execute(
            insert(TranslationCacheEntry).on_conflict_do_nothing(),
            [
                {
                    "key_hash": cache_hash(key),
                    "engine": key.engine,
                    "model": key.model[:200],
                    "source": key.source,
                    "target": key.target,
                    "glossary_version": key.glossary_version[:64],
                    "text": key.text,
                    "translation": translation,
                    "created_at": now,
                }
                for key, translation in entries.items()
            ],
        )


@dataclass(frozen=True, slots=True)
class MemoryHit:
    translation: str  # tokenized form
    memory_id: str


async def memory_lookup(
    session: AsyncSession, workspace_id: str, source: str, target: str, text: str
) -> MemoryHit | None:
    row = (
        await session.execute(
            select(
                TranslationMemory.id, TranslationMemory.translation, TranslationMemory.source_text
            )
            .where(
                TranslationMemory.workspace_id == workspace_id,
                TranslationMemory.source == source,
                TranslationMemory.target == target,
                TranslationMemory.source_hash == text_hash(text),
            )
            .limit(1)
        )
    ).first()
    if row is None or row[2].strip() != text.strip():
        return None
    return MemoryHit(row[1], row[0])


async def remember(
    session: AsyncSession,
    *,
    workspace_id: str,
    source: str,
    target: str,
    source_text: str,
    translation: str,
    message_id: str,
    user_id: str | None,
) -> None:
    """Make ``translation`` the preferred one for ``source_text`` (both tokenized)."""
    source_text = source_text.strip()
    key = text_hash(source_text)
    existing = await session.scalar(
        select(TranslationMemory).where(
            TranslationMemory.workspace_id == workspace_id,
            TranslationMemory.source == source,
            TranslationMemory.target == target,
            TranslationMemory.source_hash == key,
        )
    )
    now = utcnow()
    if existing is not None:
        existing.translation = translation
        existing.message_id = message_id
        existing.user_id = user_id
        existing.updated_at = now
        return
    session.add(
        TranslationMemory(
            id=new_id(),
            workspace_id=workspace_id,
            source=source,
            target=target,
            source_hash=key,
            source_text=source_text,
            translation=translation,
            message_id=message_id,
            user_id=user_id,
            uses=0,
            created_at=now,
            updated_at=now,
        )
    )


def _fresh(entry: tuple[float, object] | None, now: float) -> bool:
    return entry is not None and entry[0] > now


def today() -> date:
    return datetime.now(UTC).date()


async def add_usage(
    session: AsyncSession, counts: Mapping[tuple[str, date, str, str], tuple[int, int]]
) -> None:
    """Add (characters, requests) per (workspace, day, engine, user) in one statement."""
    if not counts:
        return
    connection = await session.connection()
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = insert(TranslationUsage)
    statement = statement.on_conflict_do_update(
        index_elements=["workspace_id", "day", "engine", "user_id"],
        set_={
            "characters": TranslationUsage.characters + statement.excluded.characters,
            "requests": TranslationUsage.requests + statement.excluded.requests,
        },
    )
    await connection.execute(
        statement,
        [
            {
                "workspace_id": workspace,
                "day": day,
                "engine": engine,
                "user_id": user,
                "characters": characters,
                "requests": requests,
            }
            for (workspace, day, engine, user), (characters, requests) in counts.items()
        ],
    )


def month_start(day: date) -> date:
    return day.replace(day=1)


async def paid_characters_this_month(
    session: AsyncSession, workspace_id: str, paid_engines: Iterable[str], day: date | None = None
) -> int:
    engines = list(paid_engines)
    if not engines:
        return 0
    day = day or today()
    total = await session.scalar(
        select(func.coalesce(func.sum(TranslationUsage.characters), 0)).where(
            TranslationUsage.workspace_id == workspace_id,
            TranslationUsage.day >= month_start(day),
            TranslationUsage.engine.in_(engines),
        )
    )
    return int(total or 0)


@dataclass(frozen=True, slots=True)
class Prepared:
    """What the read phase found for one translation."""

    memory: MemoryHit | None
    over_quota: bool


class TranslationStore:
    """The database side of :class:`~crossdesk.pipeline.engines.RouterTranslator`.

    Args:
        sessionmaker / read_sessionmaker: the application's session factories.
        cache: the router's cache (the same object the router was built with).
        paid_engines: names of third-party engines (counted against quotas).
        quota_ttl: seconds a workspace's quota verdict is reused before it is read again.
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        read_sessionmaker: async_sessionmaker[AsyncSession],
        cache: DatabaseCache,
        *,
        paid_engines: Iterable[str] = (),
        prices: Mapping[str, float] | None = None,
        currency: str = "USD",
        quota_ttl: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._read_sessionmaker = read_sessionmaker
        self.cache = cache
        self.paid_engines = frozenset(paid_engines)
        # Engine → price per million characters (the usage report's cost), and its currency.
        self.prices: dict[str, float] = dict(prices or {})
        self.currency = currency
        self._quota_ttl = quota_ttl
        self._clock = clock
        self._quota_verdicts: dict[str, tuple[float, bool]] = {}
        # Per workspace: (expiry, the (source, target, hash) keys of its memory entries), so
        # that a text with no memory entry (nearly all) costs no database round trip.
        self._memory_keys: dict[str, tuple[float, frozenset[tuple[str, str, str]]]] = {}
        self._usage: dict[tuple[str, date, str, str], tuple[int, int]] = {}
        self._pending_memory_uses: list[str] = []

    async def prepare(
        self,
        keys: list[CacheKey],
        context: TranslationContext | None,
        memory_key: tuple[str, str, str] | None,
    ) -> Prepared:
        """Load cache rows for ``keys``; look up ``memory_key`` = (source, target, text)."""
        now = self._clock()
        workspace = context.workspace_id if context is not None else None
        need_quota = (
            workspace is not None
            and bool(self.paid_engines)
            and not _fresh(self._quota_verdicts.get(workspace), now)
        )
        need_memory = workspace is not None and not _fresh(self._memory_keys.get(workspace), now)
        need_keys = self.cache.missing(keys)
        hit: MemoryHit | None = None
        if need_keys or need_quota or need_memory:
            async with self._read_sessionmaker() as session:
                if need_keys:
                    await self.cache.load(session, need_keys)
                if workspace is not None and need_quota:
                    await self._read_quota(session, workspace)
                if workspace is not None and need_memory:
                    rows = await session.execute(
                        select(
                            TranslationMemory.source,
                            TranslationMemory.target,
                            TranslationMemory.source_hash,
                        ).where(TranslationMemory.workspace_id == workspace)
                    )
                    known = frozenset((r[0], r[1], r[2]) for r in rows)
                    self._memory_keys[workspace] = (now + self._quota_ttl, known)
                hit = await self._memory_hit(session, workspace, memory_key)
        elif (
            workspace is not None
            and memory_key is not None
            and self._may_remember(workspace, memory_key)
        ):
            async with self._read_sessionmaker() as session:
                hit = await self._memory_hit(session, workspace, memory_key)
        over = False
        if workspace is not None:
            verdict = self._quota_verdicts.get(workspace)
            over = bool(verdict and verdict[1])
        return Prepared(hit, over)

    def _may_remember(self, workspace: str, memory_key: tuple[str, str, str]) -> bool:
        entry = self._memory_keys.get(workspace)
        source, target, text = memory_key
        return entry is not None and (source, target, text_hash(text)) in entry[1]

    async def _memory_hit(
        self,
        session: AsyncSession,
        workspace: str | None,
        memory_key: tuple[str, str, str] | None,
    ) -> MemoryHit | None:
        if workspace is None or memory_key is None or not self._may_remember(workspace, memory_key):
            return None
        source, target, text = memory_key
        return await memory_lookup(session, workspace, source, target, text)

    def forget_memory(self, workspace_id: str) -> None:
        """Read the workspace's memory keys again next time (after entries were added)."""
        self._memory_keys.pop(workspace_id, None)

    async def _read_quota(self, session: AsyncSession, workspace_id: str) -> None:
        quota = await session.scalar(
            select(TranslationQuota.monthly_characters).where(
                TranslationQuota.workspace_id == workspace_id
            )
        )
        over = False
        if quota is not None:
            used = await paid_characters_this_month(session, workspace_id, self.paid_engines)
            over = used >= quota
        self._quota_verdicts[workspace_id] = (self._clock() + self._quota_ttl, over)

    def forget_quota(self, workspace_id: str) -> None:
        """Read the workspace's quota again next time (after it was changed)."""
        self._quota_verdicts.pop(workspace_id, None)

    def count(self, result: TranslationResult, context: TranslationContext | None) -> None:
        """Remember the characters an engine was sent for ``result`` (cache hits cost none)."""
        if not result.ok or result.cached or result.characters <= 0:
            return
        workspace = context.workspace_id if context else UNATTRIBUTED
        user = (context.user_id or "") if context else ""
        key = (workspace, today(), result.engine, user)
        characters, requests = self._usage.get(key, (0, 0))
        self._usage[key] = (characters + result.characters, requests + 1)

    def used_memory(self, hit: MemoryHit) -> None:
        self._pending_memory_uses.append(hit.memory_id)

    async def save(self) -> None:
        """Write new cache entries, usage and memory uses in one short transaction."""
        entries = self.cache.take_unsaved()
        usage, self._usage = self._usage, {}
        uses, self._pending_memory_uses = self._pending_memory_uses, []
        if not entries and not usage and not uses:
            return
        try:
            async with self._sessionmaker() as session:
                await DatabaseCache.write(session, entries)
                await add_usage(session, usage)
                for memory_id in uses:
                    await session.execute(
                        update(TranslationMemory)
                        .where(TranslationMemory.id == memory_id)
                        .values(uses=TranslationMemory.uses + 1)
                    )
                await commit(session)
        except Exception:
            # The translation itself succeeded; losing a cache row or a count must not
            # turn it into a failure. Usage is put back to be written next time.
            logger.exception("could not store translation cache entries / usage")
            for key, value in usage.items():
                characters, requests = self._usage.get(key, (0, 0))
                self._usage[key] = (characters + value[0], requests + value[1])
