"""Files agents send, in the UI: the composer's upload and the signed public file URL.

- ``POST /ui/conversations/{id}/reply-file``: the composer sends its form plus ``file``
  here (static/composer_files.js) when a file is attached; the same checks, guard and
  transaction as the API (actions/outbound_attachments.py).
- ``GET /files/{id}/{expires}/{signature}/{name}``: public, for platforms that fetch media
  by URL (LINE). Serves only files of outbound messages, only with a valid unexpired
  signature (actions/signed_files.py); anything else is a plain 404.
"""

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse
from sqlalchemy import select

from crossdesk.actions import conversations as conv_actions
from crossdesk.actions import signed_files
from crossdesk.actions.outbound_attachments import send_file, stored_path
from crossdesk.db.models import Attachment, Message
from crossdesk.domain import Direction, Permission
from crossdesk.errors import BlockedByPolicy, InvalidInput, NotFound
from crossdesk.risk.rbac import Principal
from crossdesk.web.deps import ServicesDep, SessionDep, actor_of, public_route, require
from crossdesk.web.ui.render import render
from crossdesk.web.ui.views import conversation_context, refused_reply
from crossdesk.workers.attachments import INLINE_IMAGE_TYPES

router = APIRouter(prefix="/ui", include_in_schema=False)
public = APIRouter(include_in_schema=False)


@router.post("/conversations/{conversation_id}/reply-file")
async def reply_with_file(
    conversation_id: str,
    request: Request,
    principal: Annotated[Principal, Depends(require(Permission.MESSAGE_SEND))],
    services: ServicesDep,
    session: SessionDep,
    file: Annotated[UploadFile, File()],
    idempotency_key: Annotated[str, Form(max_length=64)],
    text: Annotated[str, Form(max_length=4096)] = "",
    translation_override: Annotated[str, Form(max_length=4096)] = "",
    send_as_written: Annotated[bool, Form()] = False,
    confirm_warnings: Annotated[bool, Form()] = False,
) -> HTMLResponse:
    conversation = await conv_actions.load_visible(session, principal, conversation_id)
    try:
        await send_file(
            services,
            session,
            principal,
            conversation,
            file.file,
            file.filename,
            text,
            idempotency_key=idempotency_key,
            actor=actor_of(request, principal),
            translation_override=translation_override or None,
            allow_untranslated=send_as_written,
            confirm_warnings=confirm_warnings,
        )
    except (BlockedByPolicy, InvalidInput) as exc:
        return await refused_reply(request, session, principal, conversation, text, exc)
    context = await conversation_context(session, principal, conversation)
    return render(request, "_conversation.html", context)


@public.get(
    "/files/{attachment_id}/{expires}/{signature}/{name}", dependencies=[Depends(public_route)]
)
async def signed_file(
    attachment_id: str,
    expires: int,
    signature: str,
    name: str,
    services: ServicesDep,
    session: SessionDep,
) -> FileResponse:
    if not signed_files.valid(services.settings, attachment_id, expires, signature):
        raise NotFound("no such file")
    row = await session.scalar(
        select(Attachment)
        .join(Message, Message.id == Attachment.message_id)
        .where(Attachment.id == attachment_id, Message.direction == Direction.OUTBOUND.value)
    )
    path = stored_path(services, row) if row is not None else None
    if row is None or path is None:
        raise NotFound("no such file")
    content_type = row.content_type or "application/octet-stream"
    inline = content_type in INLINE_IMAGE_TYPES
    return FileResponse(
        path,
        media_type=content_type,
        filename=None if inline else (row.filename or Path(path).name),
        content_disposition_type="inline" if inline else "attachment",
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, max-age=300",
            "Referrer-Policy": "no-referrer",
        },
    )
