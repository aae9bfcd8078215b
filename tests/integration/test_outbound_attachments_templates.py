"""WhatsApp templates with a media HEADER (an uploaded file or a link) and NAMED body
parameters, against the fake Graph API, which checks them as the Cloud API does (132000
parameter mismatch, 132012 header format mismatch)."""

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.fakes.platforms.graph import FakeGraphApi
from tests.fakes.platforms.server import RunningServer

from crossdesk.channels.base import AccountContext
from crossdesk.channels.whatsapp.adapter import WhatsAppCloudAdapter
from crossdesk.channels.whatsapp.templates import approved_templates
from crossdesk.domain import Attachment, ChannelKind, OutboundMessage
from crossdesk.errors import PermanentSendError

PHONE_ID = "106540352242923"
WABA_ID = "102290129340399"
TOKEN = "EAAG-template-token"
CUSTOMER = "819012345679"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
PDF = b"%PDF-1.4\n%%EOF\n"
TEMPLATES = [
    {
        "name": "new_arrivals",
        "language": "es",
        "status": "APPROVED",
        "category": "MARKETING",
        "parameter_format": "NAMED",
        "id": "11",
        "components": [
            {"type": "HEADER", "format": "IMAGE"},
            {"type": "BODY", "text": "Hola {{customer_name}}, el modelo {{model}} ya llegó."},
        ],
    },
    {
        "name": "invoice_ready",
        "language": "en_US",
        "status": "APPROVED",
        "category": "UTILITY",
        "id": "12",
        "components": [
            {"type": "HEADER", "format": "DOCUMENT"},
            {"type": "BODY", "text": "Your invoice {{1}} is attached."},
        ],
    },
    {
        "name": "plain",
        "language": "en_US",
        "status": "APPROVED",
        "category": "UTILITY",
        "id": "13",
        "components": [{"type": "BODY", "text": "Hi {{1}}"}],
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
def graph(graph_server: tuple[FakeGraphApi, str]) -> tuple[FakeGraphApi, AccountContext]:
    fake, base = graph_server
    fake.reset()
    fake.add_node(PHONE_ID, TOKEN, "whatsapp")
    fake.add_node(WABA_ID, TOKEN, "whatsapp")
    fake.templates[WABA_ID] = [dict(t) for t in TEMPLATES]
    fake.phone_waba[PHONE_ID] = WABA_ID
    account = AccountContext(
        id="acc",
        workspace_id="ws",
        kind=ChannelKind.WHATSAPP,
        external_id=PHONE_ID,
        config={"api_base_url": base, "waba_id": WABA_ID},
        secrets={"access_token": TOKEN},
    )
    return fake, account


def _message(metadata: dict[str, str], *attachments: Attachment) -> OutboundMessage:
    return OutboundMessage(
        message_id="m1",
        recipient_id=CUSTOMER,
        text="",
        idempotency_key="m1",
        attachments=attachments,
        metadata=metadata,
    )


def _file(tmp_path: Path, name: str, data: bytes, kind: str, content_type: str) -> Attachment:
    path = tmp_path / name
    path.write_bytes(data)
    return Attachment(
        kind=kind, content_type=content_type, filename=name, size=len(data), local_path=str(path)
    )


NAMED = {
    "template_name": "new_arrivals",
    "template_language": "es",
    "template_body_params": json.dumps(["Lucía", "A-7"]),
    "template_param_names": json.dumps(["customer_name", "model"]),
    "template_header_format": "image",
}


async def _send(account: AccountContext, message: OutboundMessage) -> str:
    async with httpx.AsyncClient(timeout=10) as client:
        receipt = await WhatsAppCloudAdapter().send(client, account, message)
    return receipt.platform_message_id


async def test_named_parameters_and_an_uploaded_image_header(
    graph: tuple[FakeGraphApi, AccountContext], tmp_path: Path
) -> None:
    fake, account = graph
    image = _file(tmp_path, "a7.png", PNG, "image", "image/png")
    wamid = await _send(account, _message(NAMED, image))
    assert wamid.startswith("wamid.")
    (media_id,) = fake.uploads
    assert fake.uploads[media_id].data == PNG
    sent = [r.body for r in fake.requests if r.path.endswith("/messages")][-1]
    assert sent["type"] == "template"
    assert sent["template"]["components"] == [
        {"type": "header", "parameters": [{"type": "image", "image": {"id": media_id}}]},
        {
            "type": "body",
            "parameters": [
                {"type": "text", "text": "Lucía", "parameter_name": "customer_name"},
                {"type": "text", "text": "A-7", "parameter_name": "model"},
            ],
        },
    ]


async def test_document_header_by_link_with_positional_parameters(
    graph: tuple[FakeGraphApi, AccountContext],
) -> None:
    _, account = graph
    metadata = {
        "template_name": "invoice_ready",
        "template_language": "en_US",
        "template_body_params": json.dumps(["F-2026-114"]),
        "template_header_format": "document",
        "template_header_link": "https://desk.example.com/files/x/1/s/invoice.pdf",
    }
    assert (await _send(account, _message(metadata))).startswith("wamid.")


@pytest.mark.parametrize(
    ("change", "reason", "code"),
    [
        # A name the template does not have.
        (
            {"template_param_names": json.dumps(["name", "model"])},
            "template_parameter_mismatch",
            132000,
        ),
        # Named parameters sent without their names.
        ({"template_param_names": ""}, "template_parameter_mismatch", 132000),
        # The image header sent as a document.
        ({"template_header_format": "document"}, "template_parameter_format_mismatch", 132012),
    ],
)
async def test_mismatches_are_refused_as_the_cloud_api_does(
    graph: tuple[FakeGraphApi, AccountContext],
    tmp_path: Path,
    change: dict[str, str],
    reason: str,
    code: int,
) -> None:
    _, account = graph
    metadata = {k: v for k, v in {**NAMED, **change}.items() if v}
    image = _file(tmp_path, "a7.png", PNG, "image", "image/png")
    with pytest.raises(PermanentSendError) as refused:
        await _send(account, _message(metadata, image))
    assert refused.value.fields["reason"] == reason
    assert refused.value.fields["platform_code"] == code


async def test_an_uploaded_pdf_cannot_fill_an_image_header(
    graph: tuple[FakeGraphApi, AccountContext], tmp_path: Path
) -> None:
    _, account = graph
    pdf = _file(tmp_path, "a.pdf", PDF, "document", "application/pdf")
    metadata = {**NAMED, "template_header_format": "image"}
    with pytest.raises(PermanentSendError) as refused:
        await _send(account, _message(metadata, pdf))
    assert refused.value.fields["platform_code"] == 132012


async def test_a_media_header_template_without_media_is_refused_before_any_call(
    graph: tuple[FakeGraphApi, AccountContext],
) -> None:
    fake, account = graph
    with pytest.raises(PermanentSendError, match="media header"):
        await _send(account, _message(NAMED))
    assert fake.requests == []


async def test_rich_templates_are_listed_only_when_asked(
    graph: tuple[FakeGraphApi, AccountContext],
) -> None:
    _, account = graph
    async with httpx.AsyncClient(timeout=10) as client:
        plain = await approved_templates(client, account)
        rich = await approved_templates(client, account, include_rich=True)
    assert [t.name for t in plain] == ["plain"]
    by_name = {t.name: t for t in rich}
    assert set(by_name) == {"plain", "new_arrivals", "invoice_ready"}
    arrivals = by_name["new_arrivals"]
    assert (arrivals.parameter_names, arrivals.header_format) == (
        ("customer_name", "model"),
        "IMAGE",
    )
    assert arrivals.render(["Lucía", "A-7"]) == "Hola Lucía, el modelo A-7 ya llegó."
    assert by_name["invoice_ready"].header_format == "DOCUMENT"
