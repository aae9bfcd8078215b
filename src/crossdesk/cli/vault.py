"""``crossdesk vault``: rotate the master key, verify every record, make a key.

``rotate`` (key file mode) writes a new current key, keeps the old one as previous (so
running servers, which re-read the key file, open both), then re-wraps every record in
batches. It is resumable: an interrupted run leaves ``<key file>.rotation`` behind and the
next ``rotate`` continues from there instead of making another key. With
CROSSDESK_MASTER_KEY set, the operator changes the key (old one into
CROSSDESK_MASTER_KEY_PREVIOUS) and ``rotate`` re-wraps everything under it.

Exit codes: 0 all good; 1 some records do not open (each is named); 2 configuration.
"""

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from crossdesk.config import Settings, load_settings
from crossdesk.errors import CrossdeskError

app = typer.Typer(help="The vault: master key rotation and verification.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data directory (default: CROSSDESK_DATA_DIR or ./data)."),
]
Batch = Annotated[int | None, typer.Option(min=1, max=10_000, help="Records per transaction.")]
EXIT_BAD_RECORDS = 1
EXIT_CONFIG = 2


def _settings(data_dir: Path | None) -> Settings:
    overrides: dict[str, object] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    try:
        return load_settings(**overrides)
    except Exception as exc:  # pydantic ValidationError: show it, not a traceback
        err.print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(EXIT_CONFIG) from None


def _checkpoint_path(settings: Settings) -> Path:
    return settings.master_key_file.with_name(settings.master_key_file.name + ".rotation")


def _print_progress(progress: object) -> None:
    from crossdesk.actions.vault_rotation import Progress

    assert isinstance(progress, Progress)
    console.print(
        f"  {progress.column}: {progress.seen}/{progress.total} read, {progress.changed} done",
        highlight=False,
    )


def _start_rotation(settings: Settings) -> str:
    """Make the new key current (file mode) unless a rotation is pending; its key id."""
    from crossdesk.vault.keyring import KeyFile, KeySet, describe, generate_key, parse_key

    checkpoint = _checkpoint_path(settings)
    if settings.master_key is not None:
        current = parse_key(settings.master_key.get_secret_value(), source="CROSSDESK_MASTER_KEY")
        console.print(
            "CROSSDESK_MASTER_KEY is set: re-wrapping every record under it "
            f"(key {current.key_id.hex()}); older keys must be in CROSSDESK_MASTER_KEY_PREVIOUS."
        )
        return current.key_id.hex()
    key_file = KeyFile(settings.master_key_file)
    if not key_file.exists():
        raise CrossdeskError(f"no key file at {key_file.path}: nothing to rotate")
    keys = key_file.read()
    if checkpoint.exists():
        pending = json.loads(checkpoint.read_text())
        if pending.get("target") == keys.current.key_id.hex():
            console.print(f"resuming the rotation to key {pending['target']}")
            return str(pending["target"])
    new = KeySet(generate_key(), (keys.current, *keys.previous))
    key_file.write(new)
    console.print(f"[bold]new master key written to {key_file.path}[/bold] ({describe(new)})")
    console.print(
        "[yellow]back up the key file now; running servers pick it up within seconds[/yellow]"
    )
    return new.current.key_id.hex()


@app.command("rotate")
def rotate(
    data_dir: DataDir = None,
    batch: Batch = None,
    retire_previous: Annotated[
        bool,
        typer.Option(
            "--retire-previous",
            help="After a clean pass, drop previous keys from the key file.",
        ),
    ] = False,
) -> None:
    """Re-wrap every record's data key under a new master key, with servers running."""
    from crossdesk.actions.vault_rotation import Cursor, Progress, rotate_vault, verify_vault
    from crossdesk.services import build_services
    from crossdesk.vault.keyring import KeyFile, KeySet

    settings = _settings(data_dir)
    checkpoint = _checkpoint_path(settings)

    async def run(target: str) -> tuple[int, list[str], dict[str, int]]:
        services = build_services(settings)
        try:
            start = None
            if checkpoint.exists():
                saved = json.loads(checkpoint.read_text())
                if saved.get("target") == target and saved.get("column"):
                    start = Cursor(saved["column"], saved.get("after", ""))

            def save(progress: Progress) -> None:
                _print_progress(progress)
                state = {"target": target, **_cursor_json(progress.cursor)}
                checkpoint.write_text(json.dumps(state))

            checkpoint.write_text(json.dumps({"target": target}))
            report = await rotate_vault(services, batch=batch, start=start, progress=save)
            # Records re-sealed by servers during the pass, or skipped by a resumed run.
            sweep = await rotate_vault(services, batch=batch, progress=_print_progress)
            check = await verify_vault(services, batch=batch)
            return report.changed + sweep.changed, check.failures, check.by_key
        finally:
            await services.close()

    try:
        target = _start_rotation(settings)
        changed, failures, by_key = asyncio.run(run(target))
    except CrossdeskError as exc:
        err.print(f"[red]{exc.code}:[/red] {exc.message}")
        raise typer.Exit(EXIT_BAD_RECORDS) from None
    console.print(f"re-wrapped {changed} records; records per key: {by_key}")
    if failures:
        for line in failures:
            err.print(f"[red]bad record:[/red] {line}")
        err.print(f"{len(failures)} records do not open; keep the previous keys until fixed")
        raise typer.Exit(EXIT_BAD_RECORDS)
    checkpoint.unlink(missing_ok=True)
    stragglers = {k: n for k, n in by_key.items() if k != target}
    if stragglers:
        console.print(f"[yellow]still under older keys: {stragglers}; run rotate again[/yellow]")
        return
    console.print("[green]every record is under the current key[/green]")
    if retire_previous and settings.master_key is None:
        key_file = KeyFile(settings.master_key_file)
        keys = key_file.read()
        key_file.write(KeySet(keys.current))
        console.print(f"previous keys removed from {key_file.path}")
    elif retire_previous:
        console.print("unset CROSSDESK_MASTER_KEY_PREVIOUS on every server to retire old keys")
    if settings.vault.derived_key_fallback:
        console.print(
            "the key derived from the secret key is no longer needed: "
            "set CROSSDESK_VAULT__DERIVED_KEY_FALLBACK=false"
        )


def _cursor_json(cursor: object) -> dict[str, str]:
    from crossdesk.actions.vault_rotation import Cursor

    assert isinstance(cursor, Cursor)
    return {"column": cursor.column, "after": cursor.after}


@app.command("verify")
def verify(data_dir: DataDir = None, batch: Batch = None) -> None:
    """Open every sealed record; name each one that does not (wrong key, tampered, moved)."""
    from crossdesk.actions.vault_rotation import verify_vault
    from crossdesk.services import build_services

    settings = _settings(data_dir)

    async def run() -> tuple[int, int, list[str], dict[str, int]]:
        services = build_services(settings)
        try:
            report = await verify_vault(services, batch=batch, progress=_print_progress)
            return report.seen, report.changed, report.failures, report.by_key
        finally:
            await services.close()

    try:
        seen, opened, failures, by_key = asyncio.run(run())
    except CrossdeskError as exc:
        err.print(f"[red]{exc.code}:[/red] {exc.message}")
        raise typer.Exit(EXIT_CONFIG) from None
    console.print(f"{opened}/{seen} records open; records per master key: {by_key}")
    for line in failures:
        err.print(f"[red]bad record:[/red] {line}")
    if failures:
        raise typer.Exit(EXIT_BAD_RECORDS)


@app.command("new-key")
def new_key() -> None:
    """Print a fresh random master key (base64) for CROSSDESK_MASTER_KEY."""
    from crossdesk.vault.keyring import encode_key, generate_key

    console.print(encode_key(generate_key()), highlight=False, soft_wrap=True)
