"""Documented WhatsApp Cloud API webhook payloads, end to end.

Every fixture under tests/fixtures/channels/whatsapp is a body written from Meta's webhook
reference (fake ids) with the events it must yield. Each goes through ``crossdesk channels
check whatsapp`` signed with the real scheme (X-Hub-Signature-256, HMAC-SHA256 of the raw
body with the app secret): exit 0 and exactly those events (a documented event the product
does not use prints nothing), exit 3 when the signature is wrong or missing, exit 4 naming
the field when a documented field has the wrong type. Random and mutated bodies never crash
the parser, and through the HTTP webhook a new message type is stored once.
"""

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from tests.contracts.harness import FIXTURES, HARNESSES, expected_events
from tests.factories import asgi_client, build_world
from typer.testing import CliRunner

from crossdesk.actions.accounts import create_account
from crossdesk.channels.base import WebhookRequest
from crossdesk.channels.meta.signature import sign
from crossdesk.cli.channels import app as cli_app
from crossdesk.cli.channels import event_record
from crossdesk.db.models import Message
from crossdesk.db.session import transaction
from crossdesk.domain import ChannelKind
from crossdesk.errors import InvalidInput
from crossdesk.risk import audit
from crossdesk.services import Services
from crossdesk.web.app import create_app

SECRET = "wa-cov-Secret_42"
DIR = FIXTURES / "whatsapp"
runner = CliRunner()


def _bodies() -> list[Path]:
    return sorted(
        p
        for p in DIR.glob("webhook-*.json")
        if ".events." not in p.name and p.with_name(p.stem + ".events.json").exists()
    )


BODIES = _bodies()


def check(body: bytes, secret: str = SECRET, *, signed: bool = True) -> tuple[int, list[Any], str]:
    """``crossdesk channels check whatsapp`` on one raw body (Any: JSON records)."""
    args = ["check", "whatsapp", "--secret", SECRET]
    if signed:
        args += ["--header", f"X-Hub-Signature-256: {sign(secret, body)}"]
    result = runner.invoke(cli_app, args, input=body)
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result.exit_code, lines, result.stderr


def _fixture(name: str) -> Any:  # Any: JSON
    return json.loads((DIR / f"{name}.json").read_text())


# ---------------------------------------------------------------- coverage of the reference


def _message_types() -> set[str]:
    found: set[str] = set()
    for path in BODIES:
        for entry in json.loads(path.read_text())["entry"]:
            for change in entry["changes"]:
                value = change["value"]
                for item in (*value.get("messages", ()), *value.get("message_echoes", ())):
                    found.add(item["type"])
    return found


def _fields() -> set[str]:
    return {
        change["field"]
        for path in BODIES
        for entry in json.loads(path.read_text())["entry"]
        for change in entry["changes"]
    }


def test_fixtures_cover_the_documented_payloads() -> None:
    """The suites below are only as good as the payloads: keep them broad."""
    assert len(BODIES) >= 50
    assert len([p for p in BODIES if not expected_events(p)]) >= 10  # accepted, ignored
    assert _message_types() >= {
        "text", "image", "video", "audio", "document", "sticker", "location", "contacts",
        "interactive", "button", "reaction", "order", "system", "unsupported", "unknown",
        "edit", "revoke", "request_welcome",
    }  # fmt: skip
    assert _fields() >= {
        "messages", "smb_message_echoes", "message_template_status_update",
        "phone_number_quality_update", "account_update", "template_category_update",
        "user_preferences", "history", "smb_app_state_sync",
    }  # fmt: skip


@pytest.mark.parametrize("path", [pytest.param(p, id=p.stem) for p in BODIES])
def test_documented_payload_through_the_cli(path: Path) -> None:
    body = path.read_bytes()
    code, records, err = check(body)
    assert code == 0, err
    expected = expected_events(path)
    assert len(records) == len(expected), records
    for record, want in zip(records, expected, strict=True):
        for key, value in want.items():
            if key == "attachments":
                assert len(record["attachments"]) == len(value), record
                for got, spec in zip(record["attachments"], value, strict=True):
                    assert {k: got.get(k) for k in spec} == spec, record
            else:
                assert record.get(key) == value, (key, record)
        if record["kind"] in ("message", "echo"):  # a message always has something to show
            assert record["text"] or record["attachments"], record
    # The same body with a wrong or no signature is refused before it is parsed.
    assert check(body, secret="not-the-app-secret")[:2] == (3, [])
    assert check(body, signed=False)[:2] == (3, [])


def test_another_numbers_change_is_not_filed_on_this_account() -> None:
    """One app callback gets every number of the app: the account keeps only its own."""
    harness = HARNESSES["whatsapp"]
    body = _fixture("webhook-text")
    body["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "998877665544332"
    raw = json.dumps(body).encode()
    request = WebhookRequest("POST", harness.sign(raw), {}, raw)
    assert harness.adapter.parse(harness.account(), request) == []
    own = (DIR / "webhook-text.json").read_bytes()
    request = WebhookRequest("POST", harness.sign(own), {}, own)
    assert len(harness.adapter.parse(harness.account(), request)) == 1


# ---------------------------------------------------------------- malformed bodies: exit 4


def _message(name: str = "webhook-text", **changes: Any) -> bytes:
    body = _fixture(name)
    body["entry"][0]["changes"][0]["value"]["messages"][0].update(changes)
    return json.dumps(body).encode()


def _without_in_message(field: str, name: str = "webhook-text") -> bytes:
    body = _fixture(name)
    del body["entry"][0]["changes"][0]["value"]["messages"][0][field]
    return json.dumps(body).encode()


def _status(**changes: Any) -> bytes:
    body = _fixture("webhook-status-failed")
    body["entry"][0]["changes"][0]["value"]["statuses"][0].update(changes)
    return json.dumps(body).encode()


def _value(name: str, **changes: Any) -> bytes:
    body = _fixture(name)
    body["entry"][0]["changes"][0]["value"].update(changes)
    return json.dumps(body).encode()


def _echo_without_to() -> bytes:
    body = _fixture("webhook-smb-echo")
    del body["entry"][0]["changes"][0]["value"]["message_echoes"][0]["to"]
    return json.dumps(body).encode()


NAN_LOCATION = _message("webhook-location", location={"latitude": float("nan"), "longitude": 1.0})
INF_PRICE = _message(
    "webhook-order",
    order={"product_items": [{"product_retailer_id": "x", "quantity": 1, "item_price": 1e999}]},
)

MALFORMED = [
    ("no-id", _without_in_message("id"), "messages.0.id"),
    ("timestamp-word", _message(timestamp="yesterday"), "messages.0.timestamp"),
    ("timestamp-huge", _message(timestamp=str(10**20)), "messages.0.timestamp"),
    ("timestamp-negative", _message(timestamp="-5"), "messages.0.timestamp"),
    ("id-too-long", _message(id="wamid." + "A" * 200), "messages.0.id"),
    ("from-too-long", _message(**{"from": "4" * 201}), "messages.0.from"),
    ("no-sender", _without_in_message("from"), "has no 'from' nor 'from_user_id'"),
    ("text-not-object", _message(text="hi"), "messages.0.text"),
    ("image-missing", _message(type="image"), "has no 'image' object"),
    ("image-without-id", _message(type="image", image={"mime_type": "image/jpeg"}), "image.id"),
    ("interactive-missing", _message(type="interactive"), "has no 'interactive' object"),
    ("order-missing", _message(type="order"), "has no 'order' object"),
    ("edit-missing", _message(type="edit"), "has no 'edit' object"),
    ("revoke-without-id", _message(type="revoke", revoke={}), "revoke.original_message_id"),
    ("reaction-without-target", _message(type="reaction", reaction={"emoji": "x"}), "message_id"),
    ("location-nan", NAN_LOCATION, "messages.0.location.latitude"),
    ("order-infinity", INF_PRICE, "item_price"),
    (
        "order-quantity-huge",
        _message("webhook-order", order={"product_items": [{"quantity": 10**30}]}),
        "order.product_items.0.quantity",
    ),
    ("status-without-id", _status(id=None), "statuses.0.id"),
    ("status-code-word", _status(errors=[{"code": "abc"}]), "statuses.0.errors.0.code"),
    ("status-timestamp-huge", _status(timestamp=str(10**15)), "statuses.0.timestamp"),
    ("no-metadata", _value("webhook-text", metadata=None), "metadata"),
    ("messages-not-list", _value("webhook-text", messages={"id": "x"}), "messages"),
    ("echo-without-to", _echo_without_to(), "has no 'to' nor 'to_user_id'"),
    ("wrong-object", b'{"object": "page", "entry": []}', "must be 'whatsapp_business_account'"),
    ("entry-not-list", b'{"object": "whatsapp_business_account", "entry": {}}', "entry"),
    (
        "value-not-object",
        b'{"object": "whatsapp_business_account", "entry": [{"id": "1", "changes":'
        b' [{"field": "messages", "value": []}]}]}',
        "entry.0.changes.0.value",
    ),
    (
        "field-not-string",
        b'{"object": "whatsapp_business_account", "entry": [{"id": "1", "changes":'
        b' [{"field": {}, "value": {}}]}]}',
        "entry.0.changes.0.field",
    ),
    ("not-json", b"{'object': 'whatsapp_business_account'}", "not valid JSON"),
]


@pytest.mark.parametrize(
    ("body", "where"), [(b, w) for _, b, w in MALFORMED], ids=[n for n, _, _ in MALFORMED]
)
def test_malformed_documented_field_exits_4_naming_it(body: bytes, where: str) -> None:
    code, records, err = check(body)
    assert (code, records) == (4, []), err
    assert where in err
    assert "Traceback" not in err


def test_deeply_nested_body_is_a_clean_refusal() -> None:
    deep = b'{"a": ' * 5000 + b"1" + b"}" * 5000
    code, _, err = check(deep)
    assert code == 4, err


# ---------------------------------------------------------------- random bodies never crash

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()  # NaN and Infinity included: they must be refused, not stored
    | st.text(max_size=12)
)
KEYS = st.sampled_from(
    [
        "object", "entry", "id", "changes", "field", "value", "messaging_product", "metadata",
        "phone_number_id", "contacts", "wa_id", "user_id", "profile", "name", "messages",
        "statuses", "message_echoes", "from", "from_user_id", "to", "timestamp", "type",
        "text", "body", "image", "video", "audio", "document", "sticker", "location",
        "latitude", "longitude", "reaction", "message_id", "emoji", "interactive",
        "button_reply", "list_reply", "nfm_reply", "title", "button", "order",
        "product_items", "quantity", "system", "errors", "code", "status", "context",
        "edit", "revoke", "original_message_id", "unsupported", "referral", "mime_type",
        "filename", "url", "caption",
    ]
)  # fmt: skip
NEAR_JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=6),
    max_leaves=40,
)


def _parse_or_refuse(body: bytes) -> None:
    """The parser's whole contract: events that serialise, or InvalidInput naming WhatsApp."""
    harness = HARNESSES["whatsapp"]
    request = WebhookRequest("POST", harness.sign(body), {}, body)
    try:
        events = harness.adapter.parse(harness.account(), request)
    except InvalidInput as exc:
        assert "whatsapp" in exc.message
        return
    for event in events:
        json.dumps(event_record(event), ensure_ascii=False, allow_nan=False)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=NEAR_JSON)
def test_random_json_never_crashes_the_parser(value: Any) -> None:
    _parse_or_refuse(json.dumps(value).encode())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages=st.lists(st.dictionaries(KEYS, NEAR_JSON, max_size=8), max_size=3))
def test_random_messages_in_a_real_envelope_never_crash(messages: list[Any]) -> None:
    body = _fixture("webhook-text")
    body["entry"][0]["changes"][0]["value"]["messages"] = messages
    _parse_or_refuse(json.dumps(body).encode())


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, child in node.items():
            found.extend(_paths(child, (*prefix, key)))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found.extend(_paths(child, (*prefix, index)))
    return found


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_documented_payload_with_one_field_replaced_never_crashes(data: st.DataObject) -> None:
    """A real payload with any one field swapped for random JSON: accepted or a clean 400."""
    path = data.draw(st.sampled_from(BODIES))
    body = json.loads(path.read_text())
    where = data.draw(st.sampled_from(_paths(body)))
    node = body
    for part in where[:-1]:
        node = node[part]
    node[where[-1]] = data.draw(NEAR_JSON)
    _parse_or_refuse(json.dumps(body).encode())


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=NEAR_JSON)
def test_cli_on_random_json_exits_0_or_4(value: Any) -> None:
    code, _, err = check(json.dumps(value).encode())
    assert code in (0, 4), err
    assert "Traceback" not in err


# ---------------------------------------------------------------- through the HTTP webhook


@pytest.fixture
async def web(services: Services) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """The web app with one WhatsApp Cloud API account; yields the client and account id."""
    world = await build_world(services)
    async with transaction(services.sessionmaker) as session:
        account = await create_account(
            services,
            session,
            world.workspace_id,
            kind=ChannelKind.WHATSAPP,
            name="whatsapp shop",
            external_id=HARNESSES["whatsapp"].external_id,
            team_id=world.team_a,
            config={},
            secrets={"app_secret": SECRET, "verify_token": "v", "access_token": "EAAG-x"},
            actor=audit.SYSTEM,
        )
    async with asgi_client(create_app(services.settings, services=services)) as client:
        yield client, account.id


async def _post(client: httpx.AsyncClient, account_id: str, body: bytes) -> httpx.Response:
    return await client.post(
        f"/webhooks/whatsapp/{account_id}",
        content=body,
        headers={"content-type": "application/json", "X-Hub-Signature-256": sign(SECRET, body)},
        timeout=10.0,
    )


async def _messages(services: Services, account_id: str) -> int:
    async with services.read_sessionmaker() as session:
        query = select(func.count()).select_from(Message).where(Message.account_id == account_id)
        return int(await session.scalar(query) or 0)


# (a newly covered type, messages it stores)
NEW_TYPES = [
    ("webhook-order", 1),
    ("webhook-interactive-nfm-reply", 1),
    ("webhook-sticker-animated", 1),
    ("webhook-unknown-errors", 1),
    ("webhook-batch", 3),
    ("webhook-long-filename", 1),
    ("webhook-bsuid-no-phone", 1),
]


@pytest.mark.parametrize(("name", "stored"), NEW_TYPES, ids=[n for n, _ in NEW_TYPES])
async def test_webhook_stores_a_new_type_once(
    web: tuple[httpx.AsyncClient, str], services: Services, name: str, stored: int
) -> None:
    client, account_id = web
    body = (DIR / f"{name}.json").read_bytes()
    first = await _post(client, account_id, body)
    assert first.status_code == 200, first.text
    assert first.json()["stored"] == stored
    # Meta retries (re-serialised, as a redelivery may be): stored once.
    again = await _post(client, account_id, json.dumps(json.loads(body)).encode())
    assert again.status_code == 200, again.text
    assert again.json()["stored"] == 0
    assert await _messages(services, account_id) == stored


async def test_webhook_accepts_ignored_events_and_refuses_broken_or_forged_ones(
    web: tuple[httpx.AsyncClient, str], services: Services
) -> None:
    client, account_id = web
    for name in (
        "webhook-phone-quality",
        "webhook-account-update",
        "webhook-template-category",
        "webhook-user-preferences",
        "webhook-history",
        "webhook-request-welcome",
        "webhook-status-deleted",
    ):
        quiet = await _post(client, account_id, (DIR / f"{name}.json").read_bytes())
        assert quiet.status_code == 200, (name, quiet.text)
        assert quiet.json() == {"stored": 0, "duplicates": 0, "statuses": 0}, name
    broken = await _post(client, account_id, _message(timestamp="yesterday"))
    assert broken.status_code == 400
    body = (DIR / "webhook-order.json").read_bytes()
    forged = await client.post(
        f"/webhooks/whatsapp/{account_id}",
        content=body,
        headers={"content-type": "application/json", "X-Hub-Signature-256": sign("x", body)},
    )
    assert forged.status_code in (401, 403)
    assert await _messages(services, account_id) == 0


def _status_for(name: str, message_id: str) -> bytes:
    body = _fixture(name)
    body["entry"][0]["changes"][0]["value"]["statuses"][0]["id"] = message_id
    return json.dumps(body).encode()


async def _stored_echo(client: httpx.AsyncClient, services: Services, account_id: str) -> Message:
    """An outbound message we know (a coexistence echo, stored as sent)."""
    echo = (DIR / "webhook-smb-echo.json").read_bytes()
    assert (await _post(client, account_id, echo)).json()["stored"] == 1
    async with services.read_sessionmaker() as session:
        row = await session.scalar(select(Message).where(Message.account_id == account_id))
    assert row is not None and row.status == "sent"
    return row


async def test_webhook_applies_statuses_forward_only(
    web: tuple[httpx.AsyncClient, str], services: Services
) -> None:
    client, account_id = web
    await _stored_echo(client, services, account_id)
    steps = [
        ("webhook-status-delivered-pricing", 1),  # conversation and pricing objects accepted
        ("webhook-status-sent", 0),  # a late "sent" never overwrites "delivered"
        ("webhook-status-played", 1),  # a voice message played: read
        ("webhook-status-deleted", 0),
    ]
    for name, moved in steps:
        reply = await _post(client, account_id, _status_for(name, "wamid.ECHO1"))
        assert reply.status_code == 200, reply.text
        assert reply.json()["statuses"] == moved, name
    async with services.read_sessionmaker() as session:
        row = await session.scalar(select(Message).where(Message.account_id == account_id))
    assert row is not None and row.status == "read"


async def test_webhook_marks_a_sent_message_failed_with_its_reason(
    web: tuple[httpx.AsyncClient, str], services: Services
) -> None:
    """A message that fails after the send API took it says why (the reason a refused send
    would give)."""
    client, account_id = web
    await _stored_echo(client, services, account_id)
    reply = await _post(
        client, account_id, _status_for("webhook-status-failed-window", "wamid.ECHO1")
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["statuses"] == 1
    async with services.read_sessionmaker() as session:
        row = await session.scalar(select(Message).where(Message.account_id == account_id))
    assert row is not None
    assert row.status == "failed"
    assert row.error is not None and row.error.startswith("window_closed: ")
