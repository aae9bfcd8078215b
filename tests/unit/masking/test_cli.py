"""``crossdesk mask detect|apply`` on JSON Lines (the evaluation contract)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from crossdesk.cli.mask import app

RUNNER = CliRunner()


def _lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_detect_writes_entities_with_offsets() -> None:
    stdin = "\n".join(
        [
            json.dumps({"text": "电话137 5098 6816，谢谢", "lang": "zh"}, ensure_ascii=False),
            json.dumps({"text": "order #1047 please"}),
        ]
    )
    result = RUNNER.invoke(app, ["detect"], input=stdin + "\n")
    assert result.exit_code == 0
    assert _lines(result.output) == [
        {"entities": [{"type": "PHONE", "start": 2, "end": 15, "text": "137 5098 6816"}]},
        {"entities": []},
    ]


def test_detect_uses_the_region_hint() -> None:
    stdin = json.dumps({"text": "bel 0201234567"}) + "\n"
    result = RUNNER.invoke(app, ["detect", "--region", "NL"], input=stdin)
    assert _lines(result.output)[0]["entities"] == [
        {"type": "PHONE", "start": 4, "end": 14, "text": "0201234567"}
    ]


def test_apply_writes_masked_text() -> None:
    stdin = json.dumps({"text": "card 4242 4242 4242 4242, mail jo@gmail.com"}) + "\n"
    result = RUNNER.invoke(app, ["apply"], input=stdin)
    assert result.exit_code == 0
    assert _lines(result.output) == [{"masked": "card **** **** **** 4242, mail j***@gmail.com"}]


def test_bad_lines_are_reported_in_place_and_fail_the_run() -> None:
    stdin = 'not json\n{"text": 3}\n{"text": "ok"}\n'
    result = RUNNER.invoke(app, ["detect"], input=stdin)
    lines = _lines(result.output)
    assert result.exit_code == 1
    assert "error" in lines[0] and "error" in lines[1]
    assert lines[2] == {"entities": []}
