"""Every provider against its fake server: auth, body shape, markup, errors, rate limits."""

from __future__ import annotations

import httpx
import pytest
from tests.fakes.translation import engines as fake
from tests.fakes.translation.engines import FakeState, Scripted

from crossdesk.translation import (
    Glossary,
    GlossaryTerm,
    LanguagePair,
    Router,
    Status,
    TranslationRequest,
)
from crossdesk.translation.errors import (
    EngineRateLimited,
    EngineRejected,
    EngineUnavailable,
)
from crossdesk.translation.providers.apertium import ApertiumAdapter, ApertiumConfig
from crossdesk.translation.providers.baidu import BaiduConfig, BaiduEngine
from crossdesk.translation.providers.deepl import DeepLConfig, DeepLEngine
from crossdesk.translation.providers.google import (
    GoogleV2Config,
    GoogleV2Engine,
    GoogleV3Config,
    GoogleV3Engine,
)
from crossdesk.translation.providers.microsoft import MicrosoftConfig, MicrosoftEngine
from crossdesk.translation.providers.openai_compat import OpenAICompatConfig, OpenAICompatEngine
from crossdesk.translation.providers.tencent import TencentConfig, TencentEngine
from crossdesk.translation.types import Engine

ES_EN = LanguagePair("es", "en")
TEXTS = ["hola, mi pedido ⟦0⟧ no llegó ⟦1⟧", "¿y el reembolso de ⟦0⟧?"]
NO_GLOSSARY = Glossary()


def build(name: str, url: str, client: httpx.AsyncClient, *, bad_auth: bool = False) -> Engine:
    bad = "wrong" if bad_auth else ""
    if name == "openai":
        return OpenAICompatEngine(
            OpenAICompatConfig(
                "deepseek", api_key=bad or fake.OPENAI_KEY, base_url=f"{url}/openai/v1"
            ),
            client,
        )
    if name == "deepl":
        return DeepLEngine(DeepLConfig(bad or fake.DEEPL_KEY, base_url=f"{url}/deepl"), client)
    if name == "google":
        return GoogleV2Engine(GoogleV2Config(bad or fake.GOOGLE_KEY, f"{url}/google"), client)
    if name == "google-v3":
        return GoogleV3Engine(
            GoogleV3Config("p1", bad or fake.GOOGLE_TOKEN, base_url=f"{url}/google"), client
        )
    if name == "microsoft":
        return MicrosoftEngine(
            MicrosoftConfig(bad or fake.MS_KEY, fake.MS_REGION, f"{url}/microsoft"), client
        )
    if name == "baidu":
        return BaiduEngine(
            BaiduConfig(fake.BAIDU_APPID, bad or fake.BAIDU_SECRET, f"{url}/baidu"), client
        )
    if name == "tencent":
        return TencentEngine(
            TencentConfig(fake.TENCENT_ID, bad or fake.TENCENT_KEY, base_url=f"{url}/tencent/"),
            client,
        )
    raise AssertionError(name)


ENGINES = ["openai", "deepl", "google", "google-v3", "microsoft", "baidu", "tencent"]
RATE_LIMIT = {
    "openai": Scripted(429, {"error": {"message": "rate"}}, {"Retry-After": "7"}),
    "deepl": Scripted(429, {"message": "Too many requests"}, {"Retry-After": "7"}),
    "google": Scripted(429, {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED"}}),
    "google-v3": Scripted(429, {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED"}}),
    "microsoft": Scripted(429, {"error": {"code": 429001, "message": "too many"}}),
    "baidu": Scripted(200, {"error_code": "54003", "error_msg": "Invalid Access Limit"}),
    "tencent": Scripted(
        200, {"Response": {"Error": {"Code": "RequestLimitExceeded", "Message": "x"}}}
    ),
}


@pytest.mark.parametrize("name", ENGINES)
async def test_translates_a_batch_keeping_placeholders(
    name: str, fake_url: str, fake_state: FakeState, client: httpx.AsyncClient
) -> None:
    engine = build(name, fake_url, client)
    out = await engine.translate(TEXTS, ES_EN, NO_GLOSSARY)
    assert len(out) == 2
    assert out[0].startswith("Thank you for your message")
    assert "⟦0⟧" in out[0] and "⟦1⟧" in out[0] and "⟦0⟧" in out[1]
    assert "<" not in out[0]  # markup removed
    assert sum(fake_state.calls(k) for k in fake_state.requests) == 1  # one call per batch


@pytest.mark.parametrize("name", ENGINES)
async def test_bad_credentials_are_a_permanent_rejection(
    name: str, fake_url: str, client: httpx.AsyncClient
) -> None:
    with pytest.raises(EngineRejected):
        await build(name, fake_url, client, bad_auth=True).translate(TEXTS, ES_EN, NO_GLOSSARY)


@pytest.mark.parametrize("name", ENGINES)
async def test_rate_limit_is_transient_with_retry_after(
    name: str, fake_url: str, fake_state: FakeState, client: httpx.AsyncClient
) -> None:
    fake_state.fail(name, RATE_LIMIT[name])
    with pytest.raises(EngineRateLimited) as caught:
        await build(name, fake_url, client).translate(TEXTS, ES_EN, NO_GLOSSARY)
    if name in ("openai", "deepl"):
        assert caught.value.retry_after == 7.0


@pytest.mark.parametrize("name", ["openai", "deepl", "google", "microsoft"])
async def test_router_retries_503_then_succeeds(
    name: str, fake_url: str, fake_state: FakeState, client: httpx.AsyncClient
) -> None:
    fake_state.fail(name, Scripted(503, {"error": {"message": "busy"}}, {"Retry-After": "0"}))
    router = Router([build(name, fake_url, client)])
    [result] = await router.translate(
        [TranslationRequest("hola, mi pedido #5583920147 no llegó", "en", "es")]
    )
    assert result.status is Status.OK and "#5583920147" in result.text
    assert fake_state.calls(name) == 2


async def test_markup_keeps_placeholders_where_bare_ones_would_be_lost(
    fake_url: str, fake_state: FakeState, client: httpx.AsyncClient
) -> None:
    engine = build("deepl", fake_url, client)
    await engine.translate(["a < b & ⟦0⟧"], ES_EN, NO_GLOSSARY)
    body = fake_state.requests["deepl"][0]["body"]
    assert body["text"] == ["a &lt; b &amp; <x>⟦0⟧</x>"]
    assert body["tag_handling"] == "xml" and body["ignore_tags"] == ["x"]
    assert body["source_lang"] == "ES" and body["target_lang"] == "EN-US"


async def test_openai_tolerates_blank_keepalive_lines_and_sse_comments(
    fake_url: str, fake_state: FakeState, client: httpx.AsyncClient
) -> None:
    fake_state.keepalive_lines = 5
    plain = build("openai", fake_url, client)
    assert "⟦0⟧" in (await plain.translate(TEXTS, ES_EN, NO_GLOSSARY))[0]
    streaming = OpenAICompatEngine(
        OpenAICompatConfig(
            "deepseek", api_key=fake.OPENAI_KEY, base_url=f"{fake_url}/openai/v1", stream=True
        ),
        client,
    )
    out = await streaming.translate(TEXTS, ES_EN, NO_GLOSSARY)
    assert out[1].startswith("Thank you") and "⟦0⟧" in out[1]
    request = fake_state.requests["openai"][0]["body"]
    assert request["temperature"] == 0 and request["response_format"] == {"type": "json_object"}
    assert "⟦0⟧" in request["messages"][0]["content"]


async def test_qwen_mt_sends_native_term_list(
    fake_url: str, fake_state: FakeState, client: httpx.AsyncClient
) -> None:
    engine = OpenAICompatEngine(
        OpenAICompatConfig(
            "qwen", api_key=fake.OPENAI_KEY, base_url=f"{fake_url}/openai/v1", model="qwen-mt-plus"
        ),
        client,
    )
    glossary = Glossary((GlossaryTerm("小米", "Xiaomi"),))
    [out] = await engine.translate(["小米手机坏了"], LanguagePair("zh-Hans", "en"), glossary)
    assert "Xiaomi" in out
    body = fake_state.requests["openai"][0]["body"]
    assert body["translation_options"] == {
        "source_lang": "Chinese",
        "target_lang": "English",
        "terms": [{"source": "小米", "target": "Xiaomi"}],
    }
    assert [m["role"] for m in body["messages"]] == ["user"]


async def test_openai_reply_with_wrong_ids_is_invalid(
    fake_url: str, fake_state: FakeState, client: httpx.AsyncClient
) -> None:
    bad = {"choices": [{"message": {"content": '{"items": [{"id": 5, "text": "x"}]}'}}]}
    fake_state.fail("openai", Scripted(200, bad))
    with pytest.raises(Exception, match="ids do not match"):
        await build("openai", fake_url, client).translate(["uno"], ES_EN, NO_GLOSSARY)


async def test_baidu_sends_texts_with_newlines_alone(
    fake_url: str, fake_state: FakeState, client: httpx.AsyncClient
) -> None:
    engine = build("baidu", fake_url, client)
    out = await engine.translate(["uno", "dos\ntres", "cuatro"], ES_EN, NO_GLOSSARY)
    assert len(out) == 3 and out[1].count("\n") == 1
    assert fake_state.calls("baidu") == 3


async def test_tencent_expired_signature_is_rejected(
    fake_url: str, client: httpx.AsyncClient
) -> None:
    engine = TencentEngine(
        TencentConfig(fake.TENCENT_ID, fake.TENCENT_KEY, base_url=f"{fake_url}/tencent/"),
        client,
        clock=lambda: 1_000_000_000.0,
    )
    with pytest.raises(EngineRejected, match="SignatureExpire"):
        await engine.translate(["hola"], ES_EN, NO_GLOSSARY)


async def test_unreachable_engine_is_unavailable(client: httpx.AsyncClient) -> None:
    engine = DeepLEngine(DeepLConfig("k", base_url=f"http://127.0.0.1:{fake.free_port()}"), client)
    with pytest.raises(EngineUnavailable, match="unreachable"):
        await engine.translate(["hola"], ES_EN, NO_GLOSSARY)


async def test_apertium_adapter_against_fake_apy(
    fake_url: str, fake_state: FakeState, client: httpx.AsyncClient
) -> None:
    adapter = ApertiumAdapter(ApertiumConfig(f"{fake_url}/apy"), client)
    assert ("es", "pt") in await adapter.list_pairs()
    out = await adapter.translate(["hola ⟦0⟧", "adiós"], ES_EN, NO_GLOSSARY)
    assert "⟦0⟧" in out[0] and len(out) == 2
    sent = fake_state.requests["apy"][0]["body"]
    assert sent["langpair"] == "spa|eng" and sent["markUnknown"] == "no"
    assert not adapter.supports(LanguagePair("es", "zh-Hans"))
