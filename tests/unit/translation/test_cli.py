from __future__ import annotations

import io
import json

import typer
from tests.fakes.translation import engines as fake
from tests.fakes.translation.engines import FakeState
from typer.testing import CliRunner

from crossdesk.cli.lang import app as lang_app
from crossdesk.cli.lang import run_detect
from crossdesk.cli.translate import run_translate, translate_command
from crossdesk.translation import LanguageDetector


def lines(out: str) -> list[dict[str, object]]:
    return [json.loads(x) for x in out.splitlines()]


def test_lang_detect_contract() -> None:
    stdin = io.StringIO('{"text": "hola buenas"}\n{"text": "运费"}\n{"text": "ok"}\nnot json\n')
    stdout = io.StringIO()
    assert run_detect(LanguageDetector(), stdin, stdout) == 1
    out = lines(stdout.getvalue())
    assert out[0]["lang"] == "es" and 0 < float(out[0]["score"]) <= 1  # type: ignore[arg-type]
    assert out[1]["lang"] == "zh-Hans"
    assert out[2] == {"lang": "und", "score": 0.0}
    assert "error" in out[3]


def test_lang_app_runs_through_typer() -> None:
    result = CliRunner().invoke(lang_app, ["detect"], input='{"text": "merci beaucoup"}\n')
    assert result.exit_code == 0 and lines(result.stdout) == [
        {"lang": "fr", "score": lines(result.stdout)[0]["score"]}
    ]


async def test_translate_without_engines_is_honestly_unavailable() -> None:
    stdout = io.StringIO()
    status = await run_translate(
        {}, "zh-Hans", "es", None, io.StringIO('{"text": "hola"}\n'), stdout
    )
    [out] = lines(stdout.getvalue())
    assert status == 0
    assert out == {
        "text": "hola",
        "engine": "null",
        "status": "unavailable",
        "placeholders_ok": True,
        "reason": "not translated: no engine for es→zh-Hans",
    }


async def test_translate_with_env_configured_engine(fake_url: str, fake_state: FakeState) -> None:
    env = {
        "CROSSDESK_TRANSLATION__ENGINES": "deepseek,deepl",
        "CROSSDESK_TRANSLATION__DEEPSEEK__API_KEY": fake.OPENAI_KEY,
        "CROSSDESK_TRANSLATION__DEEPSEEK__BASE_URL": f"{fake_url}/openai/v1",
        "CROSSDESK_TRANSLATION__DEEPL__API_KEY": fake.DEEPL_KEY,
        "CROSSDESK_TRANSLATION__DEEPL__BASE_URL": f"{fake_url}/deepl",
    }
    stdin = io.StringIO('{"text": "mi pedido #5583920147 no llegó"}\n')
    stdout = io.StringIO()
    assert await run_translate(env, "en", "es", "deepl", stdin, stdout) == 0
    [out] = lines(stdout.getvalue())
    assert out["engine"] == "deepl" and out["status"] == "ok" and out["placeholders_ok"]
    assert "#5583920147" in str(out["text"]) and fake_state.calls("openai") == 0


def test_translate_command_registers_on_a_typer_app() -> None:
    app = typer.Typer()
    app.command("translate")(translate_command)
    app.command("other")(lambda: None)
    result = CliRunner(env={"CROSSDESK_TRANSLATION__ENGINES": ""}).invoke(
        app, ["translate", "--to", "en", "--from", "es"], input='{"text": "hola"}\n'
    )
    assert result.exit_code == 0, result.output
    assert lines(result.stdout)[0]["status"] == "unavailable"
    bad = CliRunner().invoke(
        app,
        ["translate", "--to", "en"],
        input='{"text": "hola"}\n',
        env={"CROSSDESK_TRANSLATION__ENGINES": "nope"},
    )
    assert bad.exit_code == 2 and "unknown kind" in bad.output
