"""WhatsApp's 24-hour customer-service window: outside it the outbox refuses free text with a
clear state (and maps the platform's own 131047), the composer says so and offers the
account's approved templates (Graph ``message_templates``), and a template with parameters
goes out as ``type=template`` through the outbox; all against the fake Graph API."""

import re
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update
from tests.factories import PASSWORD, DemoWorld, inbound, receive
from tests.fakes.platforms.graph import FakeGraphApi
from tests.fakes.platforms.server import RunningServer

from crossdesk.actions.accounts import create_account
from crossdesk.actions.identity import principal_for
from crossdesk.actions.send_reply import send_reply
from crossdesk.actions.whatsapp_templates import list_templates, send_template
from crossdesk.db.base import utcnow
from crossdesk.db.models import Conversation, Message, OutboundMetadata
from crossdesk.db.session import transaction
from crossdesk.domain import ChannelKind, MessageStatus
from crossdesk.errors import InvalidInput
from crossdesk.risk import audit
from crossdesk.services import Services
from crossdesk.workers.delivery import DeliveryWorker

PHONE_ID = "112233445566778"
WABA_ID = "102290129340398"
TOKEN = "EAAG-window-token"
CUSTOMER = "819012345678"
TEMPLATES = [
    {
        "name": "order_update",
        "language": "en_US",
        "status": "APPROVED",
        "category": "UTILITY",
        "id": "1",
        "components": [{"type": "BODY", "text": "Hi {{1}}, your order {{2}} has shipped."}],
    },
    {
        "name": "follow_up",
        "language": "es",
        "status": "APPROVED",
        "category": "MARKETING",
        "id": "2",
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "Hola"},
            {"type": "BODY", "text": "¿Podemos ayudarte con algo más?"},
        ],
    },
    {
        "name": "rejected_one",
        "language": "en_US",
        "status": "REJECTED",
        "category": "MARKETING",
        "id": "3",
        "components": [{"type": "BODY", "text": "no"}],
    },
    {
        "name": "with_image",
        "language": "en_US",
        "status": "APPROVED",
        "category": "MARKETING",
        "id": "4",
        "components": [
            {"type": "HEADER", "format": "IMAGE"},
            {"type": "BODY", "text": "New arrivals"},
        ],
    },
]


@pytest.fixture(scope="module")
def graph_server() -> Iterator[tuple[FakeGraphApi, str]]:
    fake = FakeGraphApi()
    server = RunningServer(fake.app).start()
    try:
        yield fake, server.base_url
    finally:
        server.stop()


@pytest.fixture
def graph(graph_server: tuple[FakeGraphApi, str]) -> tuple[FakeGraphApi, str]:
    fake, base = graph_server
    fake.reset()
    fake.add_node(PHONE_ID, TOKEN, "whatsapp")
    fake.add_node(WABA_ID, TOKEN, "whatsapp")
    fake.templates[WABA_ID] = [dict(t) for t in TEMPLATES]
    fake.phone_waba[PHONE_ID] = WABA_ID
    return fake, base


async def _setup(services: Services, world: DemoWorld, base: str, hours_ago: float) -> str:
    """A WhatsApp account and a conversation whose customer wrote ``hours_ago`` hours ago."""
    async with transaction(services.sessionmaker) as session:
        account = await create_account(
            services,
            session,
            world.workspace_id,
            kind=ChannelKind.WHATSAPP,
            name="WA shop",
            external_id=PHONE_ID,
            team_id=world.team_a,
            config={"api_base_url": base, "waba_id": WABA_ID},
            secrets={"access_token": TOKEN, "app_secret": "s", "verify_token": "v"},
            actor=audit.SYSTEM,
        )
    await receive(services, account, inbound("Hola, ¿y mi pedido?", sender=CUSTOMER))
    async with transaction(services.sessionmaker) as session:
        conversation = await session.scalar(
            select(Conversation).where(Conversation.account_id == account.id)
        )
        assert conversation is not None
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation.id)
            .values(last_inbound_at=utcnow() - timedelta(hours=hours_ago))
        )
        return conversation.id


async def _reply(services: Services, world: DemoWorld, conversation_id: str, text: str) -> str:
    async with services.sessionmaker() as session:
        supervisor = await principal_for(session, world.users["supervisor"])
        conversation = await session.get(Conversation, conversation_id)
        assert conversation is not None
        sent = await send_reply(
            services,
            session,
            supervisor,
            conversation,
            text,
            idempotency_key=None,
            actor=audit.SYSTEM,
            allow_untranslated=True,
        )
        return sent.message.id


async def _message(services: Services, message_id: str) -> Message:
    async with services.read_sessionmaker() as session:
        message = await session.get(Message, message_id)
        assert message is not None
        return message


def _client(_account: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=10.0)


async def test_free_text_outside_the_window_is_refused_before_the_platform(
    services: Services, world: DemoWorld, graph: tuple[FakeGraphApi, str]
) -> None:
    fake, base = graph
    conversation_id = await _setup(services, world, base, hours_ago=25)
    message_id = await _reply(services, world, conversation_id, "Any news?")
    await DeliveryWorker(services).run_once()
    message = await _message(services, message_id)
    assert message.status == MessageStatus.FAILED.value
    assert message.error is not None and message.error.startswith("window_closed")
    assert [r for r in fake.requests if r.path.endswith("/messages")] == []


async def test_the_platforms_own_window_refusal_is_mapped(
    services: Services, world: DemoWorld, graph: tuple[FakeGraphApi, str]
) -> None:
    fake, base = graph
    conversation_id = await _setup(services, world, base, hours_ago=1)
    fake.window_closed.add(CUSTOMER)  # the platform's clock disagrees with ours
    message_id = await _reply(services, world, conversation_id, "Any news?")
    await DeliveryWorker(services).run_once()
    message = await _message(services, message_id)
    assert message.status == MessageStatus.FAILED.value
    assert message.error is not None and "131047" in message.error


async def test_templates_are_listed_and_sent_with_parameters(
    services: Services, world: DemoWorld, graph: tuple[FakeGraphApi, str]
) -> None:
    fake, base = graph
    conversation_id = await _setup(services, world, base, hours_ago=30)
    async with services.read_sessionmaker() as session:
        supervisor = await principal_for(session, world.users["supervisor"])
    templates = await list_templates(services, supervisor, conversation_id, _client)
    # Every approved one, including a media header (the agent then uploads its file).
    assert [(t.name, t.language, t.parameters, t.header_format) for t in templates] == [
        ("follow_up", "es", 0, None),
        ("order_update", "en_US", 2, None),
        ("with_image", "en_US", 0, "IMAGE"),
    ]
    with pytest.raises(InvalidInput):
        await send_template(
            services,
            supervisor,
            conversation_id,
            "order_update|en_US",
            ["Ana"],
            audit.SYSTEM,
            _client,
        )
    message = await send_template(
        services,
        supervisor,
        conversation_id,
        "order_update|en_US",
        ["Ana", "#1042"],
        audit.SYSTEM,
        _client,
    )
    assert message.body_masked.startswith("Hi Ana, your order")
    async with services.read_sessionmaker() as session:
        stored = await session.get(OutboundMetadata, message.id)
        assert stored is not None and "#1042" not in str(stored.data)  # sealed at rest
    await DeliveryWorker(services).run_once()
    sent = await _message(services, message.id)
    assert sent.status == MessageStatus.SENT.value, sent.error
    body = next(r.body for r in fake.requests if r.path.endswith(f"{PHONE_ID}/messages"))
    assert body["type"] == "template"
    assert body["template"] == {
        "name": "order_update",
        "language": {"code": "en_US"},
        "components": [
            {
                "type": "body",
                "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "#1042"}],
            }
        ],
    }


async def test_composer_says_the_window_closed_and_offers_templates(
    app_world: DemoWorld, client: httpx.AsyncClient, graph: tuple[FakeGraphApi, str], app: object
) -> None:
    _, base = graph
    services: Services = app.state.services  # type: ignore[attr-defined]
    conversation_id = await _setup(services, app_world, base, hours_ago=26)
    await client.post(
        "/login", data={"email": app_world.users["supervisor"].email, "password": PASSWORD}
    )
    pane = await client.get(f"/ui/conversations/{conversation_id}")
    assert f'hx-get="/ui/conversations/{conversation_id}/window"' in pane.text
    notice = await client.get(f"/ui/conversations/{conversation_id}/window")
    assert notice.status_code == 200
    assert 'data-state="closed"' in notice.text and "choose-template" in notice.text
    picker = await client.get(f"/ui/conversations/{conversation_id}/templates")
    assert picker.status_code == 200
    assert re.findall(r'data-template="([^"]+)"', picker.text) == [
        "follow_up",
        "order_update",
        "with_image",
    ]
    assert picker.text.count('name="param"') == 2
    assert picker.text.count('name="header_file"') == 1

    # Sending from the picker (htmx form post with the CSRF token) queues the template.
    inbox = await client.get("/ui/inbox")
    csrf = re.search(r'data-csrf="([^"]+)"', inbox.text)
    assert csrf is not None
    sent = await client.post(
        f"/ui/conversations/{conversation_id}/template",
        data={"template": "order_update|en_US", "param": ["Ana", "#7"]},
        headers={"X-CSRF-Token": csrf.group(1), "HX-Request": "true"},
    )
    assert sent.status_code == 200, sent.text
    assert "Hi Ana, your order #7 has shipped." in sent.text

    # Inside the window the notice only says until when.
    async with transaction(services.sessionmaker) as session:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(last_inbound_at=utcnow())
        )
    notice = await client.get(f"/ui/conversations/{conversation_id}/window")
    assert 'data-state="open"' in notice.text


async def test_no_window_notice_for_platforms_without_one(
    app_world: DemoWorld, client: httpx.AsyncClient
) -> None:
    await client.post(
        "/login", data={"email": app_world.users["supervisor"].email, "password": PASSWORD}
    )
    await receive(
        client._transport.app.state.services,  # type: ignore[attr-defined]
        app_world.account_a,
        inbound("hi"),
    )
    async with client._transport.app.state.services.read_sessionmaker() as session:  # type: ignore[attr-defined]
        conversation = await session.scalar(
            select(Conversation).where(Conversation.account_id == app_world.account_a.id)
        )
        assert conversation is not None
    notice = await client.get(f"/ui/conversations/{conversation.id}/window")
    assert notice.status_code == 200 and notice.text.strip() == ""


async def test_a_template_withdrawn_on_the_platform_fails_with_its_reason(
    services: Services, world: DemoWorld, graph: tuple[FakeGraphApi, str]
) -> None:
    fake, base = graph
    conversation_id = await _setup(services, world, base, hours_ago=40)
    async with services.read_sessionmaker() as session:
        supervisor = await principal_for(session, world.users["supervisor"])
    message = await send_template(
        services, supervisor, conversation_id, "follow_up|es", [], audit.SYSTEM, _client
    )
    fake.templates[WABA_ID] = []  # deleted in WhatsApp Manager before the outbox ran
    await DeliveryWorker(services).run_once()
    failed = await _message(services, message.id)
    assert failed.status == MessageStatus.FAILED.value
    assert failed.error is not None and "132001" in failed.error
