"""Typer application. Thin: parse, build settings, call actions, print."""

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from crossdesk.cli import audit as audit_cli
from crossdesk.cli import channels as channels_cli
from crossdesk.cli import guard as guard_cli
from crossdesk.cli import lang as lang_cli
from crossdesk.cli import launcher as launcher_cli
from crossdesk.cli import mask as mask_cli
from crossdesk.cli import report as report_cli
from crossdesk.cli import risk as risk_cli
from crossdesk.cli import telegram_user as telegram_user_cli
from crossdesk.cli import vault as vault_cli
from crossdesk.cli.translate import translate_app
from crossdesk.config import Settings, load_settings
from crossdesk.domain import ChannelKind, Role

app = typer.Typer(
    help="crossdesk: one inbox for every platform account, translated, guarded and masked.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="People who log in.", no_args_is_help=True)
workspace_app = typer.Typer(help="Workspaces (one per company).", no_args_is_help=True)
account_app = typer.Typer(help="Platform accounts (channels).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(workspace_app, name="workspace")
app.add_typer(account_app, name="account")
account_app.command("telegram-login")(telegram_user_cli.login_command)
app.add_typer(audit_cli.app, name="audit")
app.add_typer(channels_cli.app, name="channels")
app.add_typer(guard_cli.app, name="guard")
app.add_typer(lang_cli.app, name="lang")
app.add_typer(mask_cli.app, name="mask")
app.add_typer(report_cli.app, name="report")
app.add_typer(risk_cli.app, name="risk")
app.add_typer(vault_cli.app, name="vault")
app.add_typer(launcher_cli.session_app, name="session")
app.command("open")(launcher_cli.open_command)
app.add_typer(translate_app, name="translate")

T = TypeVar("T")
console = Console()
err = Console(stderr=True)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data directory (default: CROSSDESK_DATA_DIR or ./data)."),
]
Host = Annotated[str, typer.Option(help="Interface to listen on.")]
Port = Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")]


def _settings(data_dir: Path | None, **overrides: object) -> Settings:
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    try:
        settings = load_settings(**overrides)
    except Exception as exc:  # pydantic ValidationError: show it, not a traceback
        err.print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(2) from None
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings


def _setup_logging(level: str = "INFO") -> None:
    from crossdesk.logging import setup_logging

    setup_logging(level)


@db_app.command("upgrade")
def db_upgrade(data_dir: DataDir = None) -> None:
    """Create or migrate the database to the latest schema."""
    from crossdesk.db.migrate import upgrade

    settings = _settings(data_dir)
    upgrade(settings.resolved_database_url)
    console.print("[green]database is up to date[/green]")


@workspace_app.command("create")
def workspace_create(
    name: Annotated[str, typer.Argument(help="The company's name.")],
    language: Annotated[
        str, typer.Option(help="Default agent language, e.g. zh-Hans or en.")
    ] = "en",
    data_dir: DataDir = None,
) -> None:
    """Create a workspace and print its id."""
    from crossdesk.actions.identity import create_workspace

    async def run(settings: Settings) -> str:
        from crossdesk.db.session import transaction
        from crossdesk.services import build_services

        services = build_services(settings)
        try:
            async with transaction(services.sessionmaker) as session:
                workspace = await create_workspace(session, name, default_language=language)
            return workspace.id
        finally:
            await services.close()

    workspace_id = _run_action(run(_settings(data_dir)))
    console.print(workspace_id)


@user_app.command("add")
def user_add(
    email: Annotated[str, typer.Argument(help="Login email.")],
    workspace: Annotated[str, typer.Option("--workspace", "-w", help="Workspace id.")],
    role: Annotated[Role, typer.Option(help="Role.")] = Role.AGENT,
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    language: Annotated[str, typer.Option(help="UI and reading language (en, zh-Hans).")] = "en",
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="Password.")
    ] = "",
    data_dir: DataDir = None,
) -> None:
    """Add a user to a workspace."""
    from crossdesk.actions.identity import create_user

    async def run(settings: Settings) -> str:
        from crossdesk.db.session import transaction
        from crossdesk.services import build_services

        services = build_services(settings)
        try:
            async with transaction(services.sessionmaker) as session:
                user = await create_user(
                    session,
                    workspace,
                    email=email,
                    display_name=name or email,
                    password=password,
                    role=role,
                    language=language,
                )
            return user.id
        finally:
            await services.close()

    console.print(_run_action(run(_settings(data_dir))))


@user_app.command("list")
def user_list(data_dir: DataDir = None) -> None:
    """List users of every workspace."""
    from sqlalchemy import select

    from crossdesk.db.models import User

    async def run(settings: Settings) -> list[User]:
        from crossdesk.services import build_services

        services = build_services(settings)
        try:
            async with services.sessionmaker() as session:
                return list((await session.scalars(select(User).order_by(User.email))).all())
        finally:
            await services.close()

    users = _run_action(run(_settings(data_dir)))
    table = Table("email", "name", "role", "language", "workspace", "status")
    for user in users:
        status = "disabled" if user.disabled else "active"
        table.add_row(
            user.email, user.display_name, user.role, user.language, user.workspace_id, status
        )
    console.print(table)


@user_app.command("disable")
def user_disable(
    email: Annotated[str, typer.Argument(help="Login email.")],
    reassign_to: Annotated[
        str | None,
        typer.Option(
            "--reassign-to",
            help="Email of the colleague who takes over their conversations "
            "(default: back to the team queue).",
        ),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Offboard a user: disable them, end their sessions, revoke their API tokens and hand
    their conversations over. Everything they did stays in the audit log."""
    from crossdesk.actions.identity import user_by_email
    from crossdesk.actions.offboarding import OffboardingResult, offboard_user
    from crossdesk.risk import audit

    async def run(settings: Settings) -> OffboardingResult:
        from crossdesk.services import build_services

        services = build_services(settings)
        try:
            async with services.sessionmaker() as session:
                user = await user_by_email(session, email)
                target = await user_by_email(session, reassign_to) if reassign_to else None
                return await offboard_user(
                    services,
                    session,
                    user,
                    audit.Actor(None, None, "crossdesk-cli"),
                    reassign_to=target,
                )
        finally:
            await services.close()

    result = _run_action(run(_settings(data_dir)))
    console.print(
        f"[yellow]{email} is disabled[/yellow]: {result.sessions_ended} session(s) ended, "
        f"{result.tokens_revoked} token(s) revoked, {result.account_sessions_returned} account "
        f"session(s) returned, {result.reassigned} conversation(s) "
        f"reassigned, {result.returned_to_queue} back to the team queue"
    )


def _pairs(values: list[str], option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values:
        key, sep, item = value.partition("=")
        if not sep or not key.strip():
            err.print(f"[red]{option} expects key=value, got {value!r}[/red]")
            raise typer.Exit(2)
        pairs[key.strip()] = item
    return pairs


@account_app.command("add")
def account_add(
    kind: Annotated[ChannelKind, typer.Argument(help="Platform.")],
    name: Annotated[str, typer.Argument(help="A name agents recognise.")],
    workspace: Annotated[str, typer.Option("--workspace", "-w", help="Workspace id.")],
    external_id: Annotated[
        str,
        typer.Option(help="The platform's id of the account (phone-number id, page id, bot id)."),
    ],
    team: Annotated[str | None, typer.Option(help="Team id that works this account.")] = None,
    config: Annotated[
        list[str], typer.Option("--config", "-c", help="key=value, e.g. api_base_url=...")
    ] = [],  # noqa: B006  # Typer reads list options from the default
    secret: Annotated[
        list[str],
        typer.Option(
            "--secret",
            "-s",
            help="Secret NAME; its value is asked for (hidden), never an argument.",
        ),
    ] = [],  # noqa: B006
    proxy: Annotated[str | None, typer.Option(help="Outbound proxy URL for this account.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Connect a platform account: secrets go straight into the vault; prints the webhook URL."""
    from crossdesk.actions.accounts import create_account
    from crossdesk.risk import audit

    settings = _settings(data_dir)
    values = {name_: typer.prompt(f"{name_}", hide_input=True) for name_ in secret}

    async def run() -> str:
        from crossdesk.db.session import transaction
        from crossdesk.services import build_services

        services = build_services(settings)
        try:
            async with transaction(services.sessionmaker) as session:
                account = await create_account(
                    services,
                    session,
                    workspace,
                    kind=kind,
                    name=name,
                    external_id=external_id,
                    team_id=team,
                    config=_pairs(config, "--config"),
                    secrets=values,
                    actor=audit.SYSTEM,
                    proxy_url=proxy,
                )
            return account.id
        finally:
            await services.close()

    account_id = _run_action(run())
    console.print(f"account {account_id}")
    console.print(f"webhook URL: {settings.web.public_url}/webhooks/{kind.value}/{account_id}")


@app.command()
def serve(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    data_dir: DataDir = None,
    workers: Annotated[bool, typer.Option(help="Run the delivery worker in this process.")] = True,
    access_log: Annotated[
        bool,
        typer.Option(help="Log every HTTP request (the /metrics endpoint counts them anyway)."),
    ] = False,
) -> None:
    """Run the web server (and, by default, the workers) on the configured database."""
    from crossdesk.db.migrate import upgrade

    _setup_logging()
    settings = _settings(data_dir, run_workers=workers)
    upgrade(settings.resolved_database_url)
    _serve(settings, host, port, access_log)


@app.command()
def worker(data_dir: DataDir = None) -> None:
    """Run the outbox-style workers without the web server: delivery, alert notifications,
    risk rules and auto-assignment (production: several of these beside `serve --no-workers`;
    the probes, e-mail, Telegram-user, attachment and translation workers run in `serve`)."""
    from crossdesk.services import build_services
    from crossdesk.workers.alert_notifications import AlertNotificationWorker
    from crossdesk.workers.assignment import AssignmentWorker
    from crossdesk.workers.delivery import DeliveryWorker
    from crossdesk.workers.risk_rules import RiskRulesWorker

    _setup_logging()
    settings = _settings(data_dir)

    async def run() -> None:
        services = build_services(settings)
        try:
            # Alert notifications (webhook, email) ride along: both are outbox consumers.
            await asyncio.gather(
                DeliveryWorker(services).run_forever(),
                AlertNotificationWorker(services).run_forever(),
                # Risk rules follow the audit log; several workers share one cursor per
                # workspace (row lock) and act on a firing once (unique key).
                RiskRulesWorker(services).run_forever(),
                # Auto-assignment passes are serialised per workspace (row lock), so
                # several workers may run them; each also returns offline agents' work.
                AssignmentWorker(services).run_forever(),
            )
        finally:
            await services.close()

    asyncio.run(run())


@app.command()
def demo(host: Host = "127.0.0.1", port: Port = 8000, data_dir: DataDir = None) -> None:
    """Seed (or reuse) the demo workspace and run it with a customer simulator."""
    from crossdesk.demo.run import run_demo

    _setup_logging()
    settings = _settings(data_dir, demo=True)
    run_demo(settings, host, port, console)


def _serve(settings: Settings, host: str, port: int, access_log: bool) -> None:
    import uvicorn

    from crossdesk.web.app import create_app

    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level="info",
        log_config=None,  # keep our handler and its redaction filters for uvicorn's records
        access_log=access_log,
        proxy_headers=True,
    )


def _run_action(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run one async action; a CrossdeskError becomes a clear message and exit code 1."""
    from crossdesk.errors import CrossdeskError

    try:
        return asyncio.run(coroutine)
    except CrossdeskError as exc:
        err.print(f"[red]{exc.code}:[/red] {exc.message}")
        raise typer.Exit(1) from None


def main() -> None:  # pragma: no cover
    app(prog_name="crossdesk")


if __name__ == "__main__":  # pragma: no cover
    main()
