"""``crossdesk guard``: the guard engine on JSON Lines (a stable contract used to evaluate it).

``crossdesk guard scan --dict FILE [--allow FILE] [--lang-packs]`` reads ``{"text": ...}`` lines
on stdin and writes one ``{"matches": [{"term", "category", "start", "end", "matched"}]}`` line
per input, offsets being Python str indexes into the original text.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from crossdesk.errors import InvalidInput
from crossdesk.guard import (
    Guard,
    GuardResult,
    Lexicon,
    load_lexicon,
    read_phrases,
    starter_packs,
)

app = typer.Typer(help="Sensitive-word guard: scan text against word lists.", no_args_is_help=True)

PROGRESS_EVERY = 1000
BATCH = 256  # lines scanned together when stdin is a file


@app.callback()
def _group() -> None:
    """Sensitive-word guard commands."""


def build_guard(dict_path: Path, allow_path: Path | None, lang_packs: bool) -> Guard:
    """Build the guard the ``scan`` command uses (also handy for scripts and benchmarks)."""
    lexicons: list[Lexicon] = [load_lexicon(dict_path, name="dict")]
    if lang_packs:
        lexicons.extend(starter_packs())
    allow = read_phrases(allow_path) if allow_path else []
    return Guard(lexicons, allow=allow)


def matches(guard: Guard, text: str) -> list[dict[str, Any]]:  # Any: JSON values
    """The contract's match objects for ``text``; a term found by two lists is reported once."""
    return _records(guard.scan(text))


def _records(result: GuardResult) -> list[dict[str, Any]]:  # Any: JSON values
    seen: set[tuple[str, int, int]] = set()
    out: list[dict[str, Any]] = []
    for h in result.hits:
        if (h.term, h.start, h.end) in seen:
            continue
        seen.add((h.term, h.start, h.end))
        out.append(
            {"term": h.term, "category": str(h.category), "start": h.start, "end": h.end,
             "matched": h.matched}
        )  # fmt: skip
    return out


def scan_lines(
    guard: Guard, lines: TextIO, out: TextIO, progress: TextIO | None = None, batch: int = 1
) -> int:
    """Scan JSON Lines from ``lines`` into ``out``; returns the number of lines scanned.

    ``batch`` lines are read before their answers are written (through :meth:`Guard.scan_many`);
    keep 1 when a caller waits for each answer before writing the next line.
    """
    count = 0
    pending: list[tuple[str | None, str]] = []  # (text, or None and the error)

    def flush() -> None:
        texts = [text for text, _ in pending if text is not None]
        results = iter(guard.scan_many(texts) if len(texts) > 1 else map(guard.scan, texts))
        for text, error in pending:
            record: dict[str, Any]  # Any: JSON values
            if text is None:
                record = {"matches": [], "error": error}
            else:
                record = {"matches": _records(next(results))}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        pending.clear()
        out.flush()

    for raw in lines:
        if not raw.strip():
            continue
        count += 1
        try:
            data = json.loads(raw)
            text = data["text"] if isinstance(data, dict) else None
            if not isinstance(text, str):
                raise ValueError("each line must be an object with a string 'text'")
        except (ValueError, KeyError) as exc:
            pending.append((None, f"line {count}: {exc}"))
        else:
            pending.append((text, ""))
        if len(pending) >= batch:
            flush()
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress.write(f"\rscanned {count} lines")
            progress.flush()
    flush()
    if progress is not None and count >= PROGRESS_EVERY:
        progress.write(f"\rscanned {count} lines\n")
    return count


@app.command()
def scan(
    dict_file: Annotated[
        Path,
        typer.Option("--dict", help="Deny terms: one per line, '#' comments, term<TAB>category."),
    ],
    allow_file: Annotated[
        Path | None, typer.Option("--allow", help="Allow-phrases that shadow terms inside them.")
    ] = None,
    lang_packs: Annotated[
        bool, typer.Option("--lang-packs", help="Also load the shipped starter packs.")
    ] = False,
) -> None:
    """Read {"text": ...} JSON Lines on stdin, write {"matches": [...]} JSON Lines on stdout."""
    try:
        guard = build_guard(dict_file, allow_file, lang_packs)
    except InvalidInput as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from exc
    progress = sys.stderr if sys.stderr.isatty() else None
    # a file on stdin is read in batches; a pipe gets each answer as soon as its line arrives
    # (a caller may wait for it before writing the next line)
    scan_lines(guard, sys.stdin, sys.stdout, progress, batch=BATCH if _is_file(sys.stdin) else 1)


def _is_file(stream: TextIO) -> bool:
    try:
        return stream.seekable()
    except (OSError, ValueError):
        return False


if __name__ == "__main__":
    app()
