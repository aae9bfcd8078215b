"""Storing one mail fetched over IMAP: message, thread index, attachments and the mailbox
cursor in one transaction, so a crash between two mails neither loses nor doubles one.

Threading: a mail joins the conversation of the nearest id it answers (In-Reply-To, then
References newest first) that the thread index knows, whichever address wrote it; a mail
that answers nothing known starts a new conversation with its sender (a second thread from
the same customer is a second conversation, as in a mail client).

Attachments: the bytes are in the mail, so they are checked (size limit, type sniffed from
the bytes, allow-list: the same rules as downloaded media) and written to the attachment
store before the transaction; a refused one keeps its metadata only. A file without a name
gets one (``attachment-2.pdf``); an inline image is captioned as such.

Mail no person wrote (docs/channels.md, "What inbound mail becomes"):
- a bounce that names one of our sent mails marks that message ``failed`` with the server's
  reason (a bounce is the only word the mail system gives after SMTP accepted the mail); any
  other bounce, and a delay report, is skipped;
- an auto-reply (out of office, ticket robots, bulk mail) is skipped: storing it would reopen
  the conversation and count as the customer's answer, and two auto-responders would answer
  each other through our replies.
Both move the cursor past the mail, which stays in the mailbox.

Sender: the contact is the Reply-To address when the mail has one (web forms and
marketplaces send From a no-reply address with the customer in Reply-To), else From.
"""

import asyncio
import contextlib
import logging
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.actions.publish import publish_on_commit
from crossdesk.actions.receive_message import (
    PreparedMessage,
    contact_for,
    prepare_events,
    store_events,
)
from crossdesk.channels.email.mime import MailPart, ParsedMail
from crossdesk.db.base import utcnow
from crossdesk.db.models import (
    Attachment,
    ChannelAccount,
    Conversation,
    EmailCursor,
    EmailThread,
    Message,
)
from crossdesk.db.session import transaction
from crossdesk.db.upsert import insert_ignore
from crossdesk.domain import Attachment as AttachmentMeta
from crossdesk.domain import (
    ConversationStatus,
    Direction,
    InboundEvent,
    MessageStatus,
    new_id,
)
from crossdesk.domain.media_types import extension_for
from crossdesk.services import Services
from crossdesk.workers.attachments import (
    DEFAULT_MAX_BYTES,
    AttachmentRefused,
    attachments_root,
    checked_type,
    write_checked,
)

logger = logging.getLogger(__name__)

PART_PREFIX = "mime-part-"
INLINE_CAPTION = "(image shown inside the mail)"
# Outbound statuses a bounce may turn into "failed" (mail has no delivered/read reports).
_BOUNCEABLE = (MessageStatus.SENT.value, MessageStatus.SENDING.value, MessageStatus.UNKNOWN.value)


@dataclass(frozen=True, slots=True)
class MailboxPosition:
    mailbox: str
    uidvalidity: int
    uid: int


@dataclass(frozen=True, slots=True)
class StoredFile:
    relative_path: str
    content_type: str
    size: int


async def read_cursor(services: Services, account_id: str, mailbox: str) -> tuple[int, int] | None:
    """(uidvalidity, last_uid) of the mailbox, or None before the first mail."""
    async with services.read_sessionmaker() as session:
        row = await session.get(EmailCursor, (account_id, mailbox))
        return (row.uidvalidity, row.last_uid) if row is not None else None


async def advance_cursor(
    services: Services, account: ChannelAccount, position: MailboxPosition
) -> None:
    """Move the cursor without storing anything (an expunged or empty UID range)."""
    async with transaction(services.sessionmaker) as session:
        await _move_cursor(session, account, position)


def _kind(content_type: str) -> str:
    major = content_type.split("/", 1)[0]
    return major if major in ("image", "video", "audio") else "document"


def _part_name(part: MailPart, number: int) -> str:
    if part.filename:
        return part.filename[:300]
    stem = "image" if part.inline else "attachment"
    return f"{stem}-{number}{extension_for(part.content_type)}"


def mail_event(account: ChannelAccount, mail: ParsedMail, *, new_thread: bool) -> InboundEvent:
    """The mail as an inbound event. Mail the account itself sent (from another mail client)
    is an echo attributed to the customer it was sent to. The quoted history of a reply is
    left out in a known thread (it is already there) and kept under the new text when the
    mail starts a conversation (the history may be a mail crossdesk never saw)."""
    own = account.external_id.strip().lower()
    echo = mail.from_address == own
    others = [a for a in mail.to_addresses if a != own]
    reply_to = mail.reply_to_address if mail.reply_to_address != own else ""
    if echo:
        sender, name = (others[0] if others else mail.from_address), None
    elif reply_to:
        sender, name = reply_to, mail.reply_to_name or mail.from_name or None
    else:
        sender, name = mail.from_address, mail.from_name or None
    text = mail.text.strip()
    if new_thread and mail.quoted:
        text = f"{text}\n\n{mail.quoted}".strip()
    if new_thread and mail.subject:
        text = f"{mail.subject}\n\n{text}".strip()
    attachments = tuple(
        AttachmentMeta(
            kind=_kind(part.content_type),
            content_type=part.content_type,
            filename=_part_name(part, index + 1),
            size=len(part.data),
            platform_file_id=f"{PART_PREFIX}{index}",
            caption=INLINE_CAPTION if part.inline else None,
        )
        for index, part in enumerate(mail.parts)
    )
    return InboundEvent(
        platform_message_id=mail.message_id[:200],
        sender_id=(sender or "unknown@invalid")[:200],
        text=text or "(empty mail)",
        sent_at=mail.sent_at,
        sender_name=name,
        attachments=attachments,
        reply_to_platform_id=mail.in_reply_to[0][:200] if mail.in_reply_to else None,
        echo=echo,
        kind="echo" if echo else "message",
    )


async def thread_conversation(services: Services, account_id: str, mail: ParsedMail) -> str | None:
    """The conversation of the nearest known mail this one answers, or None."""
    ids = [i[:500] for i in mail.thread_ids()]
    if not ids:
        return None
    async with services.read_sessionmaker() as session:
        rows = (
            await session.execute(
                select(EmailThread.message_id_header, EmailThread.conversation_id).where(
                    EmailThread.account_id == account_id,
                    EmailThread.message_id_header.in_(ids),
                )
            )
        ).all()
    found = {header: conversation for header, conversation in rows}
    return next((found[i] for i in ids if i in found), None)


def _write_part(
    services: Services, workspace_id: str, part: MailPart, max_bytes: int
) -> StoredFile | None:
    """Check and store one part's bytes; None (logged) when refused."""
    try:
        if len(part.data) > max_bytes:
            raise AttachmentRefused(f"the file has {len(part.data)} bytes; limit {max_bytes}")
        content_type = checked_type(part.content_type, None, part.data[:16])
    except AttachmentRefused as exc:
        logger.info("e-mail attachment not stored: %s", exc)
        return None
    stored = write_checked(services, workspace_id, new_id(), content_type, part.data)
    return StoredFile(stored.relative_path, stored.content_type, stored.size)


async def store_mail(
    services: Services,
    account: ChannelAccount,
    mail: ParsedMail,
    position: MailboxPosition,
    *,
    max_attachment_bytes: int = DEFAULT_MAX_BYTES,
) -> bool:
    """Store one mail (exactly once) and move the cursor past it; True if it was new."""
    if mail.bounce is not None:
        await _apply_bounce(services, account, mail, position)
        return False
    if mail.auto_reply:
        logger.info("auto-reply in account %s not stored", account.id)
        await advance_cursor(services, account, position)
        return False
    conversation_id = await thread_conversation(services, account.id, mail)
    event = mail_event(account, mail, new_thread=conversation_id is None)
    prepared = await prepare_events(services, account, [event])  # [] when already stored
    files: dict[str, StoredFile] = {}
    if prepared:
        for index, part in enumerate(mail.parts):
            stored = await asyncio.to_thread(
                _write_part, services, account.workspace_id, part, max_attachment_bytes
            )
            if stored is not None:
                files[f"{PART_PREFIX}{index}"] = stored
    new = False
    async with transaction(services.sessionmaker) as session:
        if prepared:
            item = prepared[0]
            assert isinstance(item, PreparedMessage)
            if conversation_id is None:
                conversation_id = await _new_conversation(services, session, account, event)
            result = await store_events(
                services, session, account, [replace(item, conversation_id=conversation_id)]
            )
            new = result.stored == 1
            if new:
                await _index_and_attach(session, account, mail, conversation_id, files)
        await _move_cursor(session, account, position)
    if not new:
        _discard(services, files)
    return new


async def _apply_bounce(
    services: Services, account: ChannelAccount, mail: ParsedMail, position: MailboxPosition
) -> None:
    """Mark the sent mail a bounce names as failed; move the cursor either way."""
    bounce = mail.bounce
    assert bounce is not None
    ids = [i[:200] for i in bounce.original_ids]
    async with transaction(services.sessionmaker) as session:
        rows = (
            (
                await session.scalars(
                    select(Message).where(
                        Message.account_id == account.id,
                        Message.direction == Direction.OUTBOUND.value,
                        Message.platform_message_id.in_(ids),
                        Message.status.in_(_BOUNCEABLE),
                    )
                )
            ).all()
            if ids and bounce.failed
            else []
        )
        for row in rows:
            await session.execute(
                update(Message)
                .where(Message.id == row.id)
                .values(
                    status=MessageStatus.FAILED.value,
                    status_at=utcnow(),
                    error=f"bounced: {bounce.detail}"[:500],
                )
            )
            conversation = await session.get(Conversation, row.conversation_id)
            if conversation is not None:
                publish_on_commit(
                    services,
                    session,
                    "message.status",
                    conversation,
                    {"message_id": row.id, "status": MessageStatus.FAILED.value},
                )
        await _move_cursor(session, account, position)
    logger.info("bounce in account %s: %d sent message(s) marked failed", account.id, len(rows))


async def _new_conversation(
    services: Services, session: AsyncSession, account: ChannelAccount, event: InboundEvent
) -> str:
    contact_id, _ = await contact_for(services, session, account, event)
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
    return conversation.id


async def _index_and_attach(
    session: AsyncSession,
    account: ChannelAccount,
    mail: ParsedMail,
    conversation_id: str,
    files: dict[str, StoredFile],
) -> None:
    await insert_ignore(
        session,
        EmailThread,
        {
            "id": new_id(),
            "workspace_id": account.workspace_id,
            "account_id": account.id,
            "conversation_id": conversation_id,
            "message_id_header": mail.message_id[:500],
            "subject": mail.subject[:500],
            "references": " ".join(mail.references),
            "direction": Direction.INBOUND.value,
            "created_at": utcnow(),
        },
    )
    if not files:
        return
    message_id = await session.scalar(
        select(Message.id).where(
            Message.account_id == account.id,
            Message.platform_message_id == mail.message_id[:200],
        )
    )
    rows = (
        await session.scalars(select(Attachment).where(Attachment.message_id == message_id))
    ).all()
    for row in rows:
        stored = files.get(row.platform_file_id or "")
        if stored is not None:
            row.storage_path = stored.relative_path
            row.content_type = stored.content_type
            row.size = stored.size


async def _move_cursor(
    session: AsyncSession, account: ChannelAccount, position: MailboxPosition
) -> None:
    row = await session.get(EmailCursor, (account.id, position.mailbox))
    if row is None:
        session.add(
            EmailCursor(
                workspace_id=account.workspace_id,
                account_id=account.id,
                mailbox=position.mailbox,
                uidvalidity=position.uidvalidity,
                last_uid=position.uid,
                updated_at=utcnow(),
            )
        )
        return
    if row.uidvalidity != position.uidvalidity:
        row.uidvalidity, row.last_uid = position.uidvalidity, position.uid
    else:
        row.last_uid = max(row.last_uid, position.uid)
    row.updated_at = utcnow()


def _discard(services: Services, files: dict[str, StoredFile]) -> None:
    for stored in files.values():
        with contextlib.suppress(FileNotFoundError):
            (attachments_root(services) / Path(stored.relative_path)).unlink()
