"""``crossdesk channels``: debug a webhook by hand with exactly the server's verify + parse.

``crossdesk channels check PLATFORM [--secret S] [--verify-token T] [--header "Name: v"]...
< raw-body`` prints one JSON object per normalized event. Exit codes: 0 accepted (an
authentic event type that is ignored prints nothing), 3 rejected (signature or secret
missing or wrong), 4 authentic but unparseable body. This contract is kept stable.
"""

import json
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer

from crossdesk.channels.base import AccountContext, ChannelAdapter, ParsedEvent, WebhookRequest
from crossdesk.channels.line.adapter import LineAdapter
from crossdesk.channels.meta.adapter import InstagramAdapter, MessengerAdapter
from crossdesk.channels.meta.events import WatermarkStatus
from crossdesk.channels.telegram_bot.adapter import TelegramBotAdapter
from crossdesk.channels.whatsapp.adapter import WhatsAppCloudAdapter
from crossdesk.channels.whatsapp_bridge.adapter import WhatsAppBridgeAdapter
from crossdesk.domain import ChannelKind, InboundEvent
from crossdesk.errors import InvalidInput, SignatureInvalid

EXIT_REJECTED = 3
EXIT_UNPARSEABLE = 4

# Platform slug → (adapter factory, name of the secret that --secret supplies).
PLATFORMS: dict[str, tuple[Callable[[], ChannelAdapter], str]] = {
    "whatsapp": (WhatsAppCloudAdapter, "app_secret"),
    "messenger": (MessengerAdapter, "app_secret"),
    "instagram": (InstagramAdapter, "app_secret"),
    "telegram_bot": (TelegramBotAdapter, "webhook_secret"),
    "line": (LineAdapter, "channel_secret"),
    "whatsapp_web": (WhatsAppBridgeAdapter, "webhook_hmac_key"),
}

app = typer.Typer(help="Inspect platform webhooks.", no_args_is_help=True)


@app.callback()
def channels() -> None:
    """Platform channel tools."""


def parse_headers(raw: list[str]) -> dict[str, str]:
    """``"Name: value"`` strings → a lower-cased header mapping."""
    headers: dict[str, str] = {}
    for item in raw:
        name, sep, value = item.partition(":")
        if not sep or not name.strip():
            raise typer.BadParameter(f"header must look like 'Name: value', got {item!r}")
        headers[name.strip().lower()] = value.strip()
    return headers


def event_record(event: ParsedEvent) -> dict[str, Any]:
    """One JSON-ready object per event (Any: JSON values)."""
    if isinstance(event, InboundEvent):
        return {
            "kind": event.kind,
            "platform_message_id": event.platform_message_id,
            "sender": event.sender_id,
            "sender_name": event.sender_name,
            "text": event.text,
            "sent_at": event.sent_at.isoformat(),
            "echo": event.echo,
            "direction": "outbound" if event.echo else "inbound",
            "reply_to": event.reply_to_platform_id,
            "language_hint": event.language_hint,
            "attachments": [
                {k: v for k, v in _attachment(a).items() if v is not None}
                for a in event.attachments
            ],
        }
    record: dict[str, Any] = {
        "kind": "status",
        "platform_message_id": event.platform_message_id,
        "status": event.status.value,
        "at": event.at.isoformat(),
        "error_code": event.error_code,
        "error_detail": event.error_detail,
    }
    if isinstance(event, WatermarkStatus):
        record["watermark"] = True
        record["sender"] = event.contact_id
    return record


def _attachment(item: Any) -> dict[str, Any]:
    """Attachment fields (Any: the domain Attachment and its JSON values)."""
    return {
        "kind": item.kind,
        "content_type": item.content_type,
        "url": item.url,
        "platform_file_id": item.platform_file_id,
        "filename": item.filename,
        "size": item.size,
        "caption": item.caption,
    }


@app.command()
def check(
    platform: Annotated[
        str,
        typer.Argument(help="whatsapp, messenger, instagram, telegram_bot, line, whatsapp_web"),
    ],
    secret: Annotated[
        str | None,
        typer.Option(
            help="app secret (Meta), webhook secret token (Telegram), channel secret (LINE), "
            "webhook HMAC key (WAHA)"
        ),
    ] = None,
    verify_token: Annotated[str | None, typer.Option(help="Meta webhook verify token")] = None,
    header: Annotated[
        list[str] | None, typer.Option("--header", "-H", help="request header 'Name: value'")
    ] = None,
) -> None:
    """Verify and parse one raw webhook body read from stdin; print events as JSON Lines."""
    slug = platform.strip().lower()
    if slug not in PLATFORMS:
        raise typer.BadParameter(f"unknown platform {platform!r}; one of {', '.join(PLATFORMS)}")
    factory, secret_name = PLATFORMS[slug]
    adapter = factory()
    secrets = {}
    if secret is not None:
        secrets[secret_name] = secret
    if verify_token is not None:
        secrets["verify_token"] = verify_token
    account = AccountContext(
        id="cli", workspace_id="cli", kind=ChannelKind(slug), external_id="", secrets=secrets
    )
    request = WebhookRequest(
        method="POST", headers=parse_headers(header or []), query={}, body=sys.stdin.buffer.read()
    )
    try:
        adapter.verify(account, request)
    except SignatureInvalid as exc:
        typer.echo(f"rejected: {exc.message}", err=True)
        raise typer.Exit(EXIT_REJECTED) from None
    try:
        events = adapter.parse(account, request)
    except InvalidInput as exc:
        typer.echo(f"unparseable: {exc.message}", err=True)
        raise typer.Exit(EXIT_UNPARSEABLE) from None
    for event in events:
        typer.echo(json.dumps(event_record(event), ensure_ascii=False))
