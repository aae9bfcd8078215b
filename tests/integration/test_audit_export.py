"""Signed exports, the audit CLI and the auditor's page."""

import io
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from tests.factories import DemoWorld, bearer
from typer.testing import CliRunner

from crossdesk.cli.main import app as cli
from crossdesk.db.models import AuditEvent
from crossdesk.risk import audit
from crossdesk.risk.export import export_audit, verify_export
from crossdesk.services import Services

runner = CliRunner()


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


async def test_export_is_signed_complete_and_audited(
    sqlite_services: Services, app_world: DemoWorld, tmp_path: Path
) -> None:
    buffer = io.StringIO()
    seen: list[tuple[int, int]] = []
    summary = await export_audit(
        sqlite_services,
        app_world.workspace_id,
        buffer,
        audit.Actor(app_world.users["auditor"].id),
        progress=lambda done, total: seen.append((done, total)),
    )
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert lines[0]["type"] == "header" and lines[-1]["type"] == "signature"
    events = [line for line in lines if line["type"] == "event"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[-1]["action"] == "audit.export"  # the export records itself
    assert summary.events == len(events) and seen[-1] == (len(events), len(events))

    path = _write(tmp_path / "export.jsonl", buffer.getvalue())
    assert verify_export(path, summary.public_key) == []
    edited = buffer.getvalue().replace('"role":"agent"', '"role":"owner"', 1)
    problems = verify_export(_write(tmp_path / "edited.jsonl", edited), summary.public_key)
    assert any("does not match its hash" in p for p in problems)
    assert any("signed digest" in p for p in problems)
    cut = "\n".join(buffer.getvalue().splitlines()[:-1]) + "\n"
    assert "cut short" in verify_export(_write(tmp_path / "cut.jsonl", cut))[0]
    other_key = verify_export(path, "A" * 43 + "=")
    assert other_key == ["the signature is not valid for this public key"]


async def test_export_range(sqlite_services: Services, app_world: DemoWorld) -> None:
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    buffer = io.StringIO()
    summary = await export_audit(
        sqlite_services, app_world.workspace_id, buffer, audit.SYSTEM, since=tomorrow
    )
    assert summary.events == 0


def test_audit_cli_verify_export_and_public_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROSSDESK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CROSSDESK_DATABASE_URL", raising=False)
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    workspace = runner.invoke(cli, ["workspace", "create", "Acme"]).output.strip().split()[-1]
    runner.invoke(cli, ["user", "add", "li@acme.test", "-w", workspace], input="long-pass\n" * 2)
    checkpoint = runner.invoke(cli, ["audit", "checkpoint"])
    assert checkpoint.exit_code == 0 and "1 checkpoint(s) written" in checkpoint.output
    ok = runner.invoke(cli, ["audit", "verify", "-w", workspace])
    assert ok.exit_code == 0 and "ok" in ok.output and "1 checkpoints" in ok.output

    out = tmp_path / "audit.jsonl"
    exported = runner.invoke(cli, ["audit", "export", "-w", workspace, "-o", str(out)])
    assert exported.exit_code == 0, exported.output
    assert "3 events written" in exported.output
    key = runner.invoke(cli, ["audit", "public-key"]).output.strip()
    checked = runner.invoke(cli, ["audit", "verify-export", str(out), "--public-key", key])
    assert checked.exit_code == 0 and "intact" in checked.output

    with sqlite3.connect(tmp_path / "crossdesk.db") as db:  # an intruder edits event 2
        db.execute('UPDATE audit_event SET data = \'{"role": "owner"}\' WHERE seq = 2')
    bad = runner.invoke(cli, ["audit", "verify"])
    assert bad.exit_code == 1
    assert "first bad event is #2" in bad.output and "edited" in bad.output


async def test_auditor_page_filters_and_chart(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld
) -> None:
    auditor = bearer(app_world.tokens["auditor"])
    page = await client.get("/ui/audit", headers=auditor)
    assert page.status_code == 200
    assert '<svg id="audit-chart"' in page.text and 'class="bar"' in page.text
    assert 'data-action="user.create"' in page.text and 'data-action="team.create"' in page.text
    assert "<script" not in page.text.split("</head>")[1]  # CSP: nothing inline

    only_users = await client.get("/ui/audit?action=user", headers=auditor)
    assert 'data-action="user.create"' in only_users.text
    assert 'data-action="team.create"' not in only_users.text
    system = await client.get("/ui/audit?actor=system&action=team.create", headers=auditor)
    assert system.text.count('data-action="team.create"') == 2
    agent_id = app_world.users["agent_a"].id
    target = await client.get(f"/ui/audit?target={agent_id}", headers=auditor)
    assert target.text.count("data-seq=") == 1
    old = await client.get("/ui/audit?since=2020-01-01&until=2020-01-02", headers=auditor)
    assert "data-seq=" not in old.text
    assert (await client.get("/ui/audit?since=yesterday", headers=auditor)).status_code == 400
    blank = await client.get("/ui/audit?action=&actor=&since=&until=", headers=auditor)
    assert blank.status_code == 200 and 'data-action="team.create"' in blank.text

    inbox = await client.get("/ui/inbox", headers=auditor)
    assert 'id="audit-link"' in inbox.text
    agent_inbox = await client.get("/ui/inbox", headers=bearer(app_world.tokens["agent_a"]))
    assert 'id="audit-link"' not in agent_inbox.text
    for role in ("agent_a", "supervisor"):
        refused = await client.get("/ui/audit", headers=bearer(app_world.tokens[role]))
        assert refused.status_code == 403


async def test_auditor_downloads_a_signed_export(
    client: httpx.AsyncClient, sqlite_services: Services, app_world: DemoWorld, tmp_path: Path
) -> None:
    auditor = bearer(app_world.tokens["auditor"])
    download = await client.get("/ui/audit/export", headers=auditor)
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    assert verify_export(_write(tmp_path / "dl.jsonl", download.text)) == []
    async with sqlite_services.read_sessionmaker() as session:
        event = await session.scalar(select(AuditEvent).where(AuditEvent.action == "audit.export"))
    assert event is not None and event.actor_id == app_world.users["auditor"].id
    supervisor = bearer(app_world.tokens["supervisor"])
    assert (await client.get("/ui/audit/export", headers=supervisor)).status_code == 403
