"""Documented webhook payloads of Messenger, Instagram, Telegram bots and LINE, end to end.

Every fixture under tests/fixtures/channels/{messenger,instagram,telegram_bot,line} is a body
written from the platform's reference (fake ids) with the events it must yield. Here each
one goes through ``crossdesk channels check`` signed with the platform's real scheme (exit
0 and exactly those events; a documented event the product does not use prints nothing),
then the same bodies reach the HTTP webhook (200, a redelivery stored once), and random
bodies never crash a parser (only "accepted" or "unparseable", never a traceback).
"""

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from tests.contracts.harness import FIXTURES, HARNESSES, Harness, expected_events
from tests.factories import asgi_client, build_world
from typer.testing import CliRunner

from crossdesk.actions.accounts import create_account
from crossdesk.channels.base import WebhookRequest
from crossdesk.channels.line.signature import sign as line_sign
from crossdesk.channels.meta.signature import sign as meta_sign
from crossdesk.cli.channels import app as cli_app
from crossdesk.cli.channels import event_record
from crossdesk.db.models import Message
from crossdesk.db.session import transaction
from crossdesk.domain import ChannelKind
from crossdesk.errors import InvalidInput
from crossdesk.risk import audit
from crossdesk.services import Services
from crossdesk.web.app import create_app

PLATFORMS = ("messenger", "instagram", "telegram_bot", "line")
SECRET = "cov-Secret_42"  # what --secret supplies to every platform in these tests
runner = CliRunner()


def _bodies(slug: str) -> list[Path]:
    return sorted(
        p
        for p in (FIXTURES / slug).glob("*.json")
        if ".events." not in p.name and p.with_name(p.stem + ".events.json").exists()
    )


def _cases(slug: str) -> Any:  # Any: pytest's ParameterSet list
    return [pytest.param(p, id=p.stem) for p in _bodies(slug)]


def _signature(slug: str, body: bytes, secret: str = SECRET) -> str:
    """The ``--header`` value the platform would send, signed with its real scheme."""
    headers = _harness_sign(slug, secret)(body)
    ((name, value),) = headers.items()
    return f"{name}: {value}"


def _harness_sign(slug: str, secret: str) -> Callable[[bytes], dict[str, str]]:
    """The platform's own authentication of a body: HMAC signatures or Telegram's token."""
    if slug in ("messenger", "instagram"):
        return lambda body: {"X-Hub-Signature-256": meta_sign(secret, body)}
    if slug == "line":
        return lambda body: {"X-Line-Signature": line_sign(secret, body)}
    return lambda body: {"X-Telegram-Bot-Api-Secret-Token": secret}


def check(slug: str, body: bytes, secret: str = SECRET) -> tuple[int, list[dict[str, Any]], str]:
    """Run ``crossdesk channels check`` on one raw body signed with ``SECRET``."""
    result = runner.invoke(
        cli_app,
        ["check", slug, "--secret", secret, "--header", _signature(slug, body)],
        input=body,
    )
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result.exit_code, lines, result.stderr


def assert_matches(records: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    """Each record carries every field the fixture's ``.events.json`` names, in order."""
    assert len(records) == len(expected), records
    for record, want in zip(records, expected, strict=True):
        for key, value in want.items():
            if key == "attachments":
                assert len(record["attachments"]) == len(value), record
                for got, spec in zip(record["attachments"], value, strict=True):
                    assert {k: got.get(k) for k in spec} == spec, record
            else:
                assert record.get(key) == value, (key, record)


def assert_cli_contract(slug: str, path: Path) -> None:
    body = path.read_bytes()
    code, records, err = check(slug, body)
    assert code == 0, err
    assert_matches(records, expected_events(path))
    for record in records:  # a message always has something to show
        if record["kind"] in ("message", "echo"):
            assert record["text"] or record["attachments"], record
    # The same body with a wrong secret is refused before it is parsed.
    code, records, _ = check(slug, body, secret="not-the-secret")
    assert (code, records) == (3, [])


def test_every_platform_has_broad_coverage() -> None:
    """The suites below are only as good as the payloads: keep them broad."""
    for slug in PLATFORMS:
        bodies = _bodies(slug)
        ignored = [p for p in bodies if not expected_events(p)]
        assert len(bodies) >= 25, slug
        assert len(ignored) >= 5, slug  # documented events accepted without a record


@pytest.mark.parametrize("path", _cases("messenger"))
def test_messenger_documented_payload(path: Path) -> None:
    assert_cli_contract("messenger", path)


@pytest.mark.parametrize("path", _cases("instagram"))
def test_instagram_documented_payload(path: Path) -> None:
    assert_cli_contract("instagram", path)


@pytest.mark.parametrize("path", _cases("telegram_bot"))
def test_telegram_bot_documented_update(path: Path) -> None:
    assert_cli_contract("telegram_bot", path)


@pytest.mark.parametrize("path", _cases("line"))
def test_line_documented_payload(path: Path) -> None:
    assert_cli_contract("line", path)


# ---------------------------------------------------------------- malformed bodies: exit 4


def _fixture(slug: str, name: str) -> Any:  # Any: JSON
    return json.loads((FIXTURES / slug / f"{name}.json").read_text())


def _messenger_item(**changes: Any) -> bytes:
    body = _fixture("messenger", "webhook-text")
    body["entry"][0]["messaging"][0].update(changes)
    return json.dumps(body).encode()


def _telegram_message(**changes: Any) -> bytes:
    body = _fixture("telegram_bot", "update-text")
    body["message"].update(changes)
    return json.dumps({k: v for k, v in body.items() if v is not None}).encode()


def _line_event(**changes: Any) -> bytes:
    body = _fixture("line", "webhook-text")
    body["events"][0].update(changes)
    return json.dumps(body).encode()


def _without(body: Any, *path: str | int) -> bytes:
    node = body
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]
    return json.dumps(body).encode()


MALFORMED = [
    ("messenger", _messenger_item(message={"text": "no mid"}), "messaging.0.message.mid"),
    ("messenger", _messenger_item(timestamp="yesterday"), "messaging.0.timestamp"),
    ("messenger", _messenger_item(timestamp=10**20), "messaging.0.timestamp"),
    ("messenger", _messenger_item(reaction={"mid": "m_1", "action": "explode"}), "action"),
    ("messenger", _messenger_item(delivery={"mids": ["m_1"]}), "delivery.watermark"),
    ("messenger", b'{"object": "page", "entry": {"id": "1"}}', "entry"),
    (
        "instagram",
        _without(_fixture("instagram", "webhook-image"), "entry", 0, "messaging", 0, "sender"),
        "a message needs sender.id",
    ),
    (
        "instagram",
        b'{"object": "instagram", "entry": [{"id": "1", "changes": [{"field": "messages",'
        b' "value": {"timestamp": 1, "message": {"text": "no mid"}}}]}]}',
        "entry.0.messaging_changes.0.message.mid",
    ),
    ("instagram", b'{"object": "instagram", "entry": [{"messaging": []}]}', "entry.0.id"),
    (  # found by the property test below: an unhashable ``field`` crashed the parser
        "instagram",
        b'{"object": "instagram", "entry": [{"id": "1", "changes": [{"field": {}}],'
        b' "messaging": "x"}]}',
        "entry.0.messaging",
    ),
    ("telegram_bot", _without(_fixture("telegram_bot", "update-text"), "message", "chat"), "chat"),
    ("telegram_bot", b'{"update_id": "twelve"}', "update_id"),
    ("telegram_bot", _telegram_message(photo={"file_id": "x"}), "message.photo"),
    ("telegram_bot", _telegram_message(date=-5), "message.date"),
    (
        "telegram_bot",
        _telegram_message(text=None, location={"latitude": float("nan"), "longitude": 1.0}),
        "message.location.latitude",
    ),
    ("telegram_bot", _telegram_message(venue={"title": "no location"}), "message.venue"),
    ("line", _line_event(message={"type": "text", "id": "1"}), "has no 'text'"),
    ("line", _line_event(message={"type": "location", "id": "1"}), "has no coordinates"),
    ("line", _line_event(source=None), "has no source id"),
    ("line", _line_event(timestamp=10**19), "events.0.timestamp"),
    ("line", b'{"destination": "U1", "events": {}}', "events"),
    ("line", _line_event(unsend={"messageId": "9" * 101}, type="unsend"), "unsend.messageId"),
]


@pytest.mark.parametrize(
    ("slug", "body", "where"),
    MALFORMED,
    ids=[f"{slug}-{n}" for n, (slug, _, _) in enumerate(MALFORMED)],
)
def test_malformed_documented_field_exits_4_naming_it(slug: str, body: bytes, where: str) -> None:
    code, records, err = check(slug, body)
    assert (code, records) == (4, []), err
    assert where in err
    assert "Traceback" not in err


# ---------------------------------------------------------------- random bodies never crash

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=25,
)
# Keys the parsers read, so random objects often reach past the top level.
KEYS = st.sampled_from(
    [
        "object", "entry", "id", "time", "messaging", "standby", "sender", "recipient",
        "timestamp", "message", "mid", "text", "attachments", "type", "payload", "url",
        "reply_to", "story", "reaction", "read", "delivery", "postback", "message_edit",
        "is_echo", "is_deleted", "update_id", "edited_message", "chat", "date", "photo",
        "sticker", "location", "venue", "contact", "poll", "dice", "message_reaction",
        "destination", "events", "source", "userId", "unsend", "messageId", "latitude",
        "longitude", "contentProvider", "mode", "deliveryContext", "watermark", "mids",
    ]
)  # fmt: skip
NEAR_JSON = st.recursive(
    JSON, lambda children: st.dictionaries(KEYS, children, max_size=6), max_leaves=40
)


def _parse_or_refuse(slug: str, body: bytes) -> None:
    """The parser's whole contract: events that serialise, or InvalidInput."""
    harness: Harness = HARNESSES[slug]
    request = WebhookRequest("POST", harness.sign(body), {}, body)
    try:
        events = harness.adapter.parse(harness.account(), request)
    except InvalidInput as exc:
        assert slug.split("_")[0] in exc.message
        return
    for event in events:
        json.dumps(event_record(event), ensure_ascii=False)


@pytest.mark.parametrize("slug", PLATFORMS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=NEAR_JSON)
def test_random_json_never_crashes_a_parser(slug: str, value: Any) -> None:
    _parse_or_refuse(slug, json.dumps(value).encode())


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, child in node.items():
            found.extend(_paths(child, (*prefix, key)))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found.extend(_paths(child, (*prefix, index)))
    return found


SAMPLES = [(slug, path) for slug in PLATFORMS for path in _bodies(slug)]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_documented_payload_with_one_field_replaced_never_crashes(data: st.DataObject) -> None:
    """A real payload with any one field swapped for random JSON: accepted or a clean 400."""
    slug, path = data.draw(st.sampled_from(SAMPLES))
    body = json.loads(path.read_text())
    where = data.draw(st.sampled_from(_paths(body)))
    node = body
    for part in where[:-1]:
        node = node[part]
    node[where[-1]] = data.draw(NEAR_JSON)
    _parse_or_refuse(slug, json.dumps(body).encode())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(slug=st.sampled_from(PLATFORMS), value=NEAR_JSON)
def test_cli_on_random_json_exits_0_or_4(slug: str, value: Any) -> None:
    code, _, err = check(slug, json.dumps(value).encode())
    assert code in (0, 4), err
    assert "Traceback" not in err


@pytest.mark.parametrize("slug", PLATFORMS)
def test_deeply_nested_body_is_a_clean_refusal(slug: str) -> None:
    deep = b'{"a": ' * 5000 + b"1" + b"}" * 5000
    code, _, err = check(slug, deep)
    assert code == 4, err


# ---------------------------------------------------------------- through the HTTP webhook

ACCOUNT_SECRETS = {
    "messenger": {"app_secret": SECRET, "verify_token": "v", "access_token": "EAAP-x"},
    "instagram": {"app_secret": SECRET, "verify_token": "v", "access_token": "IGAA-x"},
    "telegram_bot": {"bot_token": "7012345678:AAFake", "webhook_secret": SECRET},
    "line": {"channel_secret": SECRET, "channel_access_token": "line-token"},
}
# (platform, a newly covered message type, an ignored documented event, stored messages)
WEBHOOK_CASES = [
    ("messenger", "webhook-standby", "webhook-policy-enforcement", 2),
    ("instagram", "webhook-story-reply", "webhook-referral", 1),
    ("telegram_bot", "update-sticker", "update-my-chat-member-blocked", 1),
    ("line", "webhook-standby", "webhook-member-joined", 1),
]


@pytest.fixture
async def web(services: Services) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    """The web app with one account per platform; yields the client and account ids."""
    world = await build_world(services)
    ids: dict[str, str] = {}
    async with transaction(services.sessionmaker) as session:
        for slug in PLATFORMS:
            account = await create_account(
                services,
                session,
                world.workspace_id,
                kind=ChannelKind(slug),
                name=f"{slug} shop",
                external_id=HARNESSES[slug].external_id,
                team_id=world.team_a,
                config={},
                secrets=ACCOUNT_SECRETS[slug],
                actor=audit.SYSTEM,
            )
            ids[slug] = account.id
    async with asgi_client(create_app(services.settings, services=services)) as client:
        yield client, ids


async def _post(
    client: httpx.AsyncClient, slug: str, account_id: str, body: bytes
) -> httpx.Response:
    return await client.post(
        f"/webhooks/{slug}/{account_id}",
        content=body,
        headers={"content-type": "application/json", **_harness_sign(slug, SECRET)(body)},
        timeout=10.0,
    )


async def _messages(services: Services, account_id: str) -> int:
    async with services.read_sessionmaker() as session:
        query = select(func.count()).select_from(Message).where(Message.account_id == account_id)
        return int(await session.scalar(query) or 0)


@pytest.mark.parametrize(
    ("slug", "new_type", "ignored", "stored"), WEBHOOK_CASES, ids=[c[0] for c in WEBHOOK_CASES]
)
async def test_webhook_stores_a_new_type_once_and_accepts_ignored_events(
    web: tuple[httpx.AsyncClient, dict[str, str]],
    services: Services,
    slug: str,
    new_type: str,
    ignored: str,
    stored: int,
) -> None:
    client, ids = web
    account_id = ids[slug]
    body = (FIXTURES / slug / f"{new_type}.json").read_bytes()
    first = await _post(client, slug, account_id, body)
    assert first.status_code == 200, first.text
    assert first.json()["stored"] == stored
    # The platform retries (re-serialised, as a redelivery may be): stored once.
    again = await _post(client, slug, account_id, json.dumps(json.loads(body)).encode())
    assert again.status_code == 200, again.text
    assert again.json()["stored"] == 0
    assert await _messages(services, account_id) == stored

    quiet = await _post(
        client, slug, account_id, (FIXTURES / slug / f"{ignored}.json").read_bytes()
    )
    assert quiet.status_code == 200, quiet.text
    assert quiet.json() == {"stored": 0, "duplicates": 0, "statuses": 0}

    broken = await _post(client, slug, account_id, b'{"entry": 5, "events": 5, "update_id": "x"}')
    assert broken.status_code == 400
    forged = await client.post(
        f"/webhooks/{slug}/{account_id}",
        content=body,
        headers={"content-type": "application/json", **_harness_sign(slug, "wrong")(body)},
    )
    assert forged.status_code in (401, 403)
    assert await _messages(services, account_id) == stored


async def test_line_redelivery_of_a_stored_message_is_not_stored_again(
    web: tuple[httpx.AsyncClient, dict[str, str]], services: Services
) -> None:
    """``deliveryContext.isRedelivery`` bodies carry the original message id."""
    client, ids = web
    original = (FIXTURES / "line" / "webhook-text.json").read_bytes()
    redelivered = (FIXTURES / "line" / "webhook-redelivery.json").read_bytes()
    assert (await _post(client, "line", ids["line"], original)).json()["stored"] == 1
    reply = await _post(client, "line", ids["line"], redelivered)
    assert reply.status_code == 200
    assert reply.json()["stored"] == 0
    assert await _messages(services, ids["line"]) == 1
    verify = await _post(client, "line", ids["line"], b'{"destination": "U1", "events": []}')
    assert verify.status_code == 200


@pytest.mark.parametrize(
    ("slug", "name"),
    [("telegram_bot", "update-large-video"), ("instagram", "webhook-long-mid-reaction")],
)
async def test_webhook_stores_values_at_the_edge_of_the_columns(
    web: tuple[httpx.AsyncClient, dict[str, str]], services: Services, slug: str, name: str
) -> None:
    """A 3 GB Telegram video (size beyond a 32-bit column) and a reaction to a 190-character
    Instagram mid (an id beyond 200 characters) are stored, on PostgreSQL too."""
    client, ids = web
    reply = await _post(client, slug, ids[slug], (FIXTURES / slug / f"{name}.json").read_bytes())
    assert reply.status_code == 200, reply.text
    assert reply.json()["stored"] == 1
    assert await _messages(services, ids[slug]) == 1
