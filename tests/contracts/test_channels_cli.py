"""``crossdesk channels check``: exit codes 0/3/4 and JSON Lines, per platform."""

import json

import pytest
from tests.contracts.harness import FIXTURES
from typer.testing import CliRunner

from crossdesk.channels.line.signature import sign as line_sign
from crossdesk.channels.meta.signature import sign as meta_sign
from crossdesk.cli.channels import app

runner = CliRunner()


def check(platform: str, body: bytes, *args: str) -> tuple[int, list[dict[str, object]], str]:
    result = runner.invoke(app, ["check", platform, *args], input=body)
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result.exit_code, lines, result.stderr


@pytest.mark.parametrize(
    ("platform", "fixture", "kind"),
    [
        ("whatsapp", "whatsapp/webhook-text.json", "message"),
        ("messenger", "messenger/webhook-echo.json", "echo"),
        ("instagram", "instagram/webhook-seen.json", "status"),
    ],
)
def test_meta_platforms(platform: str, fixture: str, kind: str) -> None:
    body = (FIXTURES / fixture).read_bytes()
    code, events, _ = check(
        platform,
        body,
        "--secret",
        "s3cret",
        "--header",
        f"X-Hub-Signature-256: {meta_sign('s3cret', body)}",
    )
    assert code == 0
    assert [e["kind"] for e in events] == [kind]
    code, events, err = check(
        platform,
        body,
        "--secret",
        "other",
        "--header",
        f"X-Hub-Signature-256: {meta_sign('s3cret', body)}",
    )
    assert (code, events) == (3, [])
    assert "does not match" in err
    assert (
        check(platform, body, "--header", f"X-Hub-Signature-256: {meta_sign('s3cret', body)}")[0]
        == 3
    )


def test_telegram_secret_token() -> None:
    body = (FIXTURES / "telegram_bot" / "update-text.json").read_bytes()
    code, events, _ = check(
        "telegram_bot", body, "--secret", "abc", "--header", "X-Telegram-Bot-Api-Secret-Token: abc"
    )
    assert code == 0
    assert events[0]["text"] == "Здравствуйте! Где мой заказ?"
    assert events[0]["platform_message_id"] == "5123456789:211"
    assert check("telegram_bot", body, "--secret", "abc")[0] == 3


def test_line_ignored_event_prints_nothing_and_broken_body_exits_4() -> None:
    follow = (FIXTURES / "line" / "webhook-follow.json").read_bytes()
    code, events, _ = check(
        "line", follow, "--secret", "cs", "-H", f"X-Line-Signature: {line_sign('cs', follow)}"
    )
    assert (code, events) == (0, [])
    broken = b'{"destination": "U1", "events": [{"type": "message"}]}'
    code, events, err = check(
        "line", broken, "--secret", "cs", "-H", f"X-Line-Signature: {line_sign('cs', broken)}"
    )
    assert (code, events) == (4, [])
    assert "events.0.timestamp" in err


def test_unknown_platform_is_a_usage_error() -> None:
    assert check("myspace", b"{}")[0] == 2
