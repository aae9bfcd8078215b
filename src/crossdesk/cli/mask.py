"""``crossdesk mask``: the masking engine on JSON Lines (stdin -> stdout).

    crossdesk mask detect [--region CC]
        {"text", "lang"?} -> {"entities": [{"type", "start", "end", "text"}]}
    crossdesk mask apply [--region CC]
        {"text", "lang"?} -> {"masked": "..."}

One output line per input line, in order. A line that is not a JSON object with a string
"text" gets ``{"error": "..."}`` in its place and the command exits with status 1 at the end.
A line may carry its own "region", which overrides ``--region``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Annotated, Any, TextIO

import typer

from crossdesk.masking import MaskingEngine

app = typer.Typer(
    name="mask",
    help="Detect and mask personal data in JSON Lines read from stdin.",
    no_args_is_help=True,
)

RegionOption = Annotated[
    str | None,
    typer.Option("--region", help="Region hint (ISO 3166-1 alpha-2, e.g. US, CN, BR)."),
]


def _run(
    region: str | None,
    handle: Callable[[MaskingEngine, str, str | None, str | None], dict[str, Any]],
    stdin: TextIO,
    stdout: TextIO,
) -> int:
    engine = MaskingEngine()
    failures = 0
    for line in stdin:
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                raise ValueError('expected a JSON object with a string "text"')
            lang = item.get("lang") if isinstance(item.get("lang"), str) else None
            line_region = item.get("region") if isinstance(item.get("region"), str) else region
            out = handle(engine, item["text"], line_region, lang)
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            failures += 1
            out = {"error": str(exc)}
        stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    stdout.flush()
    return 1 if failures else 0


def _detect(
    engine: MaskingEngine, text: str, region: str | None, lang: str | None
) -> dict[str, Any]:
    spans = engine.analyze(text, region=region, lang=lang)
    return {
        "entities": [
            {"type": s.type.value, "start": s.start, "end": s.end, "text": text[s.start : s.end]}
            for s in spans
        ]
    }


def _apply(
    engine: MaskingEngine, text: str, region: str | None, lang: str | None
) -> dict[str, Any]:
    return {"masked": engine.mask(text, region=region, lang=lang).text}


@app.command()
def detect(region: RegionOption = None) -> None:
    """Write the personal data found in each input line."""
    raise typer.Exit(_run(region, _detect, sys.stdin, sys.stdout))


@app.command()
def apply(region: RegionOption = None) -> None:
    """Write each input line's text masked with the default operators."""
    raise typer.Exit(_run(region, _apply, sys.stdin, sys.stdout))
