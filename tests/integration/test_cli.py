"""The operator CLI on a fresh data directory: migrate, create, add, list, disable."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossdesk.cli.main import app

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CROSSDESK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CROSSDESK_DATABASE_URL", raising=False)
    return tmp_path


def test_operator_flow(env: Path) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    created = runner.invoke(app, ["workspace", "create", "Acme Trading", "--language", "zh-Hans"])
    assert created.exit_code == 0, created.output
    workspace_id = created.output.strip().splitlines()[-1]
    added = runner.invoke(
        app,
        ["user", "add", "li@acme.test", "-w", workspace_id, "--role", "agent", "--name", "Li"],
        input="long-enough-password\nlong-enough-password\n",
    )
    assert added.exit_code == 0, added.output
    short = runner.invoke(
        app, ["user", "add", "x@acme.test", "-w", workspace_id], input="short\nshort\n"
    )
    assert short.exit_code == 1 and "at least 8 characters" in short.output
    account = runner.invoke(
        app,
        [
            "account",
            "add",
            "telegram_bot",
            "Acme TG",
            "-w",
            workspace_id,
            "--external-id",
            "123456",
            "-s",
            "bot_token",
            "-c",
            "api_base_url=http://127.0.0.1:9",
        ],
        input="123456:AA-secret-token\n",
    )
    assert account.exit_code == 0, account.output
    assert "/webhooks/telegram_bot/" in account.output
    assert "AA-secret-token" not in account.output
    listed = runner.invoke(app, ["user", "list"])
    assert "li@acme.test" in listed.output and "active" in listed.output
    disabled = runner.invoke(app, ["user", "disable", "li@acme.test"])
    assert disabled.exit_code == 0
    assert "disabled" in runner.invoke(app, ["user", "list"]).output
    assert (env / "secret.key").stat().st_mode & 0o777 == 0o600


def test_bad_arguments_are_named(env: Path) -> None:
    bad_kind = runner.invoke(
        app, ["account", "add", "myspace", "x", "-w", "w", "--external-id", "1"]
    )
    assert bad_kind.exit_code == 2 and "myspace" in bad_kind.output
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    unknown_user = runner.invoke(app, ["user", "disable", "nobody@x.test"])
    assert unknown_user.exit_code == 1 and "no user with email" in unknown_user.output


def test_help_everywhere() -> None:
    for command in (
        [],
        ["db"],
        ["user"],
        ["workspace"],
        ["account"],
        ["serve"],
        ["demo"],
        ["guard"],
        ["mask"],
        ["lang"],
        ["translate"],
        ["channels"],
    ):
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0, (command, result.output)
        assert "Usage" in result.output
