"""Platform behaviour beyond the shared contract, against the same fake servers."""

import json
from typing import Any

import httpx
import pytest
from tests.contracts.harness import FIXTURES, HARNESSES, LINE_USER, TG_CHAT
from tests.fakes.platforms.telegram import flood

from crossdesk.channels.base import WebhookRequest
from crossdesk.channels.whatsapp.outbound import request_body
from crossdesk.domain import Attachment, OutboundMessage
from crossdesk.errors import InvalidInput, PermanentSendError

Platforms = dict[str, tuple[Any, str]]


def message(recipient: str, text: str = "hello", **kw: Any) -> OutboundMessage:
    return OutboundMessage(
        message_id="7c1e52d0", recipient_id=recipient, text=text, idempotency_key="k-1", **kw
    )


# ---------------------------------------------------------------- Meta handshake

VERIFY = json.loads((FIXTURES / "whatsapp" / "verify-get.json").read_text())


@pytest.mark.parametrize("slug", ["whatsapp", "messenger", "instagram"])
@pytest.mark.parametrize("case", VERIFY["cases"], ids=[c["name"] for c in VERIFY["cases"]])
def test_meta_subscription_handshake(slug: str, case: dict[str, Any]) -> None:
    harness = HARNESSES[slug]
    account = harness.account(verify_token=VERIFY["secrets"]["verify_token"])
    request = WebhookRequest("GET", {}, case["request"]["query"], b"")
    reply = harness.adapter.handshake(account, request)
    assert reply is not None
    assert reply.status == case["expect"]["status"]
    if "body" in case["expect"]:
        assert reply.body == case["expect"]["body"]
        assert reply.content_type == case["expect"]["content_type"]


@pytest.mark.parametrize("slug", ["whatsapp", "messenger", "instagram", "telegram_bot", "line"])
def test_post_is_not_a_handshake(slug: str) -> None:
    harness = HARNESSES[slug]
    assert (
        harness.adapter.handshake(harness.account(), WebhookRequest("POST", {}, {}, b"{}")) is None
    )


def test_instagram_adapter_refuses_a_page_payload() -> None:
    harness = HARNESSES["instagram"]
    body = (FIXTURES / "messenger" / "webhook-text.json").read_bytes()
    with pytest.raises(InvalidInput, match="'instagram'"):
        harness.adapter.parse(
            harness.account(), WebhookRequest("POST", harness.sign(body), {}, body)
        )


def test_whatsapp_message_missing_its_content_object_is_invalid() -> None:
    harness = HARNESSES["whatsapp"]
    body = json.loads((FIXTURES / "whatsapp" / "webhook-text.json").read_text())
    del body["entry"][0]["changes"][0]["value"]["messages"][0]["text"]
    raw = json.dumps(body).encode()
    with pytest.raises(InvalidInput, match="has no 'text' object"):
        harness.adapter.parse(harness.account(), WebhookRequest("POST", harness.sign(raw), {}, raw))


# ---------------------------------------------------------------- WhatsApp sends


def test_whatsapp_text_body_matches_documented_request() -> None:
    sample = json.loads((FIXTURES / "whatsapp" / "api-send-text.json").read_text())["request"][
        "body"
    ]
    built = request_body(
        message(
            sample["to"],
            sample["text"]["body"],
            reply_to_platform_id=sample["context"]["message_id"],
        )
    )
    assert built == sample


async def test_whatsapp_template_is_allowed_when_the_window_is_closed(
    platforms: Platforms, client: httpx.AsyncClient
) -> None:
    harness = HARNESSES["whatsapp"]
    fake, base = platforms["graph"]
    harness.prepare(fake)
    fake.window_closed.add("819012345678")
    meta = {
        "template_name": "order_update",
        "template_language": "de",
        "template_body_params": '["4711", "morgen"]',
    }
    receipt = await harness.adapter.send(
        client, harness.account(base), message("819012345678", "", metadata=meta)
    )
    assert receipt.platform_message_id.startswith("wamid.")
    sent = fake.requests[-1].body
    assert sent["type"] == "template"
    assert sent["template"] == {
        "name": "order_update",
        "language": {"code": "de"},
        "components": [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": "4711"},
                    {"type": "text", "text": "morgen"},
                ],
            }
        ],
    }
    assert fake.requests[-1].headers["authorization"] == "Bearer EAAG-test-system-user-token"
    assert fake.requests[-1].path == "/v21.0/112233445566778/messages"


async def test_whatsapp_media_by_id_with_caption(
    platforms: Platforms, client: httpx.AsyncClient
) -> None:
    harness = HARNESSES["whatsapp"]
    fake, base = platforms["graph"]
    harness.prepare(fake)
    doc = Attachment(kind="document", platform_file_id="998877", filename="Rechnung.pdf")
    await harness.adapter.send(
        client, harness.account(base), message("819012345678", "Ihre Rechnung", attachments=(doc,))
    )
    assert fake.requests[-1].body["document"] == {
        "id": "998877",
        "caption": "Ihre Rechnung",
        "filename": "Rechnung.pdf",
    }


async def test_whatsapp_pair_rate_limit_is_retryable(
    platforms: Platforms, client: httpx.AsyncClient
) -> None:
    from tests.fakes.platforms.graph import graph_error

    from crossdesk.errors import RetryableSendError

    harness = HARNESSES["whatsapp"]
    fake, base = platforms["graph"]
    harness.prepare(fake)
    fake.script(
        400,
        graph_error(131056, "(#131056) (Business Account, Consumer Account) pair rate limit hit"),
        {"Retry-After": "9"},
    )
    with pytest.raises(RetryableSendError) as caught:
        await harness.adapter.send(client, harness.account(base), message("819012345678"))
    assert caught.value.retry_after == 9.0  # a Retry-After header wins over the default


async def test_messenger_send_matches_documented_request(
    platforms: Platforms, client: httpx.AsyncClient
) -> None:
    sample = json.loads((FIXTURES / "messenger" / "api-send-text.json").read_text())["request"]
    harness = HARNESSES["messenger"]
    fake, base = platforms["graph"]
    harness.prepare(fake)
    out = OutboundMessage(
        message_id="0f3c2a",
        recipient_id=sample["body"]["recipient"]["id"],
        text=sample["body"]["message"]["text"],
        idempotency_key="k",
    )
    receipt = await harness.adapter.send(client, harness.account(base), out)
    assert fake.requests[-1].body == sample["body"]
    assert receipt.platform_message_id.startswith("m_")


async def test_messenger_human_agent_tag_passes_the_closed_window(
    platforms: Platforms, client: httpx.AsyncClient
) -> None:
    harness = HARNESSES["messenger"]
    fake, base = platforms["graph"]
    harness.prepare(fake)
    fake.window_closed.add(harness.recipient)
    await harness.adapter.send(
        client,
        harness.account(base),
        message(harness.recipient, metadata={"message_tag": "HUMAN_AGENT"}),
    )
    assert fake.requests[-1].body["messaging_type"] == "MESSAGE_TAG"
    assert fake.requests[-1].body["tag"] == "HUMAN_AGENT"


async def test_meta_refuses_text_and_attachment_together(client: httpx.AsyncClient) -> None:
    harness = HARNESSES["instagram"]
    image = Attachment(kind="image", url="https://example.com/a.jpg")
    with pytest.raises(PermanentSendError) as caught:
        await harness.adapter.send(
            client, harness.account(), message(harness.recipient, "look", attachments=(image,))
        )
    assert caught.value.fields["reason"] == "split_required"


# ---------------------------------------------------------------- Telegram


async def test_telegram_reply_and_photo(platforms: Platforms, client: httpx.AsyncClient) -> None:
    harness = HARNESSES["telegram_bot"]
    fake, base = platforms["telegram"]
    harness.prepare(fake)
    account = harness.account(base)
    receipt = await harness.adapter.send(
        client, account, message(str(TG_CHAT), "Отправлено", reply_to_platform_id=f"{TG_CHAT}:211")
    )
    assert receipt.platform_message_id == f"{TG_CHAT}:1001"
    assert fake.requests[-1].body["reply_parameters"]["message_id"] == 211
    photo = Attachment(kind="image", platform_file_id="AgACAgIAAxkBAAIBfixture")
    await harness.adapter.send(client, account, message(str(TG_CHAT), "Фото", attachments=(photo,)))
    assert fake.requests[-1].path == "/bot<token>/sendPhoto"
    assert fake.requests[-1].body["caption"] == "Фото"


async def test_telegram_unknown_chat_is_permanent(
    platforms: Platforms, client: httpx.AsyncClient
) -> None:
    harness = HARNESSES["telegram_bot"]
    fake, base = platforms["telegram"]
    harness.prepare(fake)
    with pytest.raises(PermanentSendError) as caught:
        await harness.adapter.send(client, harness.account(base), message("42"))
    assert caught.value.fields["reason"] == "recipient_unknown"


async def test_telegram_long_polling_confirms_offsets(
    platforms: Platforms, client: httpx.AsyncClient
) -> None:
    adapter = HARNESSES["telegram_bot"].adapter
    fake, base = platforms["telegram"]
    HARNESSES["telegram_bot"].prepare(fake)
    for name in ("update-text", "update-photo"):
        fake.updates.append(json.loads((FIXTURES / "telegram_bot" / f"{name}.json").read_text()))
    fake.updates.append({"update_id": 918273642, "message": {"message_id": 5}})  # broken: skipped
    account = HARNESSES["telegram_bot"].account(base)
    account = type(account)(
        id=account.id,
        workspace_id="ws-1",
        kind=account.kind,
        external_id="1",
        config={"api_base_url": base, "poll_timeout": "0"},
        secrets=account.secrets,
    )
    events, offset = await adapter.poll(client, account, None)  # type: ignore[attr-defined]
    assert [e.platform_message_id for e in events] == [f"{TG_CHAT}:211", f"{TG_CHAT}:212"]
    assert offset == 918273643
    events, offset = await adapter.poll(client, account, offset)  # type: ignore[attr-defined]
    assert events == [] and offset == 918273643
    assert fake.updates == []  # confirmed updates are forgotten by Telegram


async def test_telegram_poll_flood_and_webhook_conflict(
    platforms: Platforms, client: httpx.AsyncClient
) -> None:
    from crossdesk.errors import RetryableSendError

    harness = HARNESSES["telegram_bot"]
    fake, base = platforms["telegram"]
    harness.prepare(fake)
    account = harness.account(base)
    await harness.adapter.set_webhook(
        client, account, "https://desk.example.com/webhooks/telegram_bot/acc-1"
    )  # type: ignore[attr-defined]
    assert fake.webhook == {
        "url": "https://desk.example.com/webhooks/telegram_bot/acc-1",
        "secret_token": "tg-Secret_123",
    }
    with pytest.raises(PermanentSendError) as caught:
        await harness.adapter.poll(client, account, None)  # type: ignore[attr-defined]
    assert caught.value.fields["reason"] == "conflict"
    fake.script(flood(3))
    with pytest.raises(RetryableSendError) as flooded:
        await harness.adapter.poll(client, account, None)  # type: ignore[attr-defined]
    assert flooded.value.retry_after == 3.0


# ---------------------------------------------------------------- LINE


async def test_line_resend_after_unknown_outcome_is_deduplicated(
    platforms: Platforms, client: httpx.AsyncClient
) -> None:
    harness = HARNESSES["line"]
    fake, base = platforms["line"]
    harness.prepare(fake)
    out = message(LINE_USER, "ご不便をおかけしております。")
    first = await harness.adapter.send(client, harness.account(base), out)
    # The worker crashed before committing: it resends the same outbox row.
    second = await harness.adapter.send(client, harness.account(base), out)
    assert second.platform_message_id == first.platform_message_id
    assert len(fake.delivered) == 1  # the customer got the message once
    keys = {r.headers["x-line-retry-key"] for r in fake.requests}
    assert len(keys) == 1


async def test_line_reply_token_is_single_use(
    platforms: Platforms, client: httpx.AsyncClient
) -> None:
    sample = json.loads((FIXTURES / "line" / "api-reply.json").read_text())["request"]
    harness = HARNESSES["line"]
    fake, base = platforms["line"]
    harness.prepare(fake)
    fake.reply_tokens.add(sample["body"]["replyToken"])
    text = sample["body"]["messages"][0]
    out = message(
        LINE_USER,
        text["text"],
        metadata={"reply_token": sample["body"]["replyToken"], "quote_token": text["quoteToken"]},
    )
    await harness.adapter.send(client, harness.account(base), out)
    assert fake.requests[-1].body == sample["body"]
    assert "x-line-retry-key" not in fake.requests[-1].headers
    with pytest.raises(PermanentSendError) as caught:
        await harness.adapter.send(client, harness.account(base), out)
    assert caught.value.fields["reason"] == "reply_token_invalid"
    assert len(fake.delivered) == 1
