"""``crossdesk risk``: check a rules file, replay rules over past events, store rules.

A workspace's rules are stored in the database (``risk_rule_set``; the shipped
``default_rules.toml`` applies until some are stored): ``crossdesk risk load FILE -w ID``
or ``PUT /api/v1/risk-rules/rules``. The live worker picks a change up on its next pass.
"""

from collections import Counter
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from crossdesk.config import Settings
from crossdesk.risk.rules import Firing, Rule, RuleFileError, RuleSet, load_rules_file
from crossdesk.risk.rules.engine import field_label

app = typer.Typer(help="Risk rules over the audit log.", no_args_is_help=True)
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
    from crossdesk.cli.main import _settings as main_settings

    return main_settings(data_dir)


def parse_when(text: str, *, option: str) -> datetime:
    """A date (midnight UTC) or an ISO date-time (UTC unless it names its offset)."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a date like 2026-11-01 or 2026-11-01T08:00", param_hint=option
        ) from None
    if len(text.strip()) == 10:
        value = datetime.combine(value.date(), time(0))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _load(path: Path) -> RuleSet:
    try:
        return load_rules_file(path)
    except RuleFileError as exc:
        for problem in exc.problems:
            err.print(f"[red]error:[/red] {problem}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def _condition(rule: Rule) -> str:
    if rule.new_value is not None:
        return f"new {field_label(rule.new_value)}"
    counted = f"distinct {rule.distinct}" if rule.distinct else "events"
    return f"{counted} {rule.threshold}"


def rules_table(rules: RuleSet) -> Table:
    table = Table("rule", "on", "events", "group by", "window", "fires when", "actions")
    for rule in rules.rules:
        table.add_row(
            rule.id,
            "yes" if rule.enabled else "no",
            ", ".join(rule.match.events),
            ", ".join(field_label(f) for f in rule.group_by),
            rule.window + ("" if rule.schedule == "any" else f" ({rule.schedule})"),
            _condition(rule),
            ", ".join(rule.actions),
        )
    return table


@app.command("check")
def check(path: Annotated[Path, typer.Argument(help="A rules file (TOML).")]) -> None:
    """Validate a rules file: every problem with its line, rule and field; exit 1 if any."""
    rules = _load(path)
    console.print(rules_table(rules))
    console.print(
        f"[green]ok[/green] {path}: {len(rules.rules)} rules, {len(rules.active)} enabled "
        f"(working hours {rules.working_hours.start}-{rules.working_hours.end} "
        f"{rules.working_hours.timezone})",
        highlight=False,
        soft_wrap=True,
    )


@app.command("replay")
def replay(
    since: Annotated[str, typer.Option("--since", help="Start: a date or ISO date-time (UTC).")],
    until: Annotated[
        str | None, typer.Option("--until", help="End (exclusive; default: now).")
    ] = None,
    rules_path: Annotated[
        Path | None,
        typer.Option("--rules", help="A rules file to try (default: each workspace's rules)."),
    ] = None,
    workspace: WorkspaceOption = None,
    limit: Annotated[int, typer.Option(help="Firings listed (the counts cover all).")] = 200,
    data_dir: DataDir = None,
) -> None:
    """Run the rules over past audit events and print what would have fired.

    Nothing is written: no alerts, no approvals, no locks, no audit events."""
    from sqlalchemy import select

    from crossdesk.actions.risk_actions import workspace_rules
    from crossdesk.cli.main import _run_action
    from crossdesk.db.models import Workspace
    from crossdesk.risk.rules.replay import ReplayResult
    from crossdesk.risk.rules.replay import replay as run_replay
    from crossdesk.services import build_services

    start = parse_when(since, option="--since")
    end = parse_when(until, option="--until") if until else datetime.now(UTC)
    if end <= start:
        raise typer.BadParameter("--until must be after --since", param_hint="--until")
    given = _load(rules_path) if rules_path else None

    async def run(settings: Settings) -> list[ReplayResult]:
        services = build_services(settings)
        results = []
        try:
            async with services.read_sessionmaker() as session:
                query = select(Workspace.id).order_by(Workspace.id)
                if workspace:
                    query = query.where(Workspace.id == workspace)
                workspaces = list(await session.scalars(query))
            if workspace and not workspaces:
                err.print(f"[red]no workspace {workspace}[/red]")
                raise typer.Exit(1)
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err,
                transient=True,
            ) as bar:
                for workspace_id in workspaces:
                    if given is None:
                        async with services.read_sessionmaker() as session:
                            rules = (await workspace_rules(session, workspace_id)).rules
                    else:
                        rules = given
                    task = bar.add_task(f"workspace {workspace_id[:8]}", total=None)

                    def total(n: int, task: TaskID = task) -> None:
                        bar.update(task, total=n)

                    def advance(n: int, task: TaskID = task) -> None:
                        bar.advance(task, n)

                    results.append(
                        await run_replay(
                            services.read_sessionmaker,
                            workspace_id,
                            rules,
                            start,
                            end,
                            on_total=total,
                            on_progress=advance,
                        )
                    )
        finally:
            await services.close()
        return results

    results = _run_action(run(_settings(data_dir)))
    firings = [f for r in results for f in r.firings]
    events = sum(r.events for r in results)
    _print_firings(firings[:limit])
    if len(firings) > limit:
        console.print(f"... and {len(firings) - limit} more (raise --limit)")
    counts: Counter[str] = Counter()
    for result in results:
        counts.update(result.per_rule)
    table = Table("rule", "would fire")
    for rule_id, count in sorted(counts.items()):
        table.add_row(rule_id, str(count))
    console.print(table)
    console.print(
        f"{len(firings)} firings over {events} events from {start.isoformat()} to "
        f"{end.isoformat()} in {len(results)} workspace(s); nothing was written",
        highlight=False,
        soft_wrap=True,
    )


def _print_firings(firings: list[Firing]) -> None:
    table = Table("at (UTC)", "workspace", "rule", "group", "value", "actions", "evidence")
    for f in firings:
        table.add_row(
            f.at.strftime("%Y-%m-%d %H:%M:%S"),
            (f.workspace_id or "")[:8],
            f.rule_id,
            f.group_label,
            str(f.value),
            ", ".join(f.actions),
            f"{len(f.evidence_ids)} events",
        )
    console.print(table)


@app.command("load")
def load(
    path: Annotated[Path, typer.Argument(help="A rules file (TOML).")],
    workspace: Annotated[str, typer.Option("--workspace", "-w", help="The workspace id.")],
    data_dir: DataDir = None,
) -> None:
    """Store a workspace's rules (validated, audited); the running worker reloads them."""
    from crossdesk.actions.risk_actions import store_rules
    from crossdesk.cli.main import _run_action
    from crossdesk.db.session import transaction
    from crossdesk.risk import audit
    from crossdesk.services import build_services

    _load(path)  # clear errors before touching the database
    text = path.read_text(encoding="utf-8")

    async def run(settings: Settings) -> int:
        services = build_services(settings)
        try:
            async with transaction(services.sessionmaker) as session:
                stored = await store_rules(
                    session, workspace, text, audit.Actor(None, None, "crossdesk-cli")
                )
                return stored.version
        finally:
            await services.close()

    version = _run_action(run(_settings(data_dir)))
    console.print(f"stored rules version {version} for workspace {workspace}")


@app.command("show")
def show(
    workspace: Annotated[str, typer.Option("--workspace", "-w", help="The workspace id.")],
    data_dir: DataDir = None,
) -> None:
    """Print the rules a workspace runs (stored, or the shipped defaults)."""
    from crossdesk.actions.risk_actions import workspace_rules
    from crossdesk.cli.main import _run_action
    from crossdesk.risk.rules import default_rules_text
    from crossdesk.services import build_services

    async def run(settings: Settings) -> tuple[str, int]:
        services = build_services(settings)
        try:
            async with services.read_sessionmaker() as session:
                stored = await workspace_rules(session, workspace)
        finally:
            await services.close()
        return stored.text or default_rules_text(), stored.version

    text, version = _run_action(run(_settings(data_dir)))
    origin = f"stored version {version}" if version else "shipped defaults"
    err.print(f"# rules of workspace {workspace}: {origin}")
    console.print(text, markup=False, highlight=False, soft_wrap=True)
