"""Side-by-side engine comparison against the fake engine servers (OpenAI-compatible and
DeepL wire protocols): API, page and permissions; personal data never reaches an engine;
one engine failing shows as that engine's failure; usage counted, audited without text."""

import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from tests.conftest import make_settings
from tests.factories import PASSWORD, bearer, build_world, inbound, receive
from tests.fakes.translation import engines as fake

from crossdesk.db.models import AuditEvent, Conversation, TranslationUsage
from crossdesk.services import Services, build_services
from crossdesk.translation import TranslationConfig
from crossdesk.translation.factory import EngineSpec
from crossdesk.web.app import create_app

EMAIL = "ana.garcia@gmail.com"
TEXT = f"Hola, ¿dónde está mi pedido? Escríbame a {EMAIL} por favor."


@pytest.fixture(scope="module")
def fake_state() -> fake.FakeState:
    return fake.FakeState()


@pytest.fixture(scope="module")
def fake_url(fake_state: fake.FakeState) -> Iterator[str]:
    with fake.serve(fake_state) as url:
        yield url


@pytest.fixture
async def compare_services(
    tmp_path: Path, database_url: str, fake_url: str, fake_state: fake.FakeState
) -> AsyncIterator[Services]:
    fake_state.reset()
    config = TranslationConfig(
        engines=(
            EngineSpec(
                "deepseek",
                "deepseek",
                {"api_key": fake.OPENAI_KEY, "base_url": f"{fake_url}/openai/v1"},
                price_per_million=2.0,
            ),
            EngineSpec(
                "deepl",
                "deepl",
                {"api_key": fake.DEEPL_KEY, "base_url": f"{fake_url}/deepl"},
                price_per_million=25.0,
            ),
        ),
        attempts=1,
        timeout=5.0,
    )
    built = build_services(make_settings(tmp_path, database_url), translation=config)
    yield built
    await built.close()


async def test_api_compares_engines_side_by_side(
    compare_services: Services, fake_state: fake.FakeState
) -> None:
    services = compare_services
    world = await build_world(services)
    app = create_app(services.settings, services=services)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        supervisor = bearer(world.tokens["supervisor"])
        engines = await client.get("/api/v1/translation/engines", headers=supervisor)
        assert engines.json() == {"engines": ["deepseek", "deepl"]}
        response = await client.post(
            "/api/v1/translation/compare",
            json={"text": TEXT, "source": "es", "target": "en"},
            headers=supervisor,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert [a["engine"] for a in body["answers"]] == ["deepseek", "deepl"]
        assert all(a["status"] == "ok" and a["placeholders_ok"] for a in body["answers"])
        assert all(a["text"].startswith("Thank you for your message") for a in body["answers"])
        assert (body["source"], body["target"]) == ("es", "en")
        assert EMAIL not in body["text"]  # the input comes back masked too
        # Neither engine saw the address: masked into a token first.
        sent = json.dumps([fake_state.requests["openai"], fake_state.requests["deepl"]])
        assert "ana.garcia" not in sent and "gmail" not in sent and "por favor" in sent

        # DeepL down: its column says so; DeepSeek's answer stands (no fallback, no mixing).
        fake_state.script["deepl"] = [fake.Scripted(503, {"message": "busy"})]
        fake_state.requests.clear()
        partial = await client.post(
            "/api/v1/translation/compare",
            json={"text": "¿Tienen la talla M en azul?", "source": "es", "target": "en"},
            headers=supervisor,
        )
        answers = {a["engine"]: a for a in partial.json()["answers"]}
        assert answers["deepseek"]["status"] == "ok"
        assert answers["deepl"]["status"] == "unavailable"
        assert "deepl" in answers["deepl"]["reason"]

        agent = bearer(world.tokens["agent_a"])
        denied = await client.post(
            "/api/v1/translation/compare", json={"text": "hola", "target": "en"}, headers=agent
        )
        assert denied.status_code == 403
        unknown = await client.post(
            "/api/v1/translation/compare",
            json={"text": "hola", "target": "en", "engines": ["google"]},
            headers=supervisor,
        )
        assert unknown.status_code == 400
        assert "not configured: google" in unknown.json()["error"]["message"]
        bad_language = await client.post(
            "/api/v1/translation/compare",
            json={"text": "hola", "target": "e n"},
            headers=supervisor,
        )
        assert bad_language.status_code == 400

        # What the comparisons cost, from the configured prices per million characters.
        usage = await client.get("/api/v1/translation/usage", headers=bearer(world.tokens["owner"]))
        report = usage.json()
        by_engine = {row["key"]: row for row in report["by_engine"]}
        for engine, price in (("deepseek", 2.0), ("deepl", 25.0)):
            row = by_engine[engine]
            assert row["cost"] == pytest.approx(row["characters"] * price / 1e6, abs=1e-6)
        assert report["currency"] == "USD"
        assert report["cost_total"] == pytest.approx(
            sum(r["cost"] for r in by_engine.values()), abs=1e-6
        )
        [agent_row] = report["by_agent"]
        assert agent_row["cost"] == pytest.approx(report["cost_total"], abs=1e-6)

    async with services.read_sessionmaker() as session:
        events = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == "translation.compare")
            )
        ).all()
        usage = (await session.scalars(select(TranslationUsage))).all()
    assert len(events) == 2
    assert events[0].data["engines"] == ["deepseek", "deepl"]
    assert "pedido" not in json.dumps([e.data for e in events])  # no text in the audit log
    assert {u.engine for u in usage} == {"deepseek", "deepl"}
    assert all(u.user_id == world.users["supervisor"].id for u in usage)


async def test_page_shows_the_answers_in_columns(
    compare_services: Services, fake_state: fake.FakeState
) -> None:
    services = compare_services
    world = await build_world(services)
    app = create_app(services.settings, services=services)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await client.post(
            "/login", data={"email": world.users["supervisor"].email, "password": PASSWORD}
        )
        inbox = await client.get("/ui/inbox")
        assert 'id="compare-link"' in inbox.text
        page = await client.get("/ui/translation/compare")
        assert page.status_code == 200
        assert 'value="deepseek" checked' in page.text and 'value="deepl" checked' in page.text
        csrf = re.search(r'data-csrf="([^"]+)"', page.text)
        assert csrf is not None
        result = await client.post(
            "/ui/translation/compare",
            data={"text": TEXT, "source": "es", "target": "en", "engines": ["deepseek", "deepl"]},
            headers={"X-CSRF-Token": csrf.group(1)},
        )
        assert result.status_code == 200, result.text
        assert result.text.count('class="compare-answer"') == 2
        assert 'data-engine="deepl" data-status="ok"' in result.text
        assert EMAIL not in result.text
        # From the composer: the preview offers the comparison into the customer's language.
        await receive(services, world.account_a, inbound(TEXT))
        async with services.read_sessionmaker() as session:
            conversation_id = await session.scalar(select(Conversation.id))
        preview = await client.post(
            f"/ui/conversations/{conversation_id}/preview",
            data={"text": "Your order ships tomorrow, thank you for waiting."},
            headers={"X-CSRF-Token": csrf.group(1)},
        )
        assert preview.status_code == 200, preview.text
        assert 'class="compare-engines"' in preview.text
        assert '"target": "es"' in preview.text
        empty = await client.post(
            "/ui/translation/compare",
            data={"text": " ", "target": "en"},
            headers={"X-CSRF-Token": csrf.group(1)},
        )
        assert empty.status_code == 400 and "no text" in empty.text
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        agent_page = await client.get(
            "/ui/translation/compare", headers=bearer(world.tokens["agent_a"])
        )
        assert agent_page.status_code == 403
