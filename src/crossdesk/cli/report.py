"""``crossdesk report export``: a team report as CSV, for the whole workspace (audited)."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from crossdesk.config import Settings

app = typer.Typer(help="Team reports (agents, accounts, leads).", no_args_is_help=True)
console = Console()
err = Console(stderr=True)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data directory (default: CROSSDESK_DATA_DIR or ./data)."),
]


def _settings(data_dir: Path | None) -> Settings:
    # Imported here: crossdesk.cli.main imports this module to register it.
    from crossdesk.cli.main import _settings as main_settings

    return main_settings(data_dir)


@app.command("export")
def export(
    kind: Annotated[str, typer.Option("--kind", help="agents, accounts or leads.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output CSV file.")],
    since: Annotated[
        str | None, typer.Option(help="First day, YYYY-MM-DD (UTC; default: 7 days ago).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Last day, YYYY-MM-DD (default: today).")
    ] = None,
    workspace: Annotated[
        str | None,
        typer.Option("--workspace", "-w", help="Workspace id (default: the only one)."),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Write one report for the whole workspace as CSV; the export is audited."""
    from sqlalchemy import select

    from crossdesk.actions.reports import csv_lines, export_report
    from crossdesk.cli.main import _run_action
    from crossdesk.db.models import Workspace
    from crossdesk.errors import InvalidInput
    from crossdesk.risk import audit
    from crossdesk.risk.periods import choose_period, parse_day
    from crossdesk.risk.reports import KINDS, ReportScope
    from crossdesk.services import build_services

    if kind not in KINDS:
        err.print("[red]--kind must be agents, accounts or leads[/red]")
        raise typer.Exit(2)

    async def run(settings: Settings) -> int:
        period = choose_period(None, parse_day(since, "--since"), parse_day(until, "--until"))
        services = build_services(settings)
        try:
            workspace_id = workspace
            if workspace_id is None:
                async with services.read_sessionmaker() as session:
                    ids = (await session.scalars(select(Workspace.id).limit(2))).all()
                if len(ids) != 1:
                    raise InvalidInput("several workspaces: choose one with --workspace")
                workspace_id = ids[0]
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=err,
            ) as bar:
                task = bar.add_task(f"{kind} report", total=None)
                rows = await export_report(
                    services,
                    ReportScope(workspace_id, None),
                    kind,
                    period,
                    audit.Actor(None, None, "crossdesk-cli"),
                    progress=lambda label: bar.update(task, description=f"{kind}: {label}"),
                )
                bar.update(task, description=f"{kind}: writing", total=len(rows), completed=0)
                with out.open("w", encoding="utf-8", newline="") as handle:
                    for done, line in enumerate(csv_lines(rows), start=1):
                        handle.write(line)
                        bar.update(task, completed=done)
            return len(rows) - 1
        finally:
            await services.close()

    count = _run_action(run(_settings(data_dir)))
    console.print(f"{count} rows written to {out}")
