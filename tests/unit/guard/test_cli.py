"""The ``crossdesk guard scan`` JSON Lines contract."""

from __future__ import annotations

import io
import json
from pathlib import Path

from typer.testing import CliRunner

from crossdesk.cli.guard import app, build_guard, scan_lines


def test_scan_contract(tmp_path: Path) -> None:
    words = tmp_path / "dict.txt"
    words.write_text("# deny\n微信\tdiversion\nfuck\n", encoding="utf-8")
    allow = tmp_path / "allow.txt"
    allow.write_text("微信支付\n", encoding="utf-8")
    lines = [{"text": "加我V信"}, {"text": "用微信支付"}, {"text": "f u c k, call 13800138000"}]
    stdin = "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines) + "oops\n"
    result = CliRunner().invoke(
        app, ["scan", "--dict", str(words), "--allow", str(allow)], input=stdin
    )
    assert result.exit_code == 0, result.output
    out = [json.loads(x) for x in result.stdout.splitlines()]
    assert out[0] == {
        "matches": [
            {"term": "微信", "category": "diversion", "start": 2, "end": 4, "matched": "V信"}
        ]
    }
    assert out[1] == {"matches": []}
    assert [(m["term"], m["matched"]) for m in out[2]["matches"]] == [
        ("fuck", "f u c k"),
        ("<PHONE>", "13800138000"),
    ]
    assert out[3]["matches"] == [] and "error" in out[3]


def test_bad_dictionary_exits_2(tmp_path: Path) -> None:
    words = tmp_path / "dict.txt"
    words.write_text("ok\n\tabuse\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["scan", "--dict", str(words)], input="")
    assert result.exit_code == 2
    assert "dict.txt:2" in result.output


def test_batched_scan_lines_match_line_by_line(tmp_path: Path) -> None:
    words = tmp_path / "dict.txt"
    words.write_text("微信\tdiversion\nwhatsapp\nсука\n", encoding="utf-8")
    guard = build_guard(words, None, lang_packs=False)
    texts = ["加我V信", "hello", "", "w h a t s a p p", "ты сука", "call 13800138000", "ok"] * 7
    stdin = "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts)
    stdin += "not json\n"
    one, many = io.StringIO(), io.StringIO()
    assert scan_lines(guard, io.StringIO(stdin), one) == len(texts) + 1
    assert scan_lines(guard, io.StringIO(stdin), many, batch=16) == len(texts) + 1
    assert one.getvalue() == many.getvalue()
