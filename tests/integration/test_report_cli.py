"""`crossdesk report export` on a fresh data directory: the CSV file, errors, the audit."""

import asyncio
import csv
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from crossdesk.cli.main import app
from crossdesk.config import load_settings
from crossdesk.db.models import AuditEvent
from crossdesk.db.session import make_engine, make_read_sessionmaker

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CROSSDESK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CROSSDESK_DATABASE_URL", raising=False)
    return tmp_path


async def _exports() -> list[AuditEvent]:
    engine = make_engine(load_settings().resolved_database_url)
    try:
        async with make_read_sessionmaker(engine)() as session:
            rows = await session.scalars(
                select(AuditEvent).where(AuditEvent.action == "report.export")
            )
            return list(rows.all())
    finally:
        await engine.dispose()


def test_report_export_writes_csv_and_is_audited(env: Path) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    created = runner.invoke(app, ["workspace", "create", "Acme Trading"])
    workspace_id = created.output.strip().splitlines()[-1]
    added = runner.invoke(
        app,
        ["user", "add", "li@acme.test", "-w", workspace_id, "--role", "agent", "--name", "Li"],
        input="long-enough-password\nlong-enough-password\n",
    )
    assert added.exit_code == 0, added.output

    out = env / "agents.csv"
    done = runner.invoke(
        app,
        ["report", "export", "--kind", "agents", "--since", "2026-01-01", "--out", str(out)],
    )
    assert done.exit_code == 0, done.output
    assert "1 rows written" in done.output
    table = list(csv.reader(out.read_text(encoding="utf-8").splitlines()))
    assert table[0][:3] == ["agent_id", "agent", "conversations_handled"]
    assert table[1][1:] == ["Li", "0", "", "", "0", "0", "0"]

    leads = env / "leads.csv"
    assert (
        runner.invoke(
            app, ["report", "export", "--kind", "leads", "-w", workspace_id, "--out", str(leads)]
        ).exit_code
        == 0
    )
    assert leads.read_text(encoding="utf-8").startswith("day,platform,account_id")

    wrong = runner.invoke(app, ["report", "export", "--kind", "contacts", "--out", str(out)])
    assert wrong.exit_code == 2 and "agents, accounts or leads" in wrong.output
    bad_day = runner.invoke(
        app, ["report", "export", "--kind", "agents", "--since", "1 May", "--out", str(out)]
    )
    assert bad_day.exit_code == 1 and "YYYY-MM-DD" in bad_day.output

    exports = asyncio.run(_exports())
    assert [(e.target_id, e.actor_id, e.user_agent) for e in exports] == [
        ("agents", None, "crossdesk-cli"),
        ("leads", None, "crossdesk-cli"),
    ]
