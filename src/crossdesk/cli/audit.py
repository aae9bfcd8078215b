"""``crossdesk audit``: verify the tamper-evident log, checkpoint it, export it signed."""

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from crossdesk.config import Settings

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data directory (default: CROSSDESK_DATA_DIR or ./data)."),
]
WorkspaceOption = Annotated[
    str | None, typer.Option("--workspace", "-w", help="One workspace id (default: all).")
]


def _settings(data_dir: Path | None) -> Settings:
    # Imported here: crossdesk.cli.main imports this module to register it.
    from crossdesk.cli.main import _settings as main_settings

    return main_settings(data_dir)


@app.command("verify")
def verify(workspace: WorkspaceOption = None, data_dir: DataDir = None) -> None:
    """Check every event's hash and link, and the chain against the signed checkpoints.

    Names the first bad event of each workspace (edited, deleted, inserted, reordered)
    and exits with 1 when anything is wrong."""
    from crossdesk.cli.main import _run_action
    from crossdesk.risk.checkpoints import Verification, verify_all
    from crossdesk.services import build_services

    async def run(settings: Settings) -> tuple[list[Verification], list[str]]:
        services = build_services(settings)
        try:
            return await verify_all(services, workspace)
        finally:
            await services.close()

    results, file_problems = _run_action(run(_settings(data_dir)))
    bad = bool(file_problems)
    for problem in file_problems:
        console.print(f"[red]checkpoint file:[/red] {problem}")
    for result in results:
        if result.problem is None:
            console.print(
                f"[green]ok[/green] {result.workspace_id}: {result.events} events, "
                f"{result.checkpoints} checkpoints"
            )
            continue
        bad = True
        console.print(
            f"[red]TAMPERED[/red] {result.workspace_id}: first bad event is "
            f"#{result.problem.seq}: {result.problem.reason}"
        )
    if not results:
        console.print("no workspaces")
    if bad:
        raise typer.Exit(1)


@app.command("checkpoint")
def checkpoint(workspace: WorkspaceOption = None, data_dir: DataDir = None) -> None:
    """Append a signed checkpoint of each chain head that moved (the server does this
    every few minutes; run it from cron when no server runs)."""
    from crossdesk.cli.main import _run_action
    from crossdesk.risk.checkpoints import Checkpoint, write_checkpoints
    from crossdesk.services import build_services

    async def run(settings: Settings) -> list[Checkpoint]:
        services = build_services(settings)
        try:
            return await write_checkpoints(services, workspace)
        finally:
            await services.close()

    written = _run_action(run(_settings(data_dir)))
    for item in written:
        console.print(f"{item.workspace_id}: event {item.seq} {item.head[:16]}…")
    console.print(f"{len(written)} checkpoint(s) written")


@app.command("export")
def export(
    workspace: Annotated[str, typer.Option("--workspace", "-w", help="Workspace id.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file (JSON Lines).")],
    since: Annotated[
        datetime | None, typer.Option(help="Only events at or after this time (UTC).")
    ] = None,
    until: Annotated[
        datetime | None, typer.Option(help="Only events before this time (UTC).")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Write a signed JSON Lines export for an outside auditor (itself audited)."""
    from datetime import UTC

    from crossdesk.cli.main import _run_action
    from crossdesk.risk import audit
    from crossdesk.risk.export import ExportSummary, export_audit
    from crossdesk.services import build_services

    def aware(value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=UTC) if value and value.tzinfo is None else value

    async def run(settings: Settings) -> ExportSummary:
        services = build_services(settings)
        try:
            with (
                out.open("w", encoding="utf-8") as handle,
                Progress(
                    TextColumn("exporting"), BarColumn(), MofNCompleteColumn(), console=err
                ) as bar,
            ):
                task = bar.add_task("export", total=None)

                def progress(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                return await export_audit(
                    services,
                    workspace,
                    handle,
                    audit.Actor(None, None, "crossdesk-cli"),
                    since=aware(since),
                    until=aware(until),
                    progress=progress,
                )
        finally:
            await services.close()

    summary = _run_action(run(_settings(data_dir)))
    console.print(f"{summary.events} events written to {out}")
    console.print(f"sha256 {summary.sha256}")
    console.print(f"signed with public key {summary.public_key}")


@app.command("verify-export")
def verify_export_command(
    path: Annotated[Path, typer.Argument(help="An export file.", exists=True, dir_okay=False)],
    public_key: Annotated[
        str | None, typer.Option(help="The installation's public key (base64) to require.")
    ] = None,
) -> None:
    """Check an export's signature and the chain inside it (needs no database)."""
    from crossdesk.risk.export import verify_export

    problems = verify_export(path, public_key)
    for problem in problems:
        console.print(f"[red]{problem}[/red]")
    if problems:
        raise typer.Exit(1)
    console.print("[green]the export is intact and correctly signed[/green]")


@app.command("public-key")
def public_key(data_dir: DataDir = None) -> None:
    """Print the public key that signs exports (give it to your auditor once)."""
    from crossdesk.risk.export import public_key_text, signing_key

    key = signing_key(_settings(data_dir).resolved_secret_key())
    console.print(public_key_text(key.public_key()))
