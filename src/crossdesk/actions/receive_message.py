"""Store what a platform sent: new customer messages, echoes and status reports."""

import logging
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.actions.publish import publish_on_commit
from crossdesk.db.base import utcnow
from crossdesk.db.models import Attachment as AttachmentRow
from crossdesk.db.models import ChannelAccount, Contact, Conversation, Message, Workspace
from crossdesk.db.upsert import insert_ignore
from crossdesk.domain import (
    ConversationStatus,
    Direction,
    InboundEvent,
    MessageStatus,
    StatusEvent,
    new_id,
)
from crossdesk.pipeline import Draft
from crossdesk.services import Services
from crossdesk.vault.crypto import associated_data

logger = logging.getLogger(__name__)

PREVIEW_LENGTH = 200


@dataclass(frozen=True, slots=True)
class ReceiveResult:
    stored: int
    duplicates: int
    statuses: int


async def receive_events(
    services: Services,
    session: AsyncSession,
    account: ChannelAccount,
    events: list[InboundEvent | StatusEvent],
) -> ReceiveResult:
    """Store one webhook's events in the caller's transaction (the caller commits, then
    answers the platform). Redelivered messages are refused by the unique constraint."""
    stored = duplicates = statuses = 0
    for event in events:
        if isinstance(event, StatusEvent):
            statuses += await _apply_status(services, session, account, event)
        elif await _store_message(services, session, account, event):
            stored += 1
        else:
            duplicates += 1
    return ReceiveResult(stored, duplicates, statuses)


async def _store_message(
    services: Services, session: AsyncSession, account: ChannelAccount, event: InboundEvent
) -> bool:
    already = await session.scalar(
        select(Message.id).where(
            Message.account_id == account.id,
            Message.platform_message_id == event.platform_message_id,
        )
    )
    if already is not None:  # cheap early exit; the constraint below is the real guarantee
        return False
    contact = await _contact_for(session, account, event)
    conversation = await _conversation_for(session, account, contact)
    direction = Direction.OUTBOUND if event.echo else Direction.INBOUND
    agent_language = await session.scalar(
        select(Workspace.default_language).where(Workspace.id == account.workspace_id)
    )
    draft = Draft(
        workspace_id=account.workspace_id,
        direction=direction,
        text=event.text,
        source_language=event.language_hint or contact.language,
        target_language=agent_language,
    )
    if direction is Direction.INBOUND:
        draft = (await services.pipelines.inbound.run(draft)).draft
    message_id = new_id()
    inserted = await insert_ignore(
        session,
        Message,
        {
            "id": message_id,
            "workspace_id": account.workspace_id,
            "conversation_id": conversation.id,
            "account_id": account.id,
            "direction": direction.value,
            "sender_label": "phone app"
            if event.echo
            else (event.sender_name or contact.display_name),
            "body_masked": draft.visible_text,
            "body_raw_enc": services.envelope.seal(
                event.text.encode(),
                associated_data(account.workspace_id, message_id, "message.body"),
            ),
            "language": draft.language,
            "language_status": draft.language_status.value,
            "translation": draft.translation,
            "translation_language": draft.translation_language,
            "translation_engine": draft.translation_engine,
            "translation_status": draft.translation_status.value,
            "translation_note": draft.translation_note,
            "guard_status": draft.guard_status.value,
            "guard_findings": draft.guard_findings,
            "pii_status": draft.pii_status.value,
            "pii_spans": draft.pii_spans,
            "stage_notes": draft.notes,
            "status": (MessageStatus.SENT if event.echo else MessageStatus.RECEIVED).value,
            "platform_message_id": event.platform_message_id,
            "echo": event.echo,
            "sent_at": event.sent_at,
            "created_at": utcnow(),
        },
    )
    if not inserted:
        return False
    for attachment in event.attachments:
        session.add(
            AttachmentRow(
                workspace_id=account.workspace_id,
                message_id=message_id,
                kind=attachment.kind,
                content_type=attachment.content_type,
                filename=attachment.filename,
                size=attachment.size,
                platform_file_id=attachment.platform_file_id,
                url=attachment.url,
            )
        )
    if draft.language and direction is Direction.INBOUND and contact.language != draft.language:
        contact.language = draft.language
    now = utcnow()
    conversation.last_message_at = now
    preview = draft.translation or draft.visible_text
    conversation.last_message_preview = preview[:PREVIEW_LENGTH]
    if direction is Direction.INBOUND:
        conversation.last_inbound_at = now
        conversation.unread_count += 1
        if conversation.status != ConversationStatus.OPEN.value:
            conversation.status = ConversationStatus.OPEN.value  # a customer reopens it
    publish_on_commit(
        services,
        session,
        "message.created",
        conversation,
        {"message_id": message_id, "direction": direction.value},
    )
    return True


async def _contact_for(
    session: AsyncSession, account: ChannelAccount, event: InboundEvent
) -> Contact:
    values = {
        "id": new_id(),
        "workspace_id": account.workspace_id,
        "account_id": account.id,
        "platform_user_id": event.sender_id,
        "display_name": (event.sender_name or event.sender_id)[:200],
        "language": event.language_hint,
        "created_at": utcnow(),
    }
    await insert_ignore(session, Contact, values)
    contact = await session.scalar(
        select(Contact).where(
            Contact.account_id == account.id, Contact.platform_user_id == event.sender_id
        )
    )
    assert contact is not None  # inserted above or by a concurrent delivery
    return contact


async def _conversation_for(
    session: AsyncSession, account: ChannelAccount, contact: Contact
) -> Conversation:
    """The contact's latest conversation on this account, or a new one in the account's team."""
    conversation = await session.scalar(
        select(Conversation)
        .where(Conversation.account_id == account.id, Conversation.contact_id == contact.id)
        .order_by(Conversation.created_at.desc())
        .limit(1)
    )
    if conversation is None:
        conversation = Conversation(
            workspace_id=account.workspace_id,
            account_id=account.id,
            contact_id=contact.id,
            team_id=account.team_id,
            status=ConversationStatus.OPEN.value,
            created_at=utcnow(),
        )
        session.add(conversation)
        await session.flush()
    return conversation


async def _apply_status(
    services: Services, session: AsyncSession, account: ChannelAccount, event: StatusEvent
) -> int:
    message = await session.scalar(
        select(Message).where(
            Message.account_id == account.id,
            Message.platform_message_id == event.platform_message_id,
        )
    )
    if message is None:
        logger.debug("status for an unknown message on account %s", account.id)
        return 0
    if not MessageStatus(message.status).can_become(event.status):
        return 0  # a late "sent" never overwrites "read"
    await session.execute(
        update(Message)
        .where(Message.id == message.id)
        .values(status=event.status.value, status_at=event.at, error=event.error_detail)
    )
    conversation = await session.get(Conversation, message.conversation_id)
    assert conversation is not None
    publish_on_commit(
        services,
        session,
        "message.status",
        conversation,
        {"message_id": message.id, "status": event.status.value},
    )
    return 1
