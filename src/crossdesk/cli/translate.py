"""``crossdesk translate``: the translation router on JSON Lines (stdin -> stdout).

    crossdesk translate --to LANG [--from LANG] [--engine NAME]
        {"text"} -> {"text", "engine", "status", "placeholders_ok"} (+ "reason" unless ok)

Engines come from ``CROSSDESK_TRANSLATION__*`` environment variables (docs/translation.md);
``--engine`` uses that one engine alone (its options from the same variables). With no engine
configured every line comes back unchanged with status "unavailable": never a fake translation.
Register with ``app.command("translate")(translate_command)``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Mapping
from typing import Annotated, TextIO

import httpx
import typer

from crossdesk.errors import ConfigError
from crossdesk.translation import TranslationRequest, Translator, build_router, config_from_env
from crossdesk.translation.factory import PREFIX
from crossdesk.translation.providers.null import NullTranslator

BATCH = 32


def _config_env(environ: Mapping[str, str], engine: str | None) -> dict[str, str]:
    env = dict(environ)
    if engine:
        env[f"{PREFIX}ENGINES"] = engine
        env.pop(f"{PREFIX}ROUTES", None)
    return env


async def run_translate(
    environ: Mapping[str, str],
    target: str,
    source: str | None,
    engine: str | None,
    stdin: TextIO,
    stdout: TextIO,
) -> int:
    """Translate each line of ``stdin``; returns the exit status."""
    config = config_from_env(_config_env(environ, engine))
    failures = 0
    async with httpx.AsyncClient(timeout=config.timeout) as client:
        translator: Translator = (
            NullTranslator()
            if engine == "null" or not config.engines
            else build_router(config, client)
        )
        pending: list[TranslationRequest | str] = []

        async def flush() -> None:
            requests = [p for p in pending if isinstance(p, TranslationRequest)]
            results = iter(await translator.translate(requests))
            for item in pending:
                if isinstance(item, str):
                    stdout.write(json.dumps({"error": item}) + "\n")
                    continue
                result = next(results)
                out: dict[str, object] = {
                    "text": result.text,
                    "engine": result.engine,
                    "status": str(result.status),
                    "placeholders_ok": result.placeholders_ok,
                }
                if result.reason and not result.ok:
                    out["reason"] = result.reason
                stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
            pending.clear()

        for line in stdin:
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                    raise ValueError('expected a JSON object with a string "text"')
                pending.append(TranslationRequest(item["text"], target=target, source=source))
            except ValueError as exc:
                failures += 1
                pending.append(str(exc))
            if len(pending) >= BATCH:
                await flush()
        await flush()
    stdout.flush()
    return 1 if failures else 0


def translate_command(
    to: Annotated[str, typer.Option("--to", help="Target language (en, es, zh-Hans ...).")],
    from_: Annotated[
        str | None, typer.Option("--from", help="Source language (default: detect).")
    ] = None,
    engine: Annotated[
        str | None,
        typer.Option("--engine", help="Use only this configured engine (or 'null')."),
    ] = None,
) -> None:
    """Translate {"text": ...} lines from stdin into --to; write one result line each."""
    try:
        status = asyncio.run(run_translate(os.environ, to, from_, engine, sys.stdin, sys.stdout))
    except (ConfigError, ValueError) as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(status)
