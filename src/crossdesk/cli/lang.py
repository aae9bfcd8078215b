"""``crossdesk lang``: language identification on JSON Lines (stdin -> stdout).

    crossdesk lang detect [--languages en,es,zh-Hans]   {"text", "current"?} -> {"lang", "score"}

``lang`` is ISO 639-1, ``zh-Hans``/``zh-Hant`` for Chinese, ``und`` when undecided; a line's
optional "current" is the conversation's language, kept when the text is too short to judge.
One output line per input line; a bad line gets ``{"error": ...}`` and the exit status is 1.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, TextIO

import typer

from crossdesk.translation.langid import LanguageDetector

app = typer.Typer(
    name="lang", help="Language identification for chat messages.", no_args_is_help=True
)


@app.callback()
def _group() -> None:
    """Language identification for chat messages."""


def run_detect(detector: LanguageDetector, stdin: TextIO, stdout: TextIO) -> int:
    """Detect each line of ``stdin``; returns the exit status."""
    failures = 0
    for line in stdin:
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                raise ValueError('expected a JSON object with a string "text"')
            current = item.get("current") if isinstance(item.get("current"), str) else None
            detection = detector.detect(item["text"], current=current)
            out: dict[str, object] = {"lang": detection.lang, "score": round(detection.score, 4)}
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            failures += 1
            out = {"error": str(exc)}
        stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    stdout.flush()
    return 1 if failures else 0


@app.command("detect")
def detect(
    languages: Annotated[
        str | None,
        typer.Option("--languages", help="Comma-separated languages the workspace serves."),
    ] = None,
) -> None:
    """Read {"text": ...} lines from stdin; write {"lang": ..., "score": ...} lines."""
    allowed = [c.strip() for c in languages.split(",") if c.strip()] if languages else None
    raise typer.Exit(run_detect(LanguageDetector(allowed), sys.stdin, sys.stdout))
