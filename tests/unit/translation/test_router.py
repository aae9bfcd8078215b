from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from crossdesk.translation import (
    Glossary,
    GlossaryTerm,
    LanguageDetector,
    LanguagePair,
    LRUCache,
    NullTranslator,
    RetryPolicy,
    Router,
    Status,
    TranslationRequest,
)
from crossdesk.translation.breaker import BreakerState
from crossdesk.translation.errors import (
    EngineError,
    EngineRateLimited,
    EngineRejected,
    EngineUnavailable,
)


@dataclass
class ScriptedEngine:
    """An in-process engine: raises the scripted errors first, then 'translates'."""

    name: str
    errors: list[EngineError] = field(default_factory=list)
    drop_placeholders: bool = False
    delay: float = 0.0
    self_hosted: bool = False
    gist: bool = False
    model: str = "m1"
    max_batch: int = 8
    calls: list[list[str]] = field(default_factory=list)

    def supports(self, pair: LanguagePair) -> bool:
        return True

    async def translate(
        self, texts: Sequence[str], pair: LanguagePair, glossary: Glossary
    ) -> list[str]:
        self.calls.append(list(texts))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.errors:
            raise self.errors.pop(0)
        out = []
        for text in texts:
            translated = f"[{self.name}:{pair.target}] {text}"
            if self.drop_placeholders:
                translated = translated.replace("⟦0⟧", "")
            out.append(translated)
        return out


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def req(text: str = "hola, mi pedido #5583920147 no llegó", **kw: object) -> TranslationRequest:
    return TranslationRequest(text, target=str(kw.pop("target", "en")), source="es", **kw)  # type: ignore[arg-type]


async def test_translates_and_restores_placeholders() -> None:
    router = Router([ScriptedEngine("a")])
    [result] = await router.translate([req()])
    assert result.status is Status.OK
    assert result.text == "[a:en] hola, mi pedido #5583920147 no llegó"
    assert (result.engine, result.model, result.placeholders_ok) == ("a", "m1", True)
    assert result.characters == len("hola, mi pedido ⟦0⟧ no llegó")


async def test_429_retry_after_is_honoured_then_succeeds() -> None:
    engine = ScriptedEngine("a", errors=[EngineRateLimited("a", "HTTP 429", retry_after=2.5)])
    sleeps = Sleeps()
    router = Router([engine], sleep=sleeps)
    [result] = await router.translate([req()])
    assert result.ok and sleeps.delays == [2.5] and len(engine.calls) == 2


async def test_5xx_is_retried_with_backoff_then_falls_back() -> None:
    down = ScriptedEngine("a", errors=[EngineUnavailable("a", "HTTP 503")] * 3)
    sleeps = Sleeps()
    router = Router([down, ScriptedEngine("b")], retry=RetryPolicy(attempts=3), sleep=sleeps)
    [result] = await router.translate([req()])
    assert len(down.calls) == 3 and len(sleeps.delays) == 2
    assert sleeps.delays[1] > sleeps.delays[0] * 0.4
    assert result.ok and result.engine == "b" and result.attempts == ("a", "b")


async def test_long_retry_after_moves_on_instead_of_blocking() -> None:
    slow = ScriptedEngine("a", errors=[EngineRateLimited("a", "HTTP 429", retry_after=3600)])
    sleeps = Sleeps()
    router = Router([slow, ScriptedEngine("b")], sleep=sleeps)
    [result] = await router.translate([req()])
    assert sleeps.delays == [] and result.engine == "b"


async def test_permanent_errors_are_not_retried() -> None:
    engine = ScriptedEngine("a", errors=[EngineRejected("a", "HTTP 403")])
    [result] = await Router([engine]).translate([req()])
    assert len(engine.calls) == 1
    assert result.status is Status.FAILED
    assert result.text == req().text
    assert result.reason == "not translated: a: HTTP 403"


async def test_engine_down_gives_unavailable_untranslated_with_reason() -> None:
    down = ScriptedEngine("a", errors=[EngineUnavailable("a", "unreachable (ConnectError)")] * 9)
    [result] = await Router([down], sleep=Sleeps()).translate([req()])
    assert result.status is Status.UNAVAILABLE
    assert (result.engine, result.text) == ("null", req().text)
    assert result.reason == "not translated: a: unreachable (ConnectError)"


async def test_timeout_counts_as_transient() -> None:
    slow = ScriptedEngine("a", delay=1.0)
    router = Router([slow], retry=RetryPolicy(attempts=1, timeout=0.05))
    [result] = await router.translate([req()])
    assert result.status is Status.UNAVAILABLE and "timed out" in result.reason


async def test_circuit_breaker_opens_and_skips_the_engine() -> None:
    down = ScriptedEngine("a", errors=[EngineUnavailable("a", "HTTP 502")] * 100)
    router = Router([down, ScriptedEngine("b")], retry=RetryPolicy(attempts=1), breaker_threshold=2)
    for i in range(2):
        await router.translate([req(f"mensaje número {i}")])
    assert router.breakers["a"].state is BreakerState.OPEN
    calls = len(down.calls)
    [result] = await router.translate([req("otro mensaje")])
    assert len(down.calls) == calls and result.engine == "b"
    assert result.attempts == ("a", "b")


async def test_lost_placeholder_is_refused_and_sent_to_next_engine() -> None:
    lossy = ScriptedEngine("a", drop_placeholders=True)
    router = Router([lossy, ScriptedEngine("b")])
    [result] = await router.translate([req()])
    assert result.engine == "b" and "#5583920147" in result.text
    [only] = await Router([ScriptedEngine("a", drop_placeholders=True)]).translate([req()])
    assert only.status is Status.FAILED and not only.placeholders_ok
    assert "placeholders lost 1" in only.reason and only.text == req().text


async def test_cache_serves_messages_differing_only_in_order_numbers() -> None:
    engine = ScriptedEngine("a")
    cache = LRUCache()
    router = Router([engine], cache=cache)
    [first] = await router.translate([req("tu pedido #1234567 salió")])
    [second] = await router.translate([req("tu pedido #7654321 salió")])
    assert len(engine.calls) == 1
    assert second.cached and second.text == "[a:en] tu pedido #7654321 salió"
    assert second.characters == 0 and first.characters > 0
    assert cache.hits == 1


async def test_failures_are_never_cached() -> None:
    engine = ScriptedEngine("a", errors=[EngineRejected("a", "HTTP 400")])
    router = Router([engine])
    [bad] = await router.translate([req()])
    [good] = await router.translate([req()])
    assert bad.status is Status.FAILED and good.ok and not good.cached


async def test_identical_in_flight_requests_are_coalesced() -> None:
    engine = ScriptedEngine("a", delay=0.05)
    router = Router([engine])
    results = await asyncio.gather(
        router.translate([req("¿dónde está mi paquete?")]),
        router.translate([req("¿dónde está mi paquete?")]),
        router.translate([req("¿dónde está mi paquete?"), req("¿dónde está mi paquete?")]),
    )
    assert len(engine.calls) == 1 and engine.calls[0] == ["¿dónde está mi paquete?"]
    assert all(r.ok for batch in results for r in batch)
    assert len(router.inflight) == 0


async def test_self_hosted_only_skips_third_party_engines() -> None:
    cloud, local = ScriptedEngine("cloud"), ScriptedEngine("local", self_hosted=True)
    [result] = await Router([cloud, local]).translate([req(self_hosted_only=True)])
    assert result.engine == "local" and cloud.calls == []
    [refused] = await Router([cloud]).translate([req(self_hosted_only=True)])
    assert refused.status is Status.UNAVAILABLE
    assert "third-party engines are off" in refused.reason


async def test_routes_pick_the_chain_per_pair_and_gist_needs_review() -> None:
    llm, apertium = ScriptedEngine("llm"), ScriptedEngine("apertium", gist=True, self_hosted=True)
    router = Router([llm, apertium], {"es->en": ["apertium", "llm"], "*": ["llm"]})
    [inbound] = await router.translate([req()])
    [outbound] = await router.translate([TranslationRequest("hello", target="es", source="en")])
    assert inbound.engine == "apertium" and inbound.needs_review
    assert outbound.engine == "llm" and not outbound.needs_review
    with pytest.raises(ValueError, match="unknown engines"):
        Router([llm], {"*": ["nope"]})


async def test_no_engine_and_null_never_fake_a_translation() -> None:
    [result] = await Router([]).translate([req()])
    assert result.status is Status.UNAVAILABLE and result.text == req().text
    assert result.reason == "not translated: no engine for es→en"
    [null] = await NullTranslator().translate([req()])
    assert null.text == req().text and null.reason.startswith("not translated: no engine")


async def test_same_language_and_nothing_to_translate_pass_through() -> None:
    engine = ScriptedEngine("a")
    router = Router([engine])
    same, emoji = await router.translate(
        [TranslationRequest("hello", target="en", source="en"), req("👍 #5583920147")]
    )
    assert same.ok and same.engine == "none" and emoji.reason == "nothing to translate"
    assert engine.calls == []


async def test_glossary_version_is_part_of_the_cache_key() -> None:
    engine = ScriptedEngine("a")
    router = Router([engine])
    v1 = Glossary((GlossaryTerm("AirPods"),), version="1")
    v2 = Glossary((GlossaryTerm("AirPods"),), version="2")
    await router.translate([req("mis AirPods llegaron rotos", glossary=v1)])
    await router.translate([req("mis AirPods llegaron rotos", glossary=v2)])
    assert len(engine.calls) == 2


async def test_source_is_detected_and_echoed_output_is_refused() -> None:
    echo = ScriptedEngine("echo")

    async def same_text(texts: Sequence[str], pair: LanguagePair, glossary: Glossary) -> list[str]:
        return list(texts)

    echo.translate = same_text  # type: ignore[method-assign]
    router = Router([echo], detector=LanguageDetector())
    text = "hola, mi pedido todavía no ha llegado, ¿me pueden ayudar por favor?"
    [result] = await router.translate([TranslationRequest(text, target="en")])
    assert result.source == "es" and result.status is Status.FAILED
    assert result.reason == "not translated: echo: output still in es"
    [short] = await router.translate([TranslationRequest("ok", target="en", current_language="es")])
    assert short.source == "es"
