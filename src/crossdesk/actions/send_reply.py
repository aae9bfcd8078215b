"""An agent's reply: pipeline, then message + outbox row + audit event in one transaction."""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.actions.publish import publish_on_commit, wake_delivery_on_commit
from crossdesk.db.base import utcnow
from crossdesk.db.models import Contact, Conversation, IdempotencyRecord, Message, Outbox
from crossdesk.db.session import commit, rollback
from crossdesk.domain import Direction, MessageStatus, Permission, new_id
from crossdesk.errors import BlockedByPolicy, IdempotencyMismatch, InvalidInput, PermissionDenied
from crossdesk.pipeline import Draft, Outcome
from crossdesk.pipeline.stages.guard import guard_summary
from crossdesk.pipeline.stages.translate import translating_for_agent
from crossdesk.risk import audit
from crossdesk.risk.alerts import raise_guard_alerts
from crossdesk.risk.rbac import Principal
from crossdesk.risk.rules.handles import handle_key, message_handles
from crossdesk.services import Services
from crossdesk.vault.crypto import associated_data

MAX_REPLY_LENGTH = 4096


def _handles(services: Services, principal: Principal, text: str, draft: Draft) -> list[str]:
    """Keyed fingerprints of the contact handles in the reply, for the risk rules that
    spot one handle sent to several customers (never the handles themselves)."""
    key = handle_key(services.settings.resolved_secret_key())
    return message_handles(key, principal.workspace_id, text, draft.pii_spans, draft.guard_findings)


class StagedAttachment(Protocol):
    """A file already checked and stored (actions/outbound_attachments.py), linked to the
    message in the send's own transaction."""

    @property
    def fingerprint(self) -> str: ...

    @property
    def label(self) -> str: ...

    async def attach(self, session: AsyncSession, message: Message, actor: audit.Actor) -> None: ...


@dataclass(frozen=True, slots=True)
class SendResult:
    message: Message
    replayed: bool  # True when an Idempotency-Key matched an earlier identical request


async def send_reply(
    services: Services,
    session: AsyncSession,
    principal: Principal,
    conversation: Conversation,
    text: str,
    *,
    idempotency_key: str | None,
    actor: audit.Actor,
    translation_override: str | None = None,
    allow_untranslated: bool = False,
    confirm_warnings: bool = False,
    attachments: Sequence[StagedAttachment] = (),
) -> SendResult:
    """Queue a reply to the conversation's contact and commit.

    The caller has loaded ``conversation`` within the principal's scope.
    Raises BlockedByPolicy when the guard refuses the text or its translation.
    """
    if not principal.can(Permission.MESSAGE_SEND):
        raise PermissionDenied("your role may not send messages")
    text = text.strip()
    if not text and not attachments:  # a file may go without a caption
        raise InvalidInput("the reply is empty", field="text")
    if len(text) > MAX_REPLY_LENGTH:
        raise InvalidInput(f"the reply is longer than {MAX_REPLY_LENGTH} characters", field="text")

    if translation_override is not None:
        translation_override = translation_override.strip() or None
    request: dict[str, object] = {"c": conversation.id, "t": text, "o": translation_override}
    if attachments:
        request["a"] = [a.fingerprint for a in attachments]
    request_hash = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()
    if idempotency_key:
        replay = await _replay(session, principal, idempotency_key, request_hash)
        if replay is not None:
            return SendResult(replay, replayed=True)

    contact = await session.get(Contact, conversation.contact_id)
    assert contact is not None
    # End the read transaction: engines (translation may call a remote service) must not
    # run while this unit of work holds the database connection or a lock.
    await session.commit()
    draft = outbound_draft(principal, contact, text)
    draft.translation_override = translation_override
    draft.allow_untranslated = allow_untranslated
    draft.confirm_warnings = confirm_warnings
    halted = False
    if text:  # no caption: nothing to guard, mask or translate
        with translating_for_agent(principal.workspace_id, principal.user_id):
            halted = (await services.pipelines.outbound.run(draft)).outcome is Outcome.HALT
    if halted:
        await raise_guard_alerts(
            session,
            principal.workspace_id,
            draft.guard_findings,
            outbound_blocked=True,
            who=f"{principal.display_name} tried to send",
            actor_id=principal.user_id,
            target_type="conversation",
            target_id=conversation.id,
        )
        await audit.record(
            session,
            principal.workspace_id,
            "message.blocked",
            actor,
            target_type="conversation",
            target_id=conversation.id,
            data={
                "stage": draft.halted_by,
                "terms": sorted({str(f.get("term")) for f in draft.guard_findings})[:20],
                "categories": sorted({str(f.get("category")) for f in draft.guard_findings}),
                "contact_id": contact.id,
                "handles": _handles(services, principal, text, draft),
            },
        )
        await commit(session)
        raise BlockedByPolicy(
            draft.halt_reason or "the reply was blocked",
            findings=draft.guard_findings,
            needs_confirmation=draft.needs_confirmation,
        )

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
        language=draft.language or principal.language,
        language_status=draft.language_status.value,
        translation=draft.translation,
        translation_language=draft.translation_language,
        translation_engine=draft.translation_engine,
        translation_status=draft.translation_status.value,
        translation_note=draft.translation_note,
        guard_status=draft.guard_status.value,
        guard_findings=draft.guard_findings,
        pii_status=draft.pii_status.value,
        pii_spans=draft.pii_spans,
        stage_notes=draft.notes,
        status=MessageStatus.QUEUED.value,
        created_at=now,
    )
    message.body_raw_enc = services.envelope.seal(
        text.encode(), associated_data(principal.workspace_id, message.id, "message.body")
    )
    if draft.outgoing_translation is not None:
        message.outgoing_enc = services.envelope.seal(
            draft.outgoing_translation.encode(),
            associated_data(principal.workspace_id, message.id, "message.outgoing"),
        )
    session.add(message)
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
    for attachment in attachments:
        await attachment.attach(session, message, actor)
    if idempotency_key:
        session.add(
            IdempotencyRecord(
                workspace_id=principal.workspace_id,
                user_id=principal.user_id,
                key=idempotency_key,
                request_hash=request_hash,
                message_id=message.id,
                created_at=now,
            )
        )
    conversation.last_message_at = now
    conversation.last_message_preview = (
        draft.visible_text or " ".join(a.label for a in attachments)
    )[:200]
    conversation.unread_count = 0
    await audit.record(
        session,
        principal.workspace_id,
        "message.send",
        actor,
        target_type="message",
        target_id=message.id,
        data={
            "conversation_id": conversation.id,
            "contact_id": contact.id,
            "account_id": conversation.account_id,
            "handles": _handles(services, principal, text, draft),
        },
    )
    await raise_guard_alerts(
        session,
        principal.workspace_id,
        draft.guard_findings,
        outbound_blocked=False,
        who=f"{principal.display_name} sent",
        actor_id=principal.user_id,
        target_type="message",
        target_id=message.id,
    )
    if draft.guard_findings:
        await audit.record(
            session,
            principal.workspace_id,
            "guard.hit",
            actor,
            target_type="message",
            target_id=message.id,
            data=guard_summary(draft.guard_findings, confirmed=confirm_warnings),
        )
    publish_on_commit(
        services,
        session,
        "message.created",
        conversation,
        {"message_id": message.id, "direction": "outbound"},
    )
    wake_delivery_on_commit(services, session)
    try:
        await commit(session)
    except IntegrityError:
        # A concurrent request with the same Idempotency-Key won the race: answer as it did.
        await rollback(session)
        if idempotency_key:
            replay = await _replay(session, principal, idempotency_key, request_hash)
            if replay is not None:
                return SendResult(replay, replayed=True)
        raise
    return SendResult(message, replayed=False)


def outbound_draft(principal: Principal, contact: Contact, text: str) -> Draft:
    """A reply as the pipeline sees it: from the agent's language to the customer's."""
    return Draft(
        workspace_id=principal.workspace_id,
        direction=Direction.OUTBOUND,
        text=text,
        source_language=principal.language,
        target_language=contact.language,
    )


async def _replay(
    session: AsyncSession, principal: Principal, key: str, request_hash: str
) -> Message | None:
    record = await session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == principal.user_id, IdempotencyRecord.key == key
        )
    )
    if record is None:
        return None
    if record.request_hash != request_hash:
        raise IdempotencyMismatch(
            "this Idempotency-Key was already used for a different request", field="Idempotency-Key"
        )
    return await session.get(Message, record.message_id)
