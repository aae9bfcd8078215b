"""The router: per language pair an ordered chain of engines, ending in Null.

For each batch it protects spans, serves what it can from the cache, coalesces identical
requests already under way, and calls engines down the chain with a timeout, retries with
backoff on transient failures (honouring ``Retry-After``) and a circuit breaker per engine.
A translation whose placeholders did not come back exactly once is refused and sent to the
next engine. Whatever no engine translated comes back unchanged with status ``unavailable``
(try again later) or ``failed`` (engines answered but could not be trusted) and a reason: an
engine that is down never blocks a message.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from crossdesk.translation import languages
from crossdesk.translation.breaker import CircuitBreaker
from crossdesk.translation.cache import CacheKey, InFlight, LRUCache, TranslationCache
from crossdesk.translation.errors import EngineError, EngineResponseInvalid, EngineUnavailable
from crossdesk.translation.langid import LanguageDetector
from crossdesk.translation.placeholders import ProtectedText, protect, restore
from crossdesk.translation.providers.null import untranslated
from crossdesk.translation.types import (
    Engine,
    Glossary,
    LanguagePair,
    Status,
    TranslationRequest,
    TranslationResult,
)

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try one engine before moving down the chain.

    Args:
        attempts: calls per engine and batch, the first included.
        timeout: seconds for one call.
        base_delay: first backoff in seconds, doubled each retry (with jitter).
        max_delay: longest backoff.
        max_retry_after: a ``Retry-After`` longer than this moves on instead of waiting.
    """

    attempts: int = 3
    timeout: float = 20.0
    base_delay: float = 0.5
    max_delay: float = 4.0
    max_retry_after: float = 10.0


@dataclass(frozen=True, slots=True)
class TimedResult:
    """One engine's answer in a comparison, with how long it took (cache hits are fast)."""

    result: TranslationResult
    milliseconds: float


@dataclass(slots=True)
class _Item:
    index: int
    request: TranslationRequest
    pair: LanguagePair
    protected: ProtectedText
    attempts: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Group:
    pair: LanguagePair
    glossary: Glossary
    self_hosted_only: bool
    items: list[_Item] = field(default_factory=list)


class Router:
    """A :class:`~crossdesk.translation.types.Translator` over a chain of engines.

    Args:
        engines: the configured engines; the default chain is this order.
        routes: chains by pair, keyed ``"es->en"``, ``"es->*"``, ``"*->zh-Hans"`` or ``"*"``,
            each a list of engine names; the most specific key wins.
        cache: where verified translations are kept (an in-memory LRU by default).
        detector: language ID for requests without a source, and to refuse output that is
            still in the source language.
        retry: timeouts, retries and backoff per engine.
        breaker_threshold: consecutive failed calls that open an engine's circuit.
        breaker_cooldown: seconds before a trial call to an open engine.
        sleep: the backoff sleep (injectable for tests).
    """

    def __init__(
        self,
        engines: Sequence[Engine],
        routes: Mapping[str, Sequence[str]] | None = None,
        *,
        cache: TranslationCache | None = None,
        detector: LanguageDetector | None = None,
        retry: RetryPolicy | None = None,
        breaker_threshold: int = 3,
        breaker_cooldown: float = 30.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.engines = {engine.name: engine for engine in engines}
        self.routes: dict[str, tuple[str, ...]] = {}
        for key, names in (routes or {}).items():
            unknown = [name for name in names if name not in self.engines and name != "null"]
            if unknown:
                raise ValueError(f"route {key!r} names unknown engines: {', '.join(unknown)}")
            self.routes[self._route_key(key)] = tuple(n for n in names if n != "null")
        self.cache: TranslationCache = cache if cache is not None else LRUCache()
        self.detector = detector
        self.retry = retry or RetryPolicy()
        self.breakers = {
            name: CircuitBreaker(breaker_threshold, breaker_cooldown) for name in self.engines
        }
        self.inflight = InFlight()
        self._sleep = sleep

    @staticmethod
    def _route_key(key: str) -> str:
        if key.strip() == "*":
            return "*->*"
        source, _, target = key.partition("->")
        norm = [p.strip() if p.strip() == "*" else languages.normalize(p) for p in (source, target)]
        return f"{norm[0]}->{norm[1] or '*'}"

    def chain(self, pair: LanguagePair) -> list[Engine]:
        """The engines tried for ``pair``, in order (Null is implicit at the end)."""
        for key in (
            f"{pair.source}->{pair.target}",
            f"{pair.source}->*",
            f"*->{pair.target}",
            "*->*",
        ):
            if key in self.routes:
                names = self.routes[key]
                break
        else:
            names = tuple(self.engines)
        return [self.engines[name] for name in names if self.engines[name].supports(pair)]

    async def translate(self, requests: Sequence[TranslationRequest]) -> list[TranslationResult]:
        """Translate a batch; one result per request, in order. Never raises for engines."""
        results: list[TranslationResult | None] = [None] * len(requests)
        groups: dict[tuple[LanguagePair, Glossary, bool], _Group] = {}
        for index, request in enumerate(requests):
            target = languages.normalize(request.target)
            source = self._source_of(request)
            pair = LanguagePair(source, target)
            if source == target:
                results[index] = self._unchanged(request, pair, "already in the target language")
                continue
            protected = protect(request.text, request.glossary.terms)
            if not any(ch.isalpha() for ch in _without_placeholders(protected.text)):
                results[index] = self._unchanged(request, pair, "nothing to translate")
                continue
            key = (pair, request.glossary, request.self_hosted_only)
            group = groups.setdefault(key, _Group(pair, request.glossary, request.self_hosted_only))
            group.items.append(_Item(index, request, pair, protected))
        if len(groups) == 1:  # the common case: no task overhead
            outcomes = [await self._translate_group(next(iter(groups.values())))]
        else:
            outcomes = await asyncio.gather(*(self._translate_group(g) for g in groups.values()))
        for outcome in outcomes:
            for index, result in outcome:
                results[index] = result
        return [r for r in results if r is not None]

    async def compare(
        self, request: TranslationRequest, engine_names: Sequence[str]
    ) -> list[TimedResult]:
        """Translate one request with each named engine on its own (no fallback down the
        chain), concurrently, for a side-by-side comparison. Same protection, checks, cache,
        retries and circuit breakers as :meth:`translate`; one result per name, in order.

        Raises:
            ValueError: a name is not a configured engine.
        """
        unknown = [name for name in engine_names if name not in self.engines]
        if unknown:
            raise ValueError(f"unknown engines: {', '.join(unknown)}")
        target = languages.normalize(request.target)
        source = self._source_of(request)
        pair = LanguagePair(source, target)

        async def one(name: str) -> TimedResult:
            started = time.perf_counter()
            engine = self.engines[name]
            protected = protect(request.text, request.glossary.terms)
            item = _Item(0, request, pair, protected)
            group = _Group(pair, request.glossary, request.self_hosted_only, [item])
            done: list[tuple[int, TranslationResult]] = []
            if source == target:
                result = self._unchanged(request, pair, "already in the target language")
            elif request.self_hosted_only and not engine.self_hosted:
                result = untranslated(
                    request,
                    source,
                    "third-party engines are off for this account",
                    status=Status.FAILED,
                )
            elif not engine.supports(pair):
                result = untranslated(
                    request, source, f"{name} does not serve {pair}", status=Status.FAILED
                )
            else:
                _pending, failure, transient = await self._try_engine(engine, group, [item], done)
                if done:
                    result = done[0][1]
                else:
                    result = untranslated(
                        request,
                        source,
                        f"{name}: {failure or 'no answer'}",
                        status=Status.UNAVAILABLE if transient else Status.FAILED,
                        attempts=tuple(item.attempts),
                    )
                    if "placeholder" in failure:
                        result = dataclasses.replace(result, placeholders_ok=False)
            if result.engine != name:
                result = dataclasses.replace(result, engine=name)
            return TimedResult(result, (time.perf_counter() - started) * 1000)

        return list(await asyncio.gather(*(one(name) for name in engine_names)))

    def _source_of(self, request: TranslationRequest) -> str:
        if request.source:
            return languages.normalize(request.source)
        if self.detector is None:
            return languages.AUTO
        detection = self.detector.detect(request.text, current=request.current_language)
        return detection.lang if detection.lang != languages.UNDETERMINED else languages.AUTO

    @staticmethod
    def _unchanged(
        request: TranslationRequest, pair: LanguagePair, reason: str
    ) -> TranslationResult:
        return TranslationResult(
            text=request.text,
            status=Status.OK,
            engine="none",
            source=pair.source,
            target=pair.target,
            reason=reason,
        )

    async def _translate_group(self, group: _Group) -> list[tuple[int, TranslationResult]]:
        done: list[tuple[int, TranslationResult]] = []
        pending = list(group.items)
        reasons: list[str] = []
        transient_only = True
        engines = self.chain(group.pair)
        for engine in engines:
            if not pending:
                break
            if group.self_hosted_only and not engine.self_hosted:
                reasons.append(f"{engine.name}: third-party engines are off for this account")
                continue
            pending, failure, transient = await self._try_engine(engine, group, pending, done)
            if failure:
                reasons.append(f"{engine.name}: {failure}")
                transient_only = transient_only and transient
        if not engines:
            reasons.append(f"no engine for {group.pair}")
        status = Status.UNAVAILABLE if transient_only else Status.FAILED
        for item in pending:
            reason = "; ".join(reasons) or f"no engine for {group.pair}"
            result = untranslated(
                item.request,
                group.pair.source,
                reason,
                status=status,
                attempts=tuple(item.attempts),
            )
            if any("placeholder" in r for r in reasons):
                result = dataclasses.replace(result, placeholders_ok=False)
            done.append((item.index, result))
        return done

    async def _try_engine(
        self,
        engine: Engine,
        group: _Group,
        items: list[_Item],
        done: list[tuple[int, TranslationResult]],
    ) -> tuple[list[_Item], str, bool]:
        """Translate ``items`` with one engine; returns (still pending, failure, transient)."""
        breaker = self.breakers[engine.name]
        keys = {
            item.index: CacheKey(
                engine.name,
                engine.model,
                group.pair.source,
                group.pair.target,
                group.glossary.version,
                item.protected.text,
            )
            for item in items
        }
        remaining: list[_Item] = []
        for item in items:
            item.attempts.append(engine.name)
            hit = self.cache.get(keys[item.index])
            if hit is None:
                remaining.append(item)
                continue
            done.append((item.index, self._ok(engine, item, hit, cached=True)))
        if not remaining:
            return [], "", True
        if not breaker.allow():
            return remaining, "circuit open after repeated failures", True

        owned: dict[CacheKey, list[_Item]] = {}
        waiting: dict[CacheKey, tuple[asyncio.Future[str | None], list[_Item]]] = {}
        for item in remaining:
            key = keys[item.index]
            if key in owned:
                owned[key].append(item)
            elif key in waiting:
                waiting[key][1].append(item)
            elif (future := self.inflight.pending(key)) is not None:
                waiting[key] = (future, [item])
            else:
                self.inflight.claim(key)
                owned[key] = [item]

        still: list[_Item] = []
        failure, transient = "", True
        owned_keys = list(owned)
        outputs: list[str] | None = None
        try:
            if owned_keys:
                outputs = await self._call(
                    engine, breaker, [k.text for k in owned_keys], group.pair, group.glossary
                )
        except EngineError as error:
            failure, transient = error.reason, error.transient
        finally:
            if outputs is None:
                for key in owned_keys:
                    self.inflight.settle(key, None)
        if outputs is not None:
            for key, output in zip(owned_keys, outputs, strict=True):
                sample = owned[key][0]
                problem = self._check(sample, output, group.pair)
                if problem:
                    self.inflight.settle(key, None)
                    failure, transient = problem, False
                    still.extend(owned[key])
                    continue
                self.cache.put(key, output)
                self.inflight.settle(key, output)
                for item in owned[key]:
                    done.append((item.index, self._ok(engine, item, output, cached=False)))
        elif owned_keys:
            for key in owned_keys:
                still.extend(owned[key])
        for future, waiters in waiting.values():
            value = await self.inflight.wait(future)
            for item in waiters:
                if value is None:
                    still.append(item)
                else:
                    done.append((item.index, self._ok(engine, item, value, cached=True)))
        if still and not failure:
            failure = "a coalesced request failed"
        return still, failure, transient

    def _check(self, item: _Item, output: str, pair: LanguagePair) -> str:
        """Why ``output`` cannot be trusted, or ``""``."""
        restored = restore(item.protected, output)
        if not restored.ok:
            return restored.problem
        if self.detector is not None and pair.source not in (languages.AUTO, pair.target):
            plain = _without_placeholders(output)
            if sum(ch.isalpha() for ch in plain) >= 12:
                detection = self.detector.detect(plain)
                if (
                    detection.confident
                    and languages.base(detection.lang) == languages.base(pair.source)
                    and languages.base(pair.source) != languages.base(pair.target)
                ):
                    return f"output still in {pair.source}"
        return ""

    def _ok(self, engine: Engine, item: _Item, output: str, *, cached: bool) -> TranslationResult:
        restored = restore(item.protected, output)
        return TranslationResult(
            text=restored.text,
            status=Status.OK,
            engine=engine.name,
            model=engine.model,
            source=item.pair.source,
            target=item.pair.target,
            placeholders_ok=restored.ok,
            cached=cached,
            needs_review=engine.gist,
            characters=0 if cached else len(item.protected.text),
            attempts=tuple(item.attempts),
        )

    async def _call(
        self,
        engine: Engine,
        breaker: CircuitBreaker,
        texts: list[str],
        pair: LanguagePair,
        glossary: Glossary,
    ) -> list[str]:
        outputs: list[str] = []
        for start in range(0, len(texts), max(1, engine.max_batch)):
            chunk = texts[start : start + max(1, engine.max_batch)]
            outputs.extend(await self._call_chunk(engine, breaker, chunk, pair, glossary))
        return outputs

    async def _call_chunk(
        self,
        engine: Engine,
        breaker: CircuitBreaker,
        texts: list[str],
        pair: LanguagePair,
        glossary: Glossary,
    ) -> list[str]:
        policy = self.retry
        error: EngineError = EngineUnavailable(engine.name, "not called")
        for attempt in range(max(1, policy.attempts)):
            try:
                async with asyncio.timeout(policy.timeout):
                    outputs = await engine.translate(texts, pair, glossary)
                if len(outputs) != len(texts):
                    raise EngineResponseInvalid(
                        engine.name, f"{len(outputs)} translations for {len(texts)} texts"
                    )
                breaker.record_success()
                return outputs
            except TimeoutError:
                error = EngineUnavailable(engine.name, f"timed out after {policy.timeout:g}s")
            except EngineError as exc:
                error = exc
            except Exception as exc:  # a provider bug must not block the message
                logger.exception("translation engine %s crashed", engine.name)
                error = EngineResponseInvalid(engine.name, f"internal error ({type(exc).__name__})")
            if not error.transient or attempt + 1 >= policy.attempts:
                break
            if error.retry_after is not None:
                delay = error.retry_after
            else:
                delay = min(policy.max_delay, policy.base_delay * 2**attempt)
                delay *= 0.5 + random.random() / 2
            if delay > policy.max_retry_after:
                break
            logger.info("translation engine %s: %s; retrying in %.2fs", engine.name, error, delay)
            await self._sleep(delay)
        breaker.record_failure()
        raise error


_PLACEHOLDER = re.compile(r"⟦\s*\d+\s*⟧")


def _without_placeholders(text: str) -> str:
    return _PLACEHOLDER.sub(" ", text)
