"""Inbound attachments in the message view, served only to people who may read the
conversation (``conversation_scope``), never from a public URL.

Files are served with ``nosniff`` and a sandboxing CSP; only checked image types are shown
inline, everything else is a download.
"""

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from sqlalchemy import select

from crossdesk.db.models import Attachment, Conversation, Message
from crossdesk.errors import NotFound
from crossdesk.risk.rbac import conversation_scope
from crossdesk.web.deps import Reader, ServicesDep, SessionDep
from crossdesk.web.ui.render import render
from crossdesk.workers.attachments import (
    INLINE_IMAGE_TYPES,
    attachments_root,
    download_problems,
)

router = APIRouter(prefix="/ui", include_in_schema=False)


@router.get("/conversations/{conversation_id}/attachments")
async def conversation_attachments(
    request: Request, conversation_id: str, principal: Reader, session: SessionDep
) -> HTMLResponse:
    """Every attachment of the conversation's messages, swapped into their messages (oob)."""
    rows = (
        await session.scalars(
            select(Attachment)
            .join(Message, Message.id == Attachment.message_id)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Conversation.id == conversation_id, conversation_scope(principal))
            .order_by(Attachment.created_at, Attachment.id)
        )
    ).all()
    by_message: dict[str, list[Attachment]] = {}
    for row in rows:
        by_message.setdefault(row.message_id, []).append(row)
    # Why a file is not stored (refused, could not be downloaded) is in its message's notes.
    unstored = [m for m, items in by_message.items() if any(not a.storage_path for a in items)]
    notes: dict[str, Any] = {}
    if unstored:
        result = await session.execute(
            select(Message.id, Message.stage_notes).where(Message.id.in_(unstored))
        )
        notes = {message_id: stage_notes for message_id, stage_notes in result}
    return render(
        request,
        "_attachments.html",
        {
            "by_message": by_message,
            "inline_types": INLINE_IMAGE_TYPES,
            "problems": download_problems(rows, notes),
        },
    )


@router.get("/attachments/{attachment_id}")
async def attachment_file(
    attachment_id: str, principal: Reader, services: ServicesDep, session: SessionDep
) -> FileResponse:
    row = await session.scalar(
        select(Attachment)
        .join(Message, Message.id == Attachment.message_id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Attachment.id == attachment_id, conversation_scope(principal))
    )
    if row is None or not row.storage_path:
        raise NotFound("no such attachment, or it has not been fetched yet")
    root = attachments_root(services).resolve()
    path = (root / row.storage_path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise NotFound("the attachment's file is missing")
    content_type = row.content_type or "application/octet-stream"
    inline = content_type in INLINE_IMAGE_TYPES
    return FileResponse(
        path,
        media_type=content_type,
        filename=None if inline else (row.filename or Path(row.storage_path).name),
        content_disposition_type="inline" if inline else "attachment",
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, max-age=3600",
        },
    )
