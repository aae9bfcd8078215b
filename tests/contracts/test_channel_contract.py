"""The shared adapter contract: every platform adapter passes the same suite.

Adding a channel means adding a ``Harness`` in ``conftest.py`` and recorded fixtures.
"""

import json
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.contracts.harness import HARNESSES, Harness, expected_events, fixture_cases
from tests.fakes.platforms.server import ScriptedReply

from crossdesk.channels.base import ChannelAdapter, WebhookRequest
from crossdesk.cli.channels import event_record
from crossdesk.domain import OutboundMessage
from crossdesk.errors import InvalidInput, PermanentSendError, RetryableSendError, SignatureInvalid

SLUGS = list(HARNESSES)
CASES = fixture_cases()


def signed(harness: Harness, body: bytes, **extra: str) -> WebhookRequest:
    return WebhookRequest(
        method="POST", headers={**harness.sign(body), **extra}, query={}, body=body
    )


def first_fixture(harness: Harness) -> bytes:
    return sorted(
        p
        for p in harness.fixtures.glob("*.json")
        if ".events." not in p.name and not p.name.startswith(("api-", "verify-"))
    )[0].read_bytes()


def outbound(harness: Harness, text: str = "Your parcel ships today.") -> OutboundMessage:
    return OutboundMessage(
        message_id="msg-1", recipient_id=harness.recipient, text=text, idempotency_key="outbox-1"
    )


@pytest.mark.parametrize("slug", SLUGS)
def test_adapter_satisfies_protocol(slug: str) -> None:
    adapter = HARNESSES[slug].adapter
    assert isinstance(adapter, ChannelAdapter)
    assert adapter.kind.value == slug
    assert adapter.capabilities.max_text_length > 0


@pytest.mark.parametrize("slug", SLUGS)
def test_authentic_request_verifies(slug: str) -> None:
    harness = HARNESSES[slug]
    body = first_fixture(harness)
    harness.adapter.verify(harness.account(), signed(harness, body))


@pytest.mark.parametrize("slug", SLUGS)
def test_forged_signature_rejected(slug: str) -> None:
    harness = HARNESSES[slug]
    body = first_fixture(harness)
    account = harness.account()
    forged = {
        name: value[:-2] + ("AA" if not value.endswith("AA") else "BB")
        for name, value in harness.sign(body).items()
    }
    cases = [
        WebhookRequest("POST", forged, {}, body),  # wrong signature or token
        WebhookRequest("POST", {}, {}, body),  # missing header
    ]
    if slug != "telegram_bot":  # Telegram's secret token does not depend on the body
        altered = body.replace(b"}", b" }", 1)
        cases.append(WebhookRequest("POST", harness.sign(body), {}, altered))
        cases.append(WebhookRequest("POST", harness.sign(b"{}"), {}, body))
    for request in cases:
        with pytest.raises(SignatureInvalid):
            harness.adapter.verify(account, request)


@pytest.mark.parametrize("slug", SLUGS)
def test_unconfigured_secret_rejects_everything(slug: str) -> None:
    harness = HARNESSES[slug]
    body = first_fixture(harness)
    account = harness.account()
    empty = type(account)(
        id=account.id,
        workspace_id=account.workspace_id,
        kind=account.kind,
        external_id=account.external_id,
    )
    with pytest.raises(SignatureInvalid):
        harness.adapter.verify(empty, signed(harness, body))


MALFORMED = [
    b"",
    b"not json",
    b"[]",
    b"{}",
    b'{"object": 5, "entry": "x"}',
    b'{"entry": [{"id": "1"}], "events": {}}',
]


@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize("body", MALFORMED)
def test_malformed_body_is_invalid_input(slug: str, body: bytes) -> None:
    harness = HARNESSES[slug]
    request = signed(harness, body)
    harness.adapter.verify(harness.account(), request)  # authentic ...
    with pytest.raises(InvalidInput) as caught:  # ... but unparseable
        harness.adapter.parse(harness.account(), request)
    assert slug.split("_")[0] in caught.value.message  # names the platform and the problem


@pytest.mark.parametrize(("slug", "path"), CASES, ids=[f"{s}/{p.stem}" for s, p in CASES])
def test_recorded_payload_parses(slug: str, path: Path) -> None:
    harness = HARNESSES[slug]
    body = path.read_bytes()
    request = signed(harness, body)
    harness.adapter.verify(harness.account(), request)
    records = [event_record(e) for e in harness.adapter.parse(harness.account(), request)]
    expected = expected_events(path)
    assert len(records) == len(expected), records
    for record, want in zip(records, expected, strict=True):
        for key, value in want.items():
            if key == "attachments":
                assert len(record["attachments"]) == len(value)
                for got, spec in zip(record["attachments"], value, strict=True):
                    assert {k: got.get(k) for k in spec} == spec
            else:
                assert record[key] == value, (key, record)


@pytest.mark.parametrize(("slug", "path"), CASES, ids=[f"{s}/{p.stem}" for s, p in CASES])
def test_redelivery_yields_identical_ids(slug: str, path: Path) -> None:
    """Platforms retry webhooks; stable ids let the core store each message once."""
    harness = HARNESSES[slug]
    body = path.read_bytes()
    first = harness.adapter.parse(harness.account(), signed(harness, body))
    again = harness.adapter.parse(
        harness.account(), signed(harness, json.dumps(json.loads(body)).encode())
    )
    assert first == again
    ids = [e.platform_message_id for e in first if e.platform_message_id]
    kinds = {type(e).__name__ for e in first}
    if kinds == {"InboundEvent"}:
        assert len(ids) == len(set(ids))


def _fake(platforms: dict[str, tuple[Any, str]], harness: Harness) -> tuple[Any, str]:
    fake, base_url = platforms[harness.fake_name]
    harness.prepare(fake)
    return fake, base_url


@pytest.mark.parametrize("slug", SLUGS)
async def test_send_text_reaches_fake(
    slug: str, platforms: dict[str, tuple[Any, str]], client: httpx.AsyncClient
) -> None:
    harness = HARNESSES[slug]
    fake, base_url = _fake(platforms, harness)
    receipt = await harness.adapter.send(
        client, harness.account(base_url), outbound(harness, "Ваш заказ в пути 📦")
    )
    assert receipt.platform_message_id
    assert len(fake.requests) == 1
    assert harness.sent_text(fake) == "Ваш заказ в пути 📦"


@pytest.mark.parametrize("slug", SLUGS)
async def test_rate_limit_is_retryable_with_delay(
    slug: str, platforms: dict[str, tuple[Any, str]], client: httpx.AsyncClient
) -> None:
    harness = HARNESSES[slug]
    fake, base_url = _fake(platforms, harness)
    expected_delay = harness.rate_limit(fake)
    with pytest.raises(RetryableSendError) as caught:
        await harness.adapter.send(client, harness.account(base_url), outbound(harness))
    assert caught.value.retry_after == expected_delay
    # The next attempt goes through.
    receipt = await harness.adapter.send(client, harness.account(base_url), outbound(harness))
    assert receipt.platform_message_id


@pytest.mark.parametrize("slug", SLUGS)
async def test_documented_permanent_error(
    slug: str, platforms: dict[str, tuple[Any, str]], client: httpx.AsyncClient
) -> None:
    harness = HARNESSES[slug]
    fake, base_url = _fake(platforms, harness)
    reason = harness.permanent(fake)
    with pytest.raises(PermanentSendError) as caught:
        await harness.adapter.send(client, harness.account(base_url), outbound(harness))
    assert caught.value.fields["reason"] == reason


@pytest.mark.parametrize("slug", SLUGS)
async def test_server_error_is_retryable(
    slug: str, platforms: dict[str, tuple[Any, str]], client: httpx.AsyncClient
) -> None:
    harness = HARNESSES[slug]
    fake, base_url = _fake(platforms, harness)
    reply = ScriptedReply(
        500,
        {"message": "Internal Server Error"}
        if slug == "line"
        else {"ok": False, "error_code": 500, "description": "Internal Server Error"}
        if slug == "telegram_bot"
        else {
            "error": {"message": "An unknown error occurred", "type": "OAuthException", "code": 1}
        },
    )
    if slug == "telegram_bot" or slug == "line":
        fake.script(reply)
    else:
        fake.script(reply.status, reply.body)
    with pytest.raises(RetryableSendError):
        await harness.adapter.send(client, harness.account(base_url), outbound(harness))


@pytest.mark.parametrize("slug", SLUGS)
async def test_wrong_credentials_are_permanent(
    slug: str, platforms: dict[str, tuple[Any, str]], client: httpx.AsyncClient
) -> None:
    harness = HARNESSES[slug]
    _, base_url = _fake(platforms, harness)
    token_name = {
        "whatsapp": "access_token",
        "messenger": "access_token",
        "instagram": "access_token",
        "telegram_bot": "bot_token",
        "line": "channel_access_token",
    }[slug]
    account = harness.account(base_url, **{token_name: "revoked-token"})
    with pytest.raises(PermanentSendError) as caught:
        await harness.adapter.send(client, account, outbound(harness))
    assert caught.value.fields["reason"] == "access_token_invalid"


@pytest.mark.parametrize("slug", SLUGS)
async def test_unreachable_platform_is_retryable_not_sent(
    slug: str, client: httpx.AsyncClient
) -> None:
    harness = HARNESSES[slug]
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(RetryableSendError) as caught:
        await harness.adapter.send(
            client, harness.account(f"http://127.0.0.1:{port}"), outbound(harness)
        )
    assert caught.value.fields["outcome"] == "not_sent"


@pytest.mark.parametrize("slug", SLUGS)
async def test_text_over_platform_limit_is_refused_before_sending(
    slug: str, platforms: dict[str, tuple[Any, str]], client: httpx.AsyncClient
) -> None:
    harness = HARNESSES[slug]
    fake, base_url = _fake(platforms, harness)
    too_long = "x" * (harness.adapter.capabilities.max_text_length + 1)
    with pytest.raises(PermanentSendError) as caught:
        await harness.adapter.send(client, harness.account(base_url), outbound(harness, too_long))
    assert caught.value.fields["reason"] == "text_too_long"
    assert fake.requests == []
