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

Templates with NAMED parameters take their values by name (``template_param_names`` is stored
beside the sealed values, in the same order); a media HEADER (IMAGE, VIDEO, DOCUMENT) takes a
file the agent uploads, checked and stored like any file agents send
(actions/outbound_attachments.py) and linked to the message as its one attachment, with
``template_header_format``: the WhatsApp adapter uploads it to ``/{phone-number-id}/media``
and sends its id in the header component (channels/whatsapp/outbound.py). A TEXT header with
a parameter takes its value (``header_value``), sealed first among the values, with
``template_header_text_param``. The message's text is the header line (if any) and the body.
"""

import base64
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

import httpx

from crossdesk.actions.accounts import account_context
from crossdesk.actions.conversations import load_visible
from crossdesk.actions.outbound_attachments import StagedFile, stage_file
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
HEADER_FIELD = "header_file"
# What the Cloud API takes in a template's media header (types sniffed from the bytes).
HEADER_TYPES: dict[str, tuple[str, ...]] = {
    "IMAGE": ("image/jpeg", "image/png"),
    "VIDEO": ("video/mp4", "video/3gpp"),
    "DOCUMENT": ("application/pdf",),
}
_HEADER_WORDS = {
    "IMAGE": "a JPEG or PNG image",
    "VIDEO": "an MP4 or 3GP video",
    "DOCUMENT": "a PDF document",
}


@dataclass(frozen=True, slots=True)
class HeaderFile:
    """The file an agent chose for a template's media header (not yet checked)."""

    stream: BinaryIO
    filename: str | None


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
            return await approved_templates(client, context, include_rich=True)
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


def template_values(template: Template, values: Sequence[str] | Mapping[str, str]) -> list[str]:
    """The values in the template's parameter order: by name for NAMED templates (a mapping),
    by position otherwise; InvalidInput names the missing parameter and its form field."""
    if not template.parameter_names:
        if isinstance(values, Mapping):
            raise InvalidInput(
                f"template {template.name} takes numbered parameters", field="params"
            )
        return [v.strip() for v in values]
    if not isinstance(values, Mapping):
        if values:
            raise InvalidInput(f"template {template.name} takes named parameters", field="params")
        values = {}  # none given: the first name is reported missing below
    ordered: list[str] = []
    for name in template.parameter_names:
        value = values.get(name, "").strip()
        if not value:
            raise InvalidInput(f"parameter {{{{{name}}}}} is missing", field=f"param_{name}")
        ordered.append(value)
    return ordered


def check_header_file(template: Template, header: HeaderFile | None) -> None:
    """A media-header template needs a file, and no other template takes one."""
    if template.header_format is not None and header is None:
        raise InvalidInput(
            f"template {template.name} has {_HEADER_WORDS[template.header_format]} as its "
            "header: choose the file to send with it",
            field=HEADER_FIELD,
        )
    if template.header_format is None and header is not None:
        raise InvalidInput(
            f"template {template.name} has no media header; it cannot carry a file",
            field=HEADER_FIELD,
        )


async def _stage_header(
    services: Services,
    principal: Principal,
    conversation_id: str,
    template: Template,
    header: HeaderFile,
) -> StagedFile:
    """Check and store the header file (the same checks and limits as any file agents send),
    then make sure it is of the header's format."""
    assert template.header_format is not None
    async with services.read_sessionmaker() as session:
        conversation = await load_visible(session, principal, conversation_id)
        try:
            staged = await stage_file(
                services, session, principal, conversation, header.stream, header.filename
            )
        except InvalidInput as exc:  # FileRefused, FileTooLarge: say which field it was
            raise type(exc)(f"header file: {exc.message}", field=HEADER_FIELD) from None
    if staged.checked.content_type not in HEADER_TYPES[template.header_format]:
        staged.discard()
        raise InvalidInput(
            f"the header of template {template.name} must be "
            f"{_HEADER_WORDS[template.header_format]}; this file is "
            f"{staged.checked.content_type}",
            field=HEADER_FIELD,
        )
    return staged


async def send_template(
    services: Services,
    principal: Principal,
    conversation_id: str,
    template_key: str,
    values: Sequence[str] | Mapping[str, str],
    actor: audit.Actor,
    client_factory: Callable[[AccountContext], httpx.AsyncClient] = default_client,
    *,
    header: HeaderFile | None = None,
    header_value: str | None = None,
) -> Message:
    """Queue an approved template (allowed inside and outside the window).

    ``values`` are positional (a sequence) or, for templates with named parameters, a
    mapping of name to value; ``header`` is the file for a media header, ``header_value``
    the value of a TEXT header's parameter.
    """
    if not principal.can(Permission.MESSAGE_SEND):
        raise PermissionDenied("your role may not send messages")
    templates = await list_templates(services, principal, conversation_id, client_factory)
    template = next((t for t in templates if t.key == template_key), None)
    if template is None:
        raise InvalidInput("no approved template by that name and language", field="template")
    ordered = template_values(template, values)
    header_line = template.render_header(header_value)
    text = template.render(ordered)
    if header_line:
        text = f"{header_line}\n\n{text}"
    if template.header_param is not None:
        ordered = [(header_value or "").strip(), *ordered]  # the header's value comes first
    check_header_file(template, header)
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
    staged = None
    if header is not None:
        staged = await _stage_header(services, principal, conversation_id, template, header)
    try:
        return await _queue(
            services, principal, conversation_id, template, ordered, text, draft, actor, staged
        )
    except BaseException:
        if staged is not None:
            staged.discard()  # nothing points at it
        raise


async def _queue(
    services: Services,
    principal: Principal,
    conversation_id: str,
    template: Template,
    values: list[str],
    text: str,
    draft: Draft,
    actor: audit.Actor,
    staged: StagedFile | None,
) -> Message:
    """The message, its metadata, header file and outbox row, and the audit, in one commit."""
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
        if values:
            data[SEALED_PARAMS] = seal_params(services, principal.workspace_id, message.id, values)
        if template.header_param is not None:
            data["template_header_text_param"] = template.header_param
        if template.parameter_names:  # names are the template's own, not personal data
            data["template_param_names"] = json.dumps(list(template.parameter_names))
        if staged is not None and template.header_format is not None:
            data["template_header_format"] = template.header_format.lower()
            await staged.attach(session, message, actor)
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
