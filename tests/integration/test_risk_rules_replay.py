"""``crossdesk risk replay`` / ``risk check``: what would have fired, and nothing written."""

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.conftest import make_settings
from tests.factories import build_world
from typer.testing import CliRunner

from crossdesk.cli.main import app
from crossdesk.config import Settings
from crossdesk.db.models import (
    ApiToken,
    AuditEvent,
    RiskAccountLock,
    RiskAlert,
    RiskApproval,
    RiskRuleCursor,
    RiskRuleFiring,
    RiskRuleSet,
    WebSession,
)
from crossdesk.db.session import transaction
from crossdesk.risk import audit
from crossdesk.risk.rules import default_rules, default_rules_text
from crossdesk.risk.rules.replay import replay
from crossdesk.services import build_services
from crossdesk.workers.risk_rules import RiskRulesWorker

runner = CliRunner()
TABLES = (
    AuditEvent, RiskAlert, RiskRuleFiring, RiskApproval, RiskAccountLock, RiskRuleCursor,
    RiskRuleSet, WebSession,
)  # fmt: skip
START = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=3)


async def _snapshot(settings: Settings) -> dict[str, int]:
    services = build_services(settings)
    try:
        async with services.read_sessionmaker() as session:
            counts = {
                t.__tablename__: int(await session.scalar(select(func.count()).select_from(t)) or 0)
                for t in TABLES
            }
            counts["revoked"] = int(
                await session.scalar(
                    select(func.count()).select_from(ApiToken).where(ApiToken.revoked)
                )
                or 0
            )
            return counts
    finally:
        await services.close()


async def _history(settings: Settings) -> tuple[str, set[str]]:
    """Three days ago: agent A hits the diversion list 3 times in an hour and logs in from
    a new IP. The live worker acts on it; returns the workspace and the keys it fired."""
    services = build_services(settings)
    try:
        world = await build_world(services)
        worker = RiskRulesWorker(services)
        await worker.run_once()  # the rules apply from here on
        agent = world.users["agent_a"].id
        async with transaction(services.sessionmaker) as session:
            for minute, ip in ((0, "10.0.0.1"), (5, "10.0.0.1"), (50, "10.9.9.9")):
                await audit.record(
                    session, world.workspace_id, "auth.login", audit.Actor(agent, ip),
                    at=START + timedelta(minutes=minute),
                )  # fmt: skip
            for minute in (10, 20, 30):
                await audit.record(
                    session, world.workspace_id, "message.blocked", audit.Actor(agent),
                    data={"categories": ["diversion"]}, at=START + timedelta(minutes=minute),
                )  # fmt: skip
        await worker.run_once()
        async with services.read_sessionmaker() as session:
            keys = set(await session.scalars(select(RiskRuleFiring.dedupe_key)))
        # Replay over the same events finds exactly what live evaluation acted on.
        result = await replay(
            services.read_sessionmaker,
            world.workspace_id,
            default_rules(),
            START - timedelta(days=1),
            datetime.now(UTC),
        )
        assert {f.dedupe_key for f in result.firings} == keys
        return world.workspace_id, keys
    finally:
        await services.close()


def test_replay_prints_what_would_fire_and_writes_nothing(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path, database_url)
    assert settings.secret_key is not None
    monkeypatch.setenv("CROSSDESK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CROSSDESK_DATABASE_URL", database_url)
    monkeypatch.setenv("CROSSDESK_SECRET_KEY", settings.secret_key.get_secret_value())
    workspace_id, keys = asyncio.run(_history(settings))
    assert len(keys) == 2  # guard-diversion-agent and login-new-ip
    before = asyncio.run(_snapshot(settings))
    since = (START - timedelta(days=1)).date().isoformat()

    shown = runner.invoke(app, ["risk", "replay", "--since", since])
    assert shown.exit_code == 0, shown.output
    assert "guard-diversion-agent │ 1" in shown.output
    assert "login-new-ip          │ 1" in shown.output
    assert "2 firings over 6 events" in shown.output and "nothing was written" in shown.output

    stricter = tmp_path / "stricter.toml"
    stricter.write_text(default_rules_text().replace('threshold = ">= 3"', 'threshold = ">= 4"'))
    tuned = runner.invoke(
        app, ["risk", "replay", "--since", since, "--rules", str(stricter), "-w", workspace_id]
    )
    assert tuned.exit_code == 0, tuned.output
    assert "guard-diversion-agent" not in tuned.output.split("would fire")[1]
    assert "1 firings over 6 events" in tuned.output

    earlier = (START - timedelta(days=5)).date().isoformat()
    before_events = (START - timedelta(days=2)).date().isoformat()
    empty = runner.invoke(app, ["risk", "replay", "--since", earlier, "--until", before_events])
    assert empty.exit_code == 0 and "0 firings over 0 events" in empty.output
    backwards = runner.invoke(app, ["risk", "replay", "--since", since, "--until", earlier])
    assert backwards.exit_code == 2 and "must be after --since" in backwards.output
    bad = runner.invoke(app, ["risk", "replay", "--since", "last tuesday"])
    assert bad.exit_code == 2 and "is not a date" in bad.output
    assert asyncio.run(_snapshot(settings)) == before  # nothing written, nothing revoked


def test_check_and_load_a_rules_file(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path, sqlite_url)
    assert settings.secret_key is not None
    monkeypatch.setenv("CROSSDESK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CROSSDESK_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("CROSSDESK_SECRET_KEY", settings.secret_key.get_secret_value())
    good = tmp_path / "rules.toml"
    good.write_text(default_rules_text().replace('"> 20"', '"> 40"'))
    checked = runner.invoke(app, ["risk", "check", str(good)])
    assert checked.exit_code == 0 and "9 rules, 8 enabled" in checked.output
    bad = tmp_path / "bad.toml"
    bad.write_text(default_rules_text().replace('window = "5m"', 'window = "5 minutes"'))
    refused = runner.invoke(app, ["risk", "check", str(bad)])
    assert refused.exit_code == 1
    assert f"{bad}, rule outbound-burst, field window:" in refused.output

    async def workspace() -> str:
        services = build_services(settings)
        try:
            return (await build_world(services)).workspace_id
        finally:
            await services.close()

    workspace_id = asyncio.run(workspace())
    assert runner.invoke(app, ["risk", "load", str(bad), "-w", workspace_id]).exit_code == 1
    loaded = runner.invoke(app, ["risk", "load", str(good), "-w", workspace_id])
    assert loaded.exit_code == 0 and "version 1" in loaded.output
    shown = runner.invoke(app, ["risk", "show", "-w", workspace_id])
    assert shown.exit_code == 0 and 'threshold = "> 40"' in shown.output
