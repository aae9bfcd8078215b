"""The customer-service window and WhatsApp templates.

Outside the window (24 hours since the customer's last message on WhatsApp) only an
approved template may be sent: ``window_state`` tells the composer, ``list_templates``
fetches the account's approved templates (no database session held meanwhile), and
``send_template`` queues one with its parameters through the outbox. The delivery worker
refuses free text outside the window (actions/outbound_context.py) and maps the platform's
own refusal (131047) to the same state.

A template is not translated (it was approved in its own language); its rendered text still
passes the guard and masking like any reply. The parameter values go to the platform, so
they are stored sealed with the message (``outbound_metadata``), like message bodies.
"""

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import httpx

from crossdesk.actions.accounts import account_context
from crossdesk.actions.conversations import load_visible
from crossdesk.actions.publish import publish_on_commit, wake_delivery_on_commit
from crossdesk.channels.base import AccountContext
from crossdesk.channels.registry import get_adapter
from crossdesk.channels.whatsapp.templates import Template, approved_templates
from crossdesk.db.base import utcnow
from crossdesk.db.models import ChannelAccount, Conversation, Message, OutboundMetadata, Outbox
from crossdesk.db.session import transaction
from crossdesk.domain import ChannelKind, Direction, MessageStatus, Permission, new_id
from crossdesk.errors import (
    BlockedByPolicy,
    InvalidInput,
    PermanentSendError,
    PermissionDenied,
    RetryableSendError,
)
from crossdesk.pipeline import Draft, Outcome
from crossdesk.risk import audit
from crossdesk.risk.rbac import Principal
from crossdesk.services import Services
from crossdesk.vault.crypto import associated_data

SEALED_PARAMS = "template_body_params_sealed"
PARAMS_AAD = "message.template_params"


@dataclass(frozen=True, slots=True)
class WindowState:
    open: bool
    hours: float
    last_inbound_at: datetime | None
    closes_at: datetime | None
    templates_supported: bool


def window_state(
    kind: ChannelKind, conversation: Conversation, now: datetime | None = None
) -> WindowState | None:
    """The conversation's messaging window, or None when its platform has none."""
    window = get_adapter(kind).capabilities.messaging_window
    if window is None:
        return None
    last = conversation.last_inbound_at
    closes = last + window if last is not None else None
    return WindowState(
        open=closes is not None and (now or utcnow()) <= closes,
        hours=window.total_seconds() / 3600,
        last_inbound_at=last,
        closes_at=closes,
        templates_supported=kind is ChannelKind.WHATSAPP,
    )


async def conversation_window(
    services: Services, principal: Principal, conversation_id: str
) -> WindowState | None:
    async with services.read_sessionmaker() as session:
        conversation = await load_visible(session, principal, conversation_id)
        account = await session.get(ChannelAccount, conversation.account_id)
        assert account is not None
        return window_state(ChannelKind(account.kind), conversation)


def default_client(account: AccountContext) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=5.0), proxy=account.proxy_url)


async def list_templates(
    services: Services,
    principal: Principal,
    conversation_id: str,
    client_factory: Callable[[AccountContext], httpx.AsyncClient] = default_client,
) -> list[Template]:
    """The approved templates of the conversation's WhatsApp account."""
    async with services.read_sessionmaker() as session:
        conversation = await load_visible(session, principal, conversation_id)
        account = await session.get(ChannelAccount, conversation.account_id)
        assert account is not None
        if account.kind != ChannelKind.WHATSAPP.value:
            raise InvalidInput("only WhatsApp conversations use message templates")
        context = await account_context(services, session, account)
    # The session is closed: Graph may take a while.
    async with client_factory(context) as client:
        try:
            return await approved_templates(client, context)
        except (PermanentSendError, RetryableSendError) as exc:
            raise InvalidInput(f"the templates could not be loaded: {exc.message}") from None


def seal_params(services: Services, workspace_id: str, message_id: str, values: list[str]) -> str:
    blob = services.envelope.seal(
        json.dumps(values).encode(), associated_data(workspace_id, message_id, PARAMS_AAD)
    )
    return base64.b64encode(blob).decode()


def open_params(services: Services, workspace_id: str, message_id: str, sealed: str) -> str:
    """The JSON array of parameter values (``template_body_params``) for the platform."""
    aad = associated_data(workspace_id, message_id, PARAMS_AAD)
    plain = services.envelope.open(base64.b64decode(sealed), aad, record=f"message {message_id}")
    return plain.decode()


async def send_template(
    services: Services,
    principal: Principal,
    conversation_id: str,
    template_key: str,
    values: list[str],
    actor: audit.Actor,
    client_factory: Callable[[AccountContext], httpx.AsyncClient] = default_client,
) -> Message:
    """Queue an approved template (allowed inside and outside the window)."""
    if not principal.can(Permission.MESSAGE_SEND):
        raise PermissionDenied("your role may not send messages")
    templates = await list_templates(services, principal, conversation_id, client_factory)
    template = next((t for t in templates if t.key == template_key), None)
    if template is None:
        raise InvalidInput("no approved template by that name and language", field="template")
    text = template.render([v.strip() for v in values])
    draft = Draft(
        workspace_id=principal.workspace_id,
        direction=Direction.OUTBOUND,
        text=text,
        source_language=principal.language,
        target_language=None,  # approved as written: never translated
    )
    draft.allow_untranslated = True
    result = await services.pipelines.outbound.run(draft)
    if result.outcome is Outcome.HALT:
        raise BlockedByPolicy(
            draft.halt_reason or "the template was blocked", findings=draft.guard_findings
        )
    async with transaction(services.sessionmaker) as session:
        conversation = await load_visible(session, principal, conversation_id)
        now = utcnow()
        message = Message(
            id=new_id(),
            workspace_id=principal.workspace_id,
            conversation_id=conversation.id,
            account_id=conversation.account_id,
            direction=Direction.OUTBOUND.value,
            sender_user_id=principal.user_id,
            sender_label=principal.display_name,
            body_masked=draft.visible_text,
            language=template.language.replace("_", "-"),
            guard_status=draft.guard_status.value,
            guard_findings=draft.guard_findings,
            pii_status=draft.pii_status.value,
            pii_spans=draft.pii_spans,
            stage_notes={**draft.notes, "template": template.name},
            status=MessageStatus.QUEUED.value,
            created_at=now,
        )
        message.body_raw_enc = services.envelope.seal(
            text.encode(), associated_data(principal.workspace_id, message.id, "message.body")
        )
        session.add(message)
        await session.flush()
        data = {"template_name": template.name, "template_language": template.language}
        if template.parameters:
            data[SEALED_PARAMS] = seal_params(
                services, principal.workspace_id, message.id, [v.strip() for v in values]
            )
        session.add(
            OutboundMetadata(workspace_id=principal.workspace_id, message_id=message.id, data=data)
        )
        session.add(
            Outbox(
                workspace_id=principal.workspace_id,
                message_id=message.id,
                conversation_id=conversation.id,
                account_id=conversation.account_id,
                idempotency_key=message.id,
                next_attempt_at=now,
                created_at=now,
            )
        )
        conversation.last_message_at = now
        conversation.last_message_preview = draft.visible_text[:200]
        await audit.record(
            session,
            principal.workspace_id,
            "message.send_template",
            actor,
            target_type="message",
            target_id=message.id,
            data={"conversation_id": conversation.id, "template": template.key},
        )
        publish_on_commit(
            services,
            session,
            "message.created",
            conversation,
            {"message_id": message.id, "direction": "outbound"},
        )
        wake_delivery_on_commit(services, session)
    return message
