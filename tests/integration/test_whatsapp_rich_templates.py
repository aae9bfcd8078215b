"""The composer's template picker with every approved template: NAMED body parameters (asked
for by name, the template's examples as placeholders) and a media HEADER (the agent uploads
the file; it is checked like any outbound file and becomes the message's attachment). Sent
through the UI routes, delivered by the outbox worker to the fake Graph API, which checks
the payload as the Cloud API does (132000 names/count, 132012 header format). SQLite and
PostgreSQL."""

import json
import re
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from tests.factories import PASSWORD, DemoWorld, asgi_client, inbound, receive
from tests.fakes.platforms.graph import FakeGraphApi
from tests.fakes.platforms.server import RunningServer

from crossdesk.actions.accounts import create_account
from crossdesk.db.base import utcnow
from crossdesk.db.models import Attachment, Conversation, Message, OutboundMetadata
from crossdesk.db.session import transaction
from crossdesk.domain import ChannelKind, Direction, MessageStatus
from crossdesk.risk import audit
from crossdesk.services import Services
from crossdesk.web.app import create_app
from crossdesk.workers.attachments import attachments_root
from crossdesk.workers.delivery import DeliveryWorker

PHONE_ID = "106540352242977"
WABA_ID = "102290129340377"
TOKEN = "EAAG-rich-template-token"
CUSTOMER = "819012345677"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
TEMPLATES: list[dict[str, Any]] = [
    {
        "name": "order_named",
        "language": "en_US",
        "status": "APPROVED",
        "category": "UTILITY",
        "parameter_format": "NAMED",
        "id": "21",
        "components": [
            {
                "type": "BODY",
                "text": "Hi {{customer_name}}, order {{order_id}} ships today.",
                "example": {
                    "body_text_named_params": [
                        {"param_name": "customer_name", "example": "Jessica"},
                        {"param_name": "order_id", "example": "SKBUP2-4CPIG9"},
                    ]
                },
            }
        ],
    },
    {
        "name": "new_arrivals",
        "language": "es",
        "status": "APPROVED",
        "category": "MARKETING",
        "parameter_format": "NAMED",
        "id": "22",
        "components": [
            {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["4::aW1n"]}},
            {"type": "BODY", "text": "Hola {{customer_name}}, el modelo {{model}} ya llegó."},
        ],
    },
    {
        "name": "invoice_ready",
        "language": "en_US",
        "status": "APPROVED",
        "category": "UTILITY",
        "id": "23",
        "components": [
            {"type": "HEADER", "format": "DOCUMENT"},
            {
                "type": "BODY",
                "text": "Your invoice {{1}} is attached.",
                "example": {"body_text": [["INV-001"]]},
            },
        ],
    },
    {
        "name": "plain",
        "language": "en_US",
        "status": "APPROVED",
        "category": "UTILITY",
        "id": "24",
        "components": [{"type": "BODY", "text": "Hi {{1}}"}],
    },
    {
        "name": "flash_sale",
        "language": "en_US",
        "status": "APPROVED",
        "category": "MARKETING",
        "parameter_format": "NAMED",
        "id": "25",
        "components": [
            {
                "type": "HEADER",
                "format": "TEXT",
                "text": "{{sale_name}} is here!",
                "example": {
                    "header_text_named_params": [
                        {"param_name": "sale_name", "example": "Black Friday"}
                    ]
                },
            },
            {"type": "BODY", "text": "Use code {{code}} at checkout."},
        ],
    },
    {
        "name": "welcome_back",
        "language": "en_US",
        "status": "APPROVED",
        "category": "MARKETING",
        "id": "26",
        "components": [
            {
                "type": "HEADER",
                "format": "TEXT",
                "text": "Hello {{1}}",
                "example": {"header_text": ["Jessica"]},
            },
            {"type": "BODY", "text": "We missed you."},
        ],
    },
    {
        # Two header parameters: WhatsApp Manager allows one; not offered.
        "name": "two_in_header",
        "language": "en_US",
        "status": "APPROVED",
        "category": "MARKETING",
        "id": "27",
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "{{1}} and {{2}}"},
            {"type": "BODY", "text": "Hi"},
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


@pytest.fixture
async def ui(services: Services, world: DemoWorld) -> AsyncIterator[httpx.AsyncClient]:
    """A supervisor's browser session (logged in), on the test's database backend."""
    async with asgi_client(create_app(services.settings, services=services)) as client:
        await client.post(
            "/login", data={"email": world.users["supervisor"].email, "password": PASSWORD}
        )
        inbox = await client.get("/ui/inbox")
        csrf = re.search(r'data-csrf="([^"]+)"', inbox.text)
        assert csrf is not None
        client.headers.update({"X-CSRF-Token": csrf.group(1), "HX-Request": "true"})
        yield client


async def _conversation(services: Services, world: DemoWorld, base: str) -> str:
    """A WhatsApp conversation whose customer last wrote 30 hours ago (window closed)."""
    async with transaction(services.sessionmaker) as session:
        account = await create_account(
            services,
            session,
            world.workspace_id,
            kind=ChannelKind.WHATSAPP,
            name="WA rich",
            external_id=PHONE_ID,
            team_id=world.team_a,
            config={"api_base_url": base, "waba_id": WABA_ID},
            secrets={"access_token": TOKEN, "app_secret": "s", "verify_token": "v"},
            actor=audit.SYSTEM,
        )
    await receive(services, account, inbound("¿Llegó el modelo A-7?", sender=CUSTOMER))
    async with transaction(services.sessionmaker) as session:
        conversation = await session.scalar(
            select(Conversation).where(Conversation.account_id == account.id)
        )
        assert conversation is not None
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation.id)
            .values(last_inbound_at=utcnow() - timedelta(hours=30))
        )
        return conversation.id


async def _outbound(services: Services) -> list[Message]:
    async with services.read_sessionmaker() as session:
        rows = await session.scalars(
            select(Message).where(Message.direction == Direction.OUTBOUND.value)
        )
        return list(rows.all())


async def _sent_template(fake: FakeGraphApi) -> dict[str, Any]:
    bodies = [r.body for r in fake.requests if r.path.endswith(f"{PHONE_ID}/messages")]
    assert len(bodies) == 1
    body = bodies[0]
    assert isinstance(body, dict) and body["type"] == "template"
    template: dict[str, Any] = body["template"]
    return template


def _stored_files(services: Services) -> list[str]:
    root = attachments_root(services)
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def test_the_picker_offers_every_approved_template(
    services: Services, world: DemoWorld, graph: tuple[FakeGraphApi, str], ui: httpx.AsyncClient
) -> None:
    fake, base = graph
    conversation_id = await _conversation(services, world, base)
    picker = await ui.get(f"/ui/conversations/{conversation_id}/templates")
    assert picker.status_code == 200, picker.text
    assert re.findall(r'data-template="([^"]+)"', picker.text) == [
        "flash_sale",
        "invoice_ready",
        "new_arrivals",
        "order_named",
        "plain",
        "welcome_back",
    ]
    # Graph returns only the fields asked for: parameter_format must be among them.
    listing = next(r for r in fake.requests if r.path.endswith("/message_templates"))
    assert "parameter_format" in listing.query["fields"].split(",")
    forms = dict(re.findall(r'data-template="([^"]+)"(.*?)</form>', picker.text, re.S))
    named = forms["order_named"]
    assert re.findall(r'name="(param[^"]*)"', named) == ["param_customer_name", "param_order_id"]
    assert 'placeholder="Jessica"' in named and 'placeholder="SKBUP2-4CPIG9"' in named
    assert "header_file" not in named and "multipart" not in named
    image = forms["new_arrivals"]
    assert 'hx-encoding="multipart/form-data"' in image
    assert re.search(
        r'type="file" name="header_file" required accept="image/jpeg,image/png"', image
    )
    document = forms["invoice_ready"]
    assert 'accept="application/pdf"' in document
    assert re.findall(r'name="(param[^"]*)"', document) == ["param"]
    assert 'placeholder="INV-001"' in document
    sale = forms["flash_sale"]
    assert "{sale_name}} is here!" in sale
    assert re.findall(r'name="((?:header_)?param[^"]*)"', sale) == ["header_param", "param_code"]
    assert 'placeholder="Black Friday"' in sale
    assert re.findall(r'name="((?:header_)?param[^"]*)"', forms["welcome_back"]) == ["header_param"]


async def test_a_named_template_from_the_composer_is_delivered_with_its_names(
    services: Services, world: DemoWorld, graph: tuple[FakeGraphApi, str], ui: httpx.AsyncClient
) -> None:
    fake, base = graph
    conversation_id = await _conversation(services, world, base)
    sent = await ui.post(
        f"/ui/conversations/{conversation_id}/template",
        # Out of order on purpose: the names decide, not the order of the fields.
        data={
            "template": "order_named|en_US",
            "param_order_id": "#7",
            "param_customer_name": "Ana",
        },
    )
    assert sent.status_code == 200, sent.text
    assert "Hi Ana, order #7 ships today." in sent.text
    (message,) = await _outbound(services)
    async with services.read_sessionmaker() as session:
        stored = await session.get(OutboundMetadata, message.id)
        assert stored is not None
        assert json.loads(stored.data["template_param_names"]) == ["customer_name", "order_id"]
        assert "#7" not in json.dumps(stored.data)  # the values are sealed at rest
    await DeliveryWorker(services).run_once()
    async with services.read_sessionmaker() as session:
        delivered = await session.get(Message, message.id)
        assert delivered is not None
        assert delivered.status == MessageStatus.SENT.value, delivered.error
    assert await _sent_template(fake) == {
        "name": "order_named",
        "language": {"code": "en_US"},
        "components": [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": "Ana", "parameter_name": "customer_name"},
                    {"type": "text", "text": "#7", "parameter_name": "order_id"},
                ],
            }
        ],
    }


async def test_an_image_header_template_uploads_the_file_and_sends_its_id(
    services: Services, world: DemoWorld, graph: tuple[FakeGraphApi, str], ui: httpx.AsyncClient
) -> None:
    fake, base = graph
    conversation_id = await _conversation(services, world, base)
    sent = await ui.post(
        f"/ui/conversations/{conversation_id}/template",
        data={
            "template": "new_arrivals|es",
            "param_customer_name": "Lucía",
            "param_model": "A-7",
        },
        # The browser's claimed type is ignored: the bytes say PNG.
        files={"header_file": ("a7 photo.png", PNG, "application/octet-stream")},
    )
    assert sent.status_code == 200, sent.text
    assert "Hola Lucía, el modelo A-7 ya llegó." in sent.text
    (message,) = await _outbound(services)
    async with services.read_sessionmaker() as session:
        files = list(
            (
                await session.scalars(select(Attachment).where(Attachment.message_id == message.id))
            ).all()
        )
        stored = await session.get(OutboundMetadata, message.id)
    assert [(f.kind, f.content_type, f.filename, f.size) for f in files] == [
        ("image", "image/png", "a7 photo.png", len(PNG))
    ]
    assert stored is not None and stored.data["template_header_format"] == "image"

    await DeliveryWorker(services).run_once()
    async with services.read_sessionmaker() as session:
        delivered = await session.get(Message, message.id)
        assert delivered is not None
        assert delivered.status == MessageStatus.SENT.value, delivered.error
    uploads = [r for r in fake.requests if r.path.endswith(f"{PHONE_ID}/media")]
    assert len(uploads) == 1 and uploads[0].body == {
        "messaging_product": "whatsapp",
        "type": "image/png",
    }
    (media_id,) = fake.uploads
    assert fake.uploads[media_id].data == PNG
    template = await _sent_template(fake)
    assert template["components"] == [
        {"type": "header", "parameters": [{"type": "image", "image": {"id": media_id}}]},
        {
            "type": "body",
            "parameters": [
                {"type": "text", "text": "Lucía", "parameter_name": "customer_name"},
                {"type": "text", "text": "A-7", "parameter_name": "model"},
            ],
        },
    ]


async def test_a_document_header_with_a_numbered_parameter(
    services: Services, world: DemoWorld, graph: tuple[FakeGraphApi, str], ui: httpx.AsyncClient
) -> None:
    fake, base = graph
    conversation_id = await _conversation(services, world, base)
    sent = await ui.post(
        f"/ui/conversations/{conversation_id}/template",
        data={"template": "invoice_ready|en_US", "param": "INV-1042"},
        files={"header_file": ("INV-1042.pdf", PDF, "application/pdf")},
    )
    assert sent.status_code == 200, sent.text
    await DeliveryWorker(services).run_once()
    (message,) = await _outbound(services)
    assert message.status == MessageStatus.SENT.value, message.error
    (media_id,) = fake.uploads
    template = await _sent_template(fake)
    assert template["components"] == [
        {
            "type": "header",
            "parameters": [
                {"type": "document", "document": {"id": media_id, "filename": "INV-1042.pdf"}}
            ],
        },
        {"type": "body", "parameters": [{"type": "text", "text": "INV-1042"}]},
    ]


@pytest.mark.parametrize(
    ("data", "header", "text"),
    [
        (
            {"template": "flash_sale|en_US", "header_param": "Black Friday", "param_code": "BF"},
            {"type": "text", "text": "Black Friday", "parameter_name": "sale_name"},
            "Black Friday is here!\n\nUse code BF at checkout.",
        ),
        (
            {"template": "welcome_back|en_US", "header_param": "Ana"},
            {"type": "text", "text": "Ana"},
            "Hello Ana\n\nWe missed you.",
        ),
    ],
)
async def test_a_text_header_parameter_is_sent_in_the_header(
    services: Services,
    world: DemoWorld,
    graph: tuple[FakeGraphApi, str],
    ui: httpx.AsyncClient,
    data: dict[str, str],
    header: dict[str, str],
    text: str,
) -> None:
    fake, base = graph
    conversation_id = await _conversation(services, world, base)
    sent = await ui.post(f"/ui/conversations/{conversation_id}/template", data=data)
    assert sent.status_code == 200, sent.text
    (message,) = await _outbound(services)
    assert message.body_masked == text
    async with services.read_sessionmaker() as session:
        stored = await session.get(OutboundMetadata, message.id)
        assert stored is not None and data["header_param"] not in json.dumps(stored.data)
    await DeliveryWorker(services).run_once()
    async with services.read_sessionmaker() as session:
        delivered = await session.get(Message, message.id)
        assert delivered is not None
        assert delivered.status == MessageStatus.SENT.value, delivered.error
    components = (await _sent_template(fake))["components"]
    assert components[0] == {"type": "header", "parameters": [header]}
    body = [c for c in components if c["type"] == "body"]
    if "param_code" in data:
        assert body == [
            {
                "type": "body",
                "parameters": [{"type": "text", "text": "BF", "parameter_name": "code"}],
            }
        ]
    else:
        assert body == []


@pytest.mark.parametrize(
    ("data", "files", "field", "words"),
    [
        (
            {"template": "order_named|en_US", "param_customer_name": "Ana"},
            None,
            "param_order_id",
            "{{order_id}} is missing",
        ),
        (
            {
                "template": "order_named|en_US",
                "param_customer_name": "Ana",
                "param_order_id": "  ",
            },
            None,
            "param_order_id",
            "{{order_id}} is missing",
        ),
        (
            {"template": "new_arrivals|es", "param_customer_name": "Ana", "param_model": "A"},
            None,
            "header_file",
            "choose the file",
        ),
        (
            {"template": "new_arrivals|es", "param_customer_name": "Ana", "param_model": "A"},
            {"header_file": ("photo.png", PDF, "image/png")},
            "header_file",
            "must be a JPEG or PNG image; this file is application/pdf",
        ),
        (
            {"template": "invoice_ready|en_US", "param": "INV-1"},
            {"header_file": ("invoice.pdf", PNG, "application/pdf")},
            "header_file",
            "must be a PDF document",
        ),
        (
            {"template": "invoice_ready|en_US", "param": "INV-1"},
            {"header_file": ("invoice.pdf", b"MZ\x90\x00" + bytes(64), "application/pdf")},
            "header_file",
            "header file: programs and scripts cannot be sent",
        ),
        (
            {"template": "plain|en_US", "param": "Ana"},
            {"header_file": ("photo.png", PNG, "image/png")},
            "header_file",
            "has no media header",
        ),
        (
            {"template": "invoice_ready|en_US"},
            {"header_file": ("invoice.pdf", PDF, "application/pdf")},
            "params",
            "takes 1 parameters, got 0",
        ),
        (
            {"template": "flash_sale|en_US", "param_code": "BF"},
            None,
            "header_param",
            "parameter {{sale_name}} is empty",
        ),
        (
            {"template": "flash_sale|en_US", "header_param": "x" * 55, "param_code": "BF"},
            None,
            "header_param",
            "the header may have at most 60 characters",
        ),
        (
            {"template": "plain|en_US", "param": "Ana", "header_param": "Ana"},
            None,
            "header_param",
            "has no header parameter",
        ),
    ],
)
async def test_refused_sends_name_the_field_and_store_nothing(
    services: Services,
    world: DemoWorld,
    graph: tuple[FakeGraphApi, str],
    ui: httpx.AsyncClient,
    data: dict[str, str],
    files: dict[str, tuple[str, bytes, str]] | None,
    field: str,
    words: str,
) -> None:
    fake, base = graph
    conversation_id = await _conversation(services, world, base)
    refused = await ui.post(f"/ui/conversations/{conversation_id}/template", data=data, files=files)
    assert refused.status_code == 422, refused.text
    # The picker is re-rendered in place of itself, not over the conversation pane.
    assert refused.headers["HX-Retarget"] == f"#templates-{conversation_id}"
    error = re.search(r'id="template-error" data-field="([^"]+)">([^<]*)<', refused.text)
    assert error is not None, refused.text
    assert error.group(1) == field
    assert words in error.group(2).replace("&#34;", '"').replace("&#39;", "'")
    # What the agent typed is kept in the chosen template's form; the others are there too.
    forms = dict(re.findall(r'data-template="([^"]+)"(.*?)</form>', refused.text, re.S))
    assert "plain" in forms
    chosen = forms[data["template"].split("|")[0]]
    for name, value in data.items():
        if name.startswith(("param_", "header_param")) and f'name="{name}"' in chosen:
            assert re.search(rf'name="{name}"[^>]*value="{re.escape(value)}"', chosen)
    if field == "params":  # numbered: the empty inputs are marked
        assert re.search(r'name="param"[^>]*value=""[^>]*aria-invalid="true"', chosen)
    else:
        assert re.search(rf'name="{field}"[^>]*aria-invalid="true"', chosen) or (
            f'name="{field}"' not in chosen  # e.g. a header value for a template without one
        )
    assert await _outbound(services) == []
    assert _stored_files(services) == []
    async with services.read_sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Attachment)) == 0
    assert not [r for r in fake.requests if r.method == "POST"]


async def test_a_header_format_changed_on_the_platform_fails_with_its_reason(
    services: Services, world: DemoWorld, graph: tuple[FakeGraphApi, str], ui: httpx.AsyncClient
) -> None:
    """The fake checks the header as the Cloud API does: edited to VIDEO in WhatsApp Manager
    after the agent sent it, the image no longer fits (132012), and the agent sees why."""
    fake, base = graph
    conversation_id = await _conversation(services, world, base)
    sent = await ui.post(
        f"/ui/conversations/{conversation_id}/template",
        data={"template": "new_arrivals|es", "param_customer_name": "Ana", "param_model": "B"},
        files={"header_file": ("b.png", PNG, "image/png")},
    )
    assert sent.status_code == 200, sent.text
    edited = next(t for t in fake.templates[WABA_ID] if t["name"] == "new_arrivals")
    edited["components"] = [{"type": "HEADER", "format": "VIDEO"}, *edited["components"][1:]]
    await DeliveryWorker(services).run_once()
    (message,) = await _outbound(services)
    assert message.status == MessageStatus.FAILED.value
    assert message.error is not None and "132012" in message.error


async def test_a_header_image_of_two_megabytes_is_sent(
    services: Services, world: DemoWorld, graph: tuple[FakeGraphApi, str], ui: httpx.AsyncClient
) -> None:
    fake, base = graph
    conversation_id = await _conversation(services, world, base)
    image = PNG + bytes(2 * 1024 * 1024)  # within WhatsApp's 5 MB for images
    sent = await ui.post(
        f"/ui/conversations/{conversation_id}/template",
        data={"template": "new_arrivals|es", "param_customer_name": "Ana", "param_model": "C"},
        files={"header_file": ("c.png", image, "image/png")},
    )
    assert sent.status_code == 200, sent.text
    await DeliveryWorker(services).run_once()
    (message,) = await _outbound(services)
    assert message.status == MessageStatus.SENT.value, message.error
    (media_id,) = fake.uploads
    assert fake.uploads[media_id].data == image
