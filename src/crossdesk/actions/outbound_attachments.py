"""Files agents send: checked, stored, then queued with the caption as one reply.

1. The file is checked (actions/outbound_file_checks.py: type from the bytes, no
   executables, the global cap and the platform's limit for that kind) and copied into the
   attachments directory (``<data_dir>/attachments/<workspace>/<id><ext>``) before any
   transaction, with no database connection held while the bytes are written.
2. ``send_reply`` runs the caption through the guard, masking and translation as any reply,
   and writes the message, its ``attachment`` row, the outbox row and the audit events
   (``message.send`` and ``message.attachment`` with name, size and type, never content) in
   one transaction.
3. A refused or blocked send removes the stored file; nothing points at it.

The delivery worker hands the stored file to the adapter (``Attachment.local_path``).
"""

import asyncio
import contextlib
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.actions.outbound_file_checks import CheckedFile, check_file, stream_size
from crossdesk.actions.send_reply import SendResult, send_reply
from crossdesk.channels.registry import get_adapter
from crossdesk.db.base import utcnow
from crossdesk.db.models import Attachment, ChannelAccount, Conversation, Message
from crossdesk.domain import ChannelKind, Permission, new_id
from crossdesk.domain.media_types import extension_for
from crossdesk.errors import InvalidInput, PermissionDenied
from crossdesk.risk import audit
from crossdesk.risk.rbac import Principal
from crossdesk.services import Services
from crossdesk.workers.attachments import attachments_root, write_atomically

MAX_CAPTION = 1024  # WhatsApp, Telegram and the Messenger platform all cap captions here


@dataclass(frozen=True, slots=True)
class StagedFile:
    """A checked file already written to the attachments directory."""

    attachment_id: str
    checked: CheckedFile
    relative_path: str
    sha256: str
    root: Path

    @property
    def fingerprint(self) -> str:
        return self.sha256

    @property
    def label(self) -> str:
        return f"[{self.checked.filename}]"

    @property
    def path(self) -> Path:
        return self.root / self.relative_path

    async def attach(self, session: AsyncSession, message: Message, actor: audit.Actor) -> None:
        await session.flush()  # the message row first: no ORM relationship orders the two
        session.add(
            Attachment(
                id=self.attachment_id,
                workspace_id=message.workspace_id,
                message_id=message.id,
                kind=self.checked.kind,
                content_type=self.checked.content_type,
                filename=self.checked.filename,
                size=self.checked.size,
                storage_path=self.relative_path,
                created_at=utcnow(),
            )
        )
        await audit.record(
            session,
            message.workspace_id,
            "message.attachment",
            actor,
            target_type="message",
            target_id=message.id,
            data={
                "attachment_id": self.attachment_id,
                "conversation_id": message.conversation_id,
                "filename": self.checked.filename,
                "size": self.checked.size,
                "content_type": self.checked.content_type,
                "kind": self.checked.kind,
            },
        )

    def discard(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


async def stage_file(
    services: Services,
    session: AsyncSession,
    principal: Principal,
    conversation: Conversation,
    stream: BinaryIO,
    filename: str | None,
) -> StagedFile:
    """Check the upload for the conversation's platform and store it (not yet linked)."""
    account = await session.get(ChannelAccount, conversation.account_id)
    assert account is not None
    adapter = get_adapter(ChannelKind(account.kind))
    size = await asyncio.to_thread(stream_size, stream)
    checked = await asyncio.to_thread(
        check_file,
        stream,
        size,
        filename,
        adapter,
        global_cap=services.settings.outbound_files.max_bytes,
    )
    attachment_id = new_id()
    extension = extension_for(checked.content_type)
    relative = f"{principal.workspace_id}/{attachment_id}{extension}"
    root = attachments_root(services)
    digest = await asyncio.to_thread(_write, stream, root / relative)
    return StagedFile(attachment_id, checked, relative, digest, root)


def _write(stream: BinaryIO, target: Path) -> str:
    """Store the upload under ``target`` (``write_atomically``); returns its SHA-256."""
    digest = hashlib.sha256()

    def chunks() -> Iterator[bytes]:
        stream.seek(0)
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
            yield chunk

    write_atomically(target, chunks())
    return digest.hexdigest()


async def send_file(
    services: Services,
    session: AsyncSession,
    principal: Principal,
    conversation: Conversation,
    stream: BinaryIO,
    filename: str | None,
    caption: str = "",
    *,
    idempotency_key: str | None,
    actor: audit.Actor,
    translation_override: str | None = None,
    allow_untranslated: bool = False,
    confirm_warnings: bool = False,
) -> SendResult:
    """Queue one file (with an optional caption) to the conversation's contact and commit.

    The caller has loaded ``conversation`` within the principal's scope (the same rule as
    sending text). Raises FileRefused / FileTooLarge before anything is stored, and
    BlockedByPolicy (the caption) like ``send_reply``, after removing the stored file.
    """
    if not principal.can(Permission.MESSAGE_SEND):
        raise PermissionDenied("your role may not send messages")
    if len(caption.strip()) > MAX_CAPTION:
        raise InvalidInput(f"a file's caption is limited to {MAX_CAPTION} characters", field="text")
    staged = await stage_file(services, session, principal, conversation, stream, filename)
    await session.commit()  # end the read transaction before the pipeline runs
    try:
        result = await send_reply(
            services,
            session,
            principal,
            conversation,
            caption,
            idempotency_key=idempotency_key,
            actor=actor,
            translation_override=translation_override,
            allow_untranslated=allow_untranslated,
            confirm_warnings=confirm_warnings,
            attachments=(staged,),
        )
    except BaseException:
        staged.discard()
        raise
    if result.replayed:  # the first request's file is the one linked to the message
        staged.discard()
    return result


async def message_attachments(session: AsyncSession, message_id: str) -> list[Attachment]:
    rows = await session.scalars(
        select(Attachment)
        .where(Attachment.message_id == message_id)
        .order_by(Attachment.created_at, Attachment.id)
    )
    return list(rows.all())


def stored_path(services: Services, attachment: Attachment) -> Path | None:
    """The absolute path of a stored file, or None if it is missing or escapes the root."""
    if not attachment.storage_path:
        return None
    root = attachments_root(services).resolve()
    path = (root / attachment.storage_path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path
