"""`crossdesk translate compare` against the fake engine servers, and the stable
`crossdesk translate --to` contract through the real `crossdesk` app."""

from __future__ import annotations

import io
import json

from tests.fakes.translation import engines as fake
from tests.fakes.translation.engines import FakeState, Scripted
from typer.testing import CliRunner

from crossdesk.cli.main import app
from crossdesk.cli.translate import run_compare


def env(url: str) -> dict[str, str]:
    return {
        "CROSSDESK_TRANSLATION__ENGINES": "deepseek,deepl",
        "CROSSDESK_TRANSLATION__DEEPSEEK__API_KEY": fake.OPENAI_KEY,
        "CROSSDESK_TRANSLATION__DEEPSEEK__BASE_URL": f"{url}/openai/v1",
        "CROSSDESK_TRANSLATION__DEEPL__API_KEY": fake.DEEPL_KEY,
        "CROSSDESK_TRANSLATION__DEEPL__BASE_URL": f"{url}/deepl",
        "CROSSDESK_TRANSLATION__ATTEMPTS": "1",
    }


async def test_compare_writes_every_engine_side_by_side(
    fake_url: str, fake_state: FakeState
) -> None:
    fake_state.script["deepl"] = [Scripted(403, {"message": "Forbidden"})]
    stdin = io.StringIO(
        '{"text": "mi pedido #5583920147 no llegó, escríbame a ana.garcia@gmail.com"}\n'
        "not json\n"
        '{"text": "¿tienen talla M?"}\n'
    )
    stdout = io.StringIO()
    seen: list[int] = []
    assert await run_compare(env(fake_url), "en", "es", None, stdin, stdout, seen.append) == 1
    first, bad, second = (json.loads(x) for x in stdout.getvalue().splitlines())
    assert [r["engine"] for r in first["results"]] == ["deepseek", "deepl"]
    deepseek, deepl = first["results"]
    assert deepseek["status"] == "ok" and deepseek["placeholders_ok"] is True
    assert "#5583920147" in deepseek["text"]  # the order number survives as a placeholder
    assert deepl["status"] == "failed" and "deepl" in deepl["reason"]
    assert "ana.garcia" not in first["text"]  # masked in the output as well
    assert "ana.garcia" not in json.dumps(fake_state.requests)  # and never sent
    assert "error" in bad
    assert [r["status"] for r in second["results"]] == ["ok", "ok"]
    assert seen == [1, 2]


def test_translate_group_keeps_the_contract_and_adds_compare(
    fake_url: str, fake_state: FakeState
) -> None:
    runner = CliRunner(env=env(fake_url))
    plain = runner.invoke(
        app, ["translate", "--to", "en", "--from", "es"], input='{"text": "hola, ¿qué tal?"}\n'
    )
    assert plain.exit_code == 0, plain.output
    [out] = [json.loads(x) for x in plain.stdout.splitlines()]
    assert set(out) == {"text", "engine", "status", "placeholders_ok"} and out["status"] == "ok"
    compared = runner.invoke(
        app,
        ["translate", "compare", "--to", "en", "--from", "es", "--engines", "deepl"],
        input='{"text": "hola, ¿qué tal?"}\n',
    )
    assert compared.exit_code == 0, compared.output
    [row] = [json.loads(x) for x in compared.stdout.splitlines() if x.startswith("{")]
    assert [r["engine"] for r in row["results"]] == ["deepl"]
    unknown = runner.invoke(
        app, ["translate", "compare", "--to", "en", "--engines", "google"], input="{}\n"
    )
    assert unknown.exit_code == 2 and "not configured: google" in unknown.output
    missing = runner.invoke(app, ["translate"], input="")
    assert missing.exit_code == 2


def test_prices_and_currency_from_the_environment() -> None:
    import pytest

    from crossdesk.errors import ConfigError
    from crossdesk.translation.factory import config_from_env

    config = config_from_env(
        {
            "CROSSDESK_TRANSLATION__ENGINES": "deepseek,deepl,local",
            "CROSSDESK_TRANSLATION__DEEPL__PRICE_PER_MILLION": "25",
            "CROSSDESK_TRANSLATION__DEEPSEEK__PRICE_PER_MILLION": "0.28",
            "CROSSDESK_TRANSLATION__LOCAL__KIND": "ollama",
            "CROSSDESK_TRANSLATION__CURRENCY": "cny",
        }
    )
    assert config.prices() == {"deepseek": 0.28, "deepl": 25.0}
    assert config.currency == "CNY"
    assert all("price_per_million" not in spec.options for spec in config.engines)
    with pytest.raises(ConfigError, match="PRICE_PER_MILLION must be a number"):
        config_from_env(
            {
                "CROSSDESK_TRANSLATION__ENGINES": "deepl",
                "CROSSDESK_TRANSLATION__DEEPL__PRICE_PER_MILLION": "cheap",
            }
        )
