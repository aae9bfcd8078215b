"""Store what a platform sent: new customer messages, echoes and status reports.

Two phases, so that no write lock is held while engines work (translation may call a
remote service): ``prepare_events`` reads and runs the inbound pipeline; ``store_events``
writes everything in the caller's transaction.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.actions.notifications import message_notification, notify
from crossdesk.actions.presence import wake_assignment_on_commit
from crossdesk.actions.publish import publish_on_commit
from crossdesk.channels.meta.events import WatermarkStatus
from crossdesk.db.base import utcnow
from crossdesk.db.models import Attachment as AttachmentRow
from crossdesk.db.models import (
    ChannelAccount,
    Contact,
    Conversation,
    Message,
    User,
    Workspace,
)
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
from crossdesk.pipeline.stages.guard import guard_summary
from crossdesk.risk import audit
from crossdesk.risk.alerts import raise_guard_alerts
from crossdesk.services import Services
from crossdesk.vault.crypto import associated_data

logger = logging.getLogger(__name__)

PREVIEW_LENGTH = 200


@dataclass(frozen=True, slots=True)
class ReceiveResult:
    stored: int
    duplicates: int
    statuses: int
    deletions: int = 0


@dataclass(frozen=True, slots=True)
class PreparedMessage:
    event: InboundEvent
    draft: Draft
    # Set by channels that thread by something other than the contact (e-mail: by
    # Message-ID/References); None means the contact's latest conversation.
    conversation_id: str | None = None


# A platform "message deleted/unsent" event (kind "delete") passes through unprepared.
Prepared = PreparedMessage | StatusEvent | InboundEvent


async def prepare_events(
    services: Services,
    account: ChannelAccount,
    events: list[InboundEvent | StatusEvent],
    *,
    default_language: str | None = None,
) -> list[Prepared]:
    """Run the inbound pipeline on new messages. Reads happen first, in a session that is
    closed before any engine runs (ADR 0003)."""
    pending: list[tuple[InboundEvent, str | None, str | None]] = []
    statuses: list[StatusEvent] = []
    deletions: list[InboundEvent] = []
    async with services.read_sessionmaker() as session:
        if default_language is None:
            default_language = await session.scalar(
                select(Workspace.default_language).where(Workspace.id == account.workspace_id)
            )
        for event in events:
            if isinstance(event, StatusEvent):
                statuses.append(event)
                continue
            if event.kind == "delete":
                deletions.append(event)
                continue
            if await _already_stored(session, account, event.platform_message_id):
                continue  # cheap early exit; the unique constraint is the real guarantee
            contact_language, reader_language = await _languages(session, account, event)
            pending.append((event, contact_language, reader_language))
    prepared: list[Prepared] = []
    for event, contact_language, reader_language in pending:
        direction = Direction.OUTBOUND if event.echo else Direction.INBOUND
        draft = Draft(
            workspace_id=account.workspace_id,
            direction=direction,
            text=event.text,
            source_language=event.language_hint or contact_language,
            target_language=reader_language or default_language,
        )
        if direction is Direction.INBOUND:
            draft = (await services.pipelines.inbound.run(draft)).draft
        else:  # an echo from the phone app: only shown, never re-checked or translated
            draft.notes["pipeline"] = "not run: sent from the phone app"
        prepared.append(PreparedMessage(event, draft))
    return [*prepared, *statuses, *deletions]


async def store_events(
    services: Services, session: AsyncSession, account: ChannelAccount, prepared: list[Prepared]
) -> ReceiveResult:
    """Write prepared events in the caller's transaction (the caller commits, then
    answers the platform). Redeliveries are refused by the unique constraint."""
    stored = duplicates = statuses = deletions = 0
    for item in prepared:
        if isinstance(item, StatusEvent):
            statuses += await _apply_status(services, session, account, item)
        elif isinstance(item, InboundEvent):
            deletions += await _apply_deletion(services, session, account, item)
        elif await _store_message(services, session, account, item):
            stored += 1
        else:
            duplicates += 1
    return ReceiveResult(stored, duplicates, statuses, deletions)


async def receive_events(
    services: Services,
    session: AsyncSession,
    account: ChannelAccount,
    events: list[InboundEvent | StatusEvent],
) -> ReceiveResult:
    """Both phases; ``session`` is used only for the writes."""
    prepared = await prepare_events(services, account, events)
    result = await store_events(services, session, account, prepared)
    return ReceiveResult(
        result.stored,
        result.duplicates + len(events) - len(prepared),
        result.statuses,
        result.deletions,
    )


# Statements built once: on this hot path, building a SELECT costs more than running it.
_ALREADY_STORED = select(Message.id).where(
    Message.account_id == bindparam("account_id"),
    Message.platform_message_id == bindparam("platform_id"),
)
_LANGUAGES = (
    select(Contact.language, User.language)
    .select_from(Contact)
    .outerjoin(Conversation, Conversation.contact_id == Contact.id)
    .outerjoin(User, User.id == Conversation.assignee_id)
    .where(
        Contact.account_id == bindparam("account_id"),
        Contact.platform_user_id == bindparam("sender_id"),
    )
    .order_by(Conversation.created_at.desc())
    .limit(1)
)


async def _already_stored(session: AsyncSession, account: ChannelAccount, platform_id: str) -> bool:
    params = {"account_id": account.id, "platform_id": platform_id}
    return await session.scalar(_ALREADY_STORED, params) is not None


async def _languages(
    session: AsyncSession, account: ChannelAccount, event: InboundEvent
) -> tuple[str | None, str | None]:
    """The contact's known language and the language of whoever works the conversation."""
    params = {"account_id": account.id, "sender_id": event.sender_id}
    row = (await session.execute(_LANGUAGES, params)).first()
    if row is None:
        return None, None
    return row[0], row[1]


async def _store_message(
    services: Services, session: AsyncSession, account: ChannelAccount, item: PreparedMessage
) -> bool:
    """Core statements only, built once: this runs for every inbound message."""
    event, draft = item.event, item.draft
    contact_id, contact_language = await contact_for(services, session, account, event)
    conversation = await _conversation_for(session, account, contact_id, item.conversation_id)
    direction = draft.direction
    message_id = new_id()
    now = utcnow()
    inserted = await insert_ignore(
        session,
        Message,
        {
            "id": message_id,
            "workspace_id": account.workspace_id,
            "conversation_id": conversation.id,
            "account_id": account.id,
            "direction": direction.value,
            "sender_user_id": None,
            "sender_label": "phone app" if event.echo else _visible_name(services, event),
            "body_masked": draft.visible_text,
            "body_raw_enc": services.envelope.seal(
                event.text.encode(),
                associated_data(account.workspace_id, message_id, "message.body"),
            ),
            "outgoing_enc": None,
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
            "error": None,
            "echo": event.echo,
            "deleted_by_platform": False,
            "sent_at": event.sent_at,
            "status_at": None,
            "created_at": now,
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
    inbound = direction is Direction.INBOUND
    if draft.guard_findings:
        await audit.record(
            session,
            account.workspace_id,
            "guard.hit",
            audit.SYSTEM,
            target_type="message",
            target_id=message_id,
            data=guard_summary(draft.guard_findings, direction=direction.value),
        )
        await raise_guard_alerts(
            session,
            account.workspace_id,
            draft.guard_findings,
            outbound_blocked=False,
            who="customer message",
            actor_id=None,
            target_type="message",
            target_id=message_id,
        )
    if inbound and draft.language and contact_language != draft.language:
        # Sticky: the customer's language follows them to their next message.
        await session.execute(
            _SET_CONTACT_LANGUAGE, {"b_id": contact_id, "b_language": draft.language}
        )
    preview = (draft.translation or draft.visible_text)[:PREVIEW_LENGTH]
    await (await session.connection()).execute(
        _TOUCH_INBOUND if inbound else _TOUCH_OUTBOUND,
        {"b_id": conversation.id, "b_now": now, "b_preview": preview},
    )
    publish_on_commit(
        services,
        session,
        "message.created",
        conversation,
        {
            "message_id": message_id,
            "direction": direction.value,
            "platform_message_id": event.platform_message_id,
        },
    )
    if inbound:
        await _after_inbound(services, session, conversation, message_id, preview)
    return True


async def _after_inbound(
    services: Services,
    session: AsyncSession,
    conversation: "_ConversationRef",
    message_id: str,
    preview: str,
) -> None:
    """The owner hears of the message (one unread notice per conversation: an INSERT
    that conflicts does nothing); an unowned one wakes the assignment worker once the
    group commits, so auto-assignment never runs inside this hot transaction."""
    if conversation.assignee_id is not None:
        note = message_notification(conversation.assignee_id, conversation.id, message_id, preview)
        await notify(services, session, conversation.workspace_id, note)
    elif conversation.team_id is not None:
        wake_assignment_on_commit(services, session, [conversation.team_id])


_SET_CONTACT_LANGUAGE = (
    update(Contact).where(Contact.id == bindparam("b_id")).values(language=bindparam("b_language"))
)
_TOUCH_INBOUND = (
    update(Conversation)
    .where(Conversation.id == bindparam("b_id"))
    .values(
        last_message_at=bindparam("b_now"),
        last_inbound_at=bindparam("b_now"),
        last_message_preview=bindparam("b_preview"),
        unread_count=Conversation.unread_count + 1,
        inbound_total=Conversation.inbound_total + 1,  # per-user unread (read markers)
        status=ConversationStatus.OPEN.value,  # a customer's message reopens it
        archived_at=None,  # and brings it back from the archive
    )
)
_TOUCH_OUTBOUND = (
    update(Conversation)
    .where(Conversation.id == bindparam("b_id"))
    .values(last_message_at=bindparam("b_now"), last_message_preview=bindparam("b_preview"))
)


def _visible_name(services: Services, event: InboundEvent) -> str:
    """What agents see as the sender: the profile name, else the platform id, both masked.

    A WhatsApp id is the customer's phone number written without "+", which the masker
    (rightly) does not take for a phone in running text; read it as the international number.
    """
    if event.sender_name:
        return services.masker.mask(event.sender_name[:200], None).masked_text
    sender_id = event.sender_id[:200]
    if sender_id.isdigit():
        as_phone = services.masker.mask(f"+{sender_id}", None).masked_text
        if as_phone != f"+{sender_id}":
            return as_phone
    return services.masker.mask(sender_id, None).masked_text


async def contact_for(
    services: Services, session: AsyncSession, account: ChannelAccount, event: InboundEvent
) -> tuple[str, str | None]:
    """The contact's id and known language, creating the contact on first contact.

    Profile names are often phone numbers or e-mail addresses: they are stored masked like
    message bodies (the platform id, needed to reply, is shown only to pii.reveal holders).
    """
    values = {
        "id": new_id(),
        "workspace_id": account.workspace_id,
        "account_id": account.id,
        "platform_user_id": event.sender_id,
        "display_name": _visible_name(services, event),
        "language": event.language_hint,
        "country": None,
        "created_at": utcnow(),
    }
    await insert_ignore(session, Contact, values)
    row = (
        await session.execute(_CONTACT_ID, {"account_id": account.id, "sender_id": event.sender_id})
    ).one()  # inserted above or by a concurrent delivery
    return row[0], row[1]


_CONTACT_ID = select(Contact.id, Contact.language).where(
    Contact.account_id == bindparam("account_id"),
    Contact.platform_user_id == bindparam("sender_id"),
)


@dataclass(frozen=True, slots=True)
class _ConversationRef:
    """Enough of a conversation to scope its realtime events."""

    id: str
    workspace_id: str
    team_id: str | None
    assignee_id: str | None


_LATEST_CONVERSATION_REF = (
    select(
        Conversation.id, Conversation.workspace_id, Conversation.team_id, Conversation.assignee_id
    )
    .where(
        Conversation.account_id == bindparam("account_id"),
        Conversation.contact_id == bindparam("contact_id"),
    )
    .order_by(Conversation.created_at.desc())
    .limit(1)
)


async def _conversation_for(
    session: AsyncSession, account: ChannelAccount, contact_id: str, chosen: str | None = None
) -> _ConversationRef:
    """The contact's latest conversation on this account, or a new one in the account's team
    (or ``chosen``, a conversation of this account the channel picked by its own threading)."""
    if chosen is not None:
        picked = await session.get(Conversation, chosen)
        if picked is not None and picked.account_id == account.id:
            return _ConversationRef(
                picked.id, picked.workspace_id, picked.team_id, picked.assignee_id
            )
    params = {"account_id": account.id, "contact_id": contact_id}
    row = (await (await session.connection()).execute(_LATEST_CONVERSATION_REF, params)).first()
    if row is not None:
        return _ConversationRef(row[0], row[1], row[2], row[3])
    conversation = Conversation(
        id=new_id(),
        workspace_id=account.workspace_id,
        account_id=account.id,
        contact_id=contact_id,
        team_id=account.team_id,
        status=ConversationStatus.OPEN.value,
        created_at=utcnow(),
    )
    session.add(conversation)
    await session.flush()
    return _ConversationRef(conversation.id, account.workspace_id, account.team_id, None)


# Meta stamps a watermark with its own clock; our sent_at is taken when the send API answers,
# a moment after Meta's timestamp of that message.
WATERMARK_SLACK = timedelta(seconds=2)


async def _apply_watermark(
    services: Services, session: AsyncSession, account: ChannelAccount, event: WatermarkStatus
) -> int:
    """Messenger/Instagram report reads as "everything sent to this contact up to ``at``"."""
    rows = await session.execute(
        select(Message.id, Message.status, Message.conversation_id)
        .select_from(Conversation)
        .join(Contact, Contact.id == Conversation.contact_id)
        .join(Message, Message.conversation_id == Conversation.id)
        .where(
            Contact.account_id == account.id,
            Contact.platform_user_id == event.contact_id,
            Message.account_id == account.id,
            Message.direction == Direction.OUTBOUND.value,
            Message.sent_at.is_not(None),
            Message.sent_at <= event.at + WATERMARK_SLACK,
        )
    )
    moved = 0
    for message_id, status, conversation_id in rows.all():
        moved += await _move_status(services, session, message_id, status, conversation_id, event)
    return moved


async def _apply_status(
    services: Services, session: AsyncSession, account: ChannelAccount, event: StatusEvent
) -> int:
    if isinstance(event, WatermarkStatus):
        return await _apply_watermark(services, session, account, event)
    message = await session.scalar(
        select(Message).where(
            Message.account_id == account.id,
            Message.platform_message_id == event.platform_message_id,
        )
    )
    if message is None:
        logger.debug("status for an unknown message on account %s", account.id)
        return 0
    return await _move_status(
        services, session, message.id, message.status, message.conversation_id, event
    )


async def _move_status(
    services: Services,
    session: AsyncSession,
    message_id: str,
    current: str,
    conversation_id: str,
    event: StatusEvent,
) -> int:
    """Apply one status report to one message, forward only; 1 if it moved."""
    if not MessageStatus(current).can_become(event.status):
        return 0  # a late "sent" never overwrites "read"
    await session.execute(
        update(Message)
        .where(Message.id == message_id)
        .values(status=event.status.value, status_at=event.at, error=event.error_detail)
    )
    conversation = await session.get(Conversation, conversation_id)
    assert conversation is not None
    publish_on_commit(
        services,
        session,
        "message.status",
        conversation,
        {"message_id": message_id, "status": event.status.value},
    )
    return 1


async def _apply_deletion(
    services: Services, session: AsyncSession, account: ChannelAccount, event: InboundEvent
) -> int:
    """The customer deleted (unsent) a message on the platform: keep it, mark it, hide it
    from agents (``repositories.list_messages``) and record the fact in the audit log."""
    message = await session.scalar(
        select(Message).where(
            Message.account_id == account.id,
            Message.platform_message_id == event.reply_to_platform_id,
        )
    )
    if message is None or message.deleted_by_platform:
        logger.debug("deletion of an unknown or already deleted message on %s", account.id)
        return 0
    message.deleted_by_platform = True
    conversation = await session.get(Conversation, message.conversation_id)
    assert conversation is not None
    await audit.record(
        session,
        account.workspace_id,
        "message.deleted_on_platform",
        audit.SYSTEM,
        target_type="message",
        target_id=message.id,
        data={
            "conversation_id": conversation.id,
            "by": "phone app" if event.echo else "customer",
            "platform": account.kind,
            "at": event.sent_at.isoformat(),
        },
    )
    # The list preview may be the deleted text: show the newest message still visible.
    latest = await session.scalar(
        select(Message)
        .where(Message.conversation_id == conversation.id, Message.deleted_by_platform.is_(False))
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
    )
    preview = (latest.translation or latest.body_masked) if latest is not None else ""
    conversation.last_message_preview = preview[:PREVIEW_LENGTH]
    publish_on_commit(
        services,
        session,
        "message.status",
        conversation,
        {"message_id": message.id, "status": message.status, "deleted": True},
    )
    return 1
