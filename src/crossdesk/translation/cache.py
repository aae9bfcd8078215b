"""Translation cache on the placeholder form, and coalescing of identical in-flight requests.

Keys hold the engine, model, language pair, glossary version and the placeholder-form text,
so "Your order ⟦0⟧ has shipped" is translated once for every order number. Only successful,
verified translations are stored; a failure is never cached. A database-backed cache can
implement :class:`TranslationCache` too and sit behind the in-memory one.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class CacheKey:
    engine: str
    model: str
    source: str
    target: str
    glossary_version: str
    text: str


class TranslationCache(Protocol):
    """Where verified translations of placeholder-form texts are kept."""

    def get(self, key: CacheKey) -> str | None: ...

    def put(self, key: CacheKey, translation: str) -> None: ...


class LRUCache:
    """A bounded in-memory LRU cache; not shared between processes.

    Args:
        maxsize: most entries kept; the least recently used is dropped first.
    """

    def __init__(self, maxsize: int = 10_000) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self.hits = 0
        self.misses = 0
        self._data: OrderedDict[CacheKey, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: CacheKey) -> str | None:
        value = self._data.get(key)
        if value is None:
            self.misses += 1
            return None
        self._data.move_to_end(key)
        self.hits += 1
        return value

    def put(self, key: CacheKey, translation: str) -> None:
        self._data[key] = translation
        self._data.move_to_end(key)
        while len(self._data) > self.maxsize:
            self._data.popitem(last=False)


class InFlight:
    """Identical requests under way share one engine call.

    The first caller for a key :meth:`claim`s it and must :meth:`settle` it with the
    translation, or ``None`` on failure; later callers :meth:`wait` for that outcome.
    """

    def __init__(self) -> None:
        self._futures: dict[CacheKey, asyncio.Future[str | None]] = {}

    def __len__(self) -> int:
        return len(self._futures)

    def pending(self, key: CacheKey) -> asyncio.Future[str | None] | None:
        """The future of a call already under way for ``key``, if any."""
        return self._futures.get(key)

    def claim(self, key: CacheKey) -> None:
        """Mark ``key`` as being translated by the caller."""
        if key in self._futures:
            raise RuntimeError("key already claimed")
        self._futures[key] = asyncio.get_running_loop().create_future()

    def settle(self, key: CacheKey, translation: str | None) -> None:
        """Publish the outcome for ``key`` (``None`` = failed) and release it."""
        future = self._futures.pop(key, None)
        if future is not None and not future.done():
            future.set_result(translation)

    async def wait(self, future: asyncio.Future[str | None]) -> str | None:
        # shield: one waiter being cancelled must not cancel the shared outcome.
        return await asyncio.shield(future)
