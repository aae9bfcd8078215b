"""`crossdesk demo`: migrate, seed (or reuse), print the logins, serve with the simulator."""

import asyncio
import os
from functools import partial

import uvicorn
from fastapi import FastAPI
from rich.console import Console
from rich.table import Table

from crossdesk.channels.sandbox.protocol import derived_credential
from crossdesk.config import Settings
from crossdesk.db.migrate import upgrade
from crossdesk.demo.apertium import ApertiumSidecar
from crossdesk.demo.seed import ACCOUNTS, DEMO_PASSWORD, LOGINS, seed_demo
from crossdesk.demo.simulator import CUSTOMERS, run_simulator
from crossdesk.services import build_services
from crossdesk.translation import TranslationConfig
from crossdesk.web.app import create_app


async def prepare_demo(settings: Settings) -> str:
    """Migrate and seed the demo workspace; return its id (existing data is reused)."""
    upgrade(settings.resolved_database_url)
    key = settings.resolved_secret_key()
    services = build_services(settings)
    try:
        return await seed_demo(
            services,
            partial(derived_credential, key, "api"),
            partial(derived_credential, key, "webhook"),
        )
    finally:
        await services.close()


def _translation(console: Console, sidecar: ApertiumSidecar) -> TranslationConfig | None:
    """Engines from CROSSDESK_TRANSLATION__* if set, else Apertium when installed."""
    if os.environ.get("CROSSDESK_TRANSLATION__ENGINES"):
        console.print("Translation: engines from CROSSDESK_TRANSLATION__ENGINES")
        return None
    if sidecar.start():
        console.print(f"Translation: Apertium (offline) at {sidecar.base_url}")
        return sidecar.translation_config()
    console.print(
        "[yellow]Translation: no engine. Messages are shown untranslated and say so. "
        "Run scripts/apertium-setup (Debian, root) for offline Apertium, or configure "
        "an engine: see docs/translation.md.[/yellow]"
    )
    return None


def run_demo(settings: Settings, host: str, port: int, console: Console) -> None:
    asyncio.run(prepare_demo(settings))
    sidecar = ApertiumSidecar()
    try:
        translation = _translation(console, sidecar)
        base = f"http://{host}:{port}"
        table = Table("login", "password", "role", "name", title="crossdesk demo: Demo Shop")
        for login in LOGINS:
            table.add_row(login.email, DEMO_PASSWORD, login.role, login.name)
        console.print(table)
        console.print(f"Open [bold]{base}/login[/bold]")
        console.print("Play a customer on the sandbox messenger:")
        for customer in CUSTOMERS:
            console.print(f"  {base}/sandbox/{customer.account}/{customer.contact_id}")
        console.print(f"Accounts: {', '.join(name for _, name, _ in ACCOUNTS)}")
        console.print(f"Data directory: {settings.data_dir.resolve()}")
        app = create_app(settings, background=[_simulate], translation=translation)
        uvicorn.run(app, host=host, port=port, log_level="info", log_config=None)
    finally:
        sidecar.stop()


async def _simulate(app: FastAPI) -> None:
    await run_simulator(app.state.sandbox)
