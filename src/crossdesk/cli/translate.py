"""``crossdesk translate``: the translation router on JSON Lines (stdin -> stdout).

    crossdesk translate --to LANG [--from LANG] [--engine NAME]
        {"text"} -> {"text", "engine", "status", "placeholders_ok"} (+ "reason" unless ok)

Engines come from ``CROSSDESK_TRANSLATION__*`` environment variables (docs/translation.md);
``--engine`` uses that one engine alone (its options from the same variables). With no engine
configured every line comes back unchanged with status "unavailable": never a fake translation.
Register with ``app.add_typer(translate_app, name="translate")`` (or, the plain command
alone, ``app.command("translate")(translate_command)``).

    crossdesk translate compare --to LANG [--from LANG] [--engines a,b]
        {"text"} -> {"text", "results": [{"engine", "text", "status", "placeholders_ok", "ms"}]}

runs each line through every named engine on its own, side by side (personal data masked
first, as everywhere).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable, Mapping
from typing import Annotated, TextIO

import httpx
import typer
from rich.console import Console
from rich.progress import MofNCompleteColumn, Progress, TextColumn

from crossdesk.errors import ConfigError
from crossdesk.masking import MaskingEngine
from crossdesk.pipeline.engines import MaskingAdapter
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


async def run_compare(
    environ: Mapping[str, str],
    target: str,
    source: str | None,
    engines: list[str] | None,
    stdin: TextIO,
    stdout: TextIO,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Each ``{"text"}`` line through every named engine on its own (default: all configured):
    ``{"text", "results": [{"engine", "text", "status", "placeholders_ok", "ms"} ...]}``.

    Personal data is masked before any engine sees it (as in the product); the output shows
    the masks. Returns the exit status (1 when a line was unreadable).
    """
    config = config_from_env(environ)
    if not config.engines:
        raise ConfigError("no engine is configured (CROSSDESK_TRANSLATION__ENGINES)")
    masker = MaskingAdapter(MaskingEngine())
    failures = 0
    done = 0
    async with httpx.AsyncClient(timeout=config.timeout) as client:
        router = build_router(config, client)
        names = engines or list(router.engines)
        unknown = [name for name in names if name not in router.engines]
        if unknown:
            raise ConfigError(
                f"not configured: {', '.join(unknown)} (configured: {', '.join(router.engines)})"
            )
        for line in stdin:
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                    raise ValueError('expected a JSON object with a string "text"')
            except ValueError as exc:
                failures += 1
                stdout.write(json.dumps({"error": str(exc)}) + "\n")
                continue
            masked = masker.mask(item["text"], None)
            request = TranslationRequest(masked.engine_text, target=target, source=source)
            results = []
            for timed in await router.compare(request, names):
                text = timed.result.text
                for token, mask in masked.token_masks.items():
                    text = text.replace(token, mask)
                out: dict[str, object] = {
                    "engine": timed.result.engine,
                    "text": text,
                    "status": str(timed.result.status),
                    "placeholders_ok": timed.result.placeholders_ok,
                    "ms": round(timed.milliseconds, 1),
                }
                if timed.result.reason and not timed.result.ok:
                    out["reason"] = timed.result.reason
                results.append(out)
            record = {"text": masked.masked_text, "results": results}
            stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
            done += 1
            if progress is not None:
                progress(done)
    stdout.flush()
    return 1 if failures else 0


def compare_command(
    to: Annotated[str, typer.Option("--to", help="Target language (en, es, zh-Hans ...).")],
    from_: Annotated[
        str | None, typer.Option("--from", help="Source language (default: detect).")
    ] = None,
    engines: Annotated[
        str | None,
        typer.Option("--engines", help="Comma-separated engine names (default: all configured)."),
    ] = None,
) -> None:
    """Run each {"text": ...} line through several engines; write their answers side by side."""
    names = [n.strip() for n in engines.split(",") if n.strip()] if engines else None
    err = Console(stderr=True)
    try:
        with Progress(TextColumn("compared"), MofNCompleteColumn(), console=err) as bar:
            task = bar.add_task("compare", total=None)
            status = asyncio.run(
                run_compare(
                    os.environ,
                    to,
                    from_,
                    names,
                    sys.stdin,
                    sys.stdout,
                    lambda n: bar.update(task, completed=n),
                )
            )
    except (ConfigError, ValueError) as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(status)


translate_app = typer.Typer(
    invoke_without_command=True,
    no_args_is_help=False,
    help='Translate {"text": ...} JSON Lines from stdin (or `compare` engines side by side).',
)


@translate_app.callback()
def translate_group(
    ctx: typer.Context,
    to: Annotated[
        str | None, typer.Option("--to", help="Target language (en, es, zh-Hans ...).")
    ] = None,
    from_: Annotated[
        str | None, typer.Option("--from", help="Source language (default: detect).")
    ] = None,
    engine: Annotated[
        str | None,
        typer.Option("--engine", help="Use only this configured engine (or 'null')."),
    ] = None,
) -> None:
    """`crossdesk translate --to LANG` (the stable contract) or `crossdesk translate compare`."""
    if ctx.invoked_subcommand is not None:
        return
    if not to:
        typer.echo("Missing option '--to'.", err=True)
        raise typer.Exit(2)
    translate_command(to, from_, engine)


translate_app.command("compare")(compare_command)
