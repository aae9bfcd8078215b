"""Sending a file: ``POST /api/v1/conversations/{id}/attachments`` (multipart).

Fields: ``file`` (required), ``text`` (optional caption, guarded, masked and translated like
any reply), ``translation``, ``send_as_written``, ``confirm_warnings``; an
``Idempotency-Key`` header as for text replies. Same permission and scope as sending a
message. The file's type is sniffed from its bytes (the part's content type is ignored),
executables are refused, sizes are checked against the global cap and the platform's limit.
"""

import re
from typing import Annotated

from fastapi import APIRouter, File, Form, Header, Request, Response, UploadFile
from pydantic import BaseModel

from crossdesk.actions import conversations as conv_actions
from crossdesk.actions.outbound_attachments import message_attachments, send_file
from crossdesk.config import Settings
from crossdesk.db.models import Attachment
from crossdesk.web.api.v1.schemas import MessageOut
from crossdesk.web.deps import Sender, ServicesDep, SessionDep, actor_of

router = APIRouter(prefix="/conversations", tags=["conversations"])

# Upload routes (the API's and the composer's) take bodies up to the file cap.
UPLOAD_PATHS = re.compile(
    r"/api/v1/conversations/[^/]+/attachments|/ui/conversations/[^/]+/reply-file"
    r"|/ui/conversations/[^/]+/template"  # a template's header image, video or document
)
FORM_OVERHEAD = 64 * 1024  # the caption and the multipart framing around the file


class AttachmentOut(BaseModel):
    id: str
    kind: str
    filename: str | None
    content_type: str | None
    size: int | None

    @classmethod
    def of(cls, a: Attachment) -> "AttachmentOut":
        return cls(
            id=a.id, kind=a.kind, filename=a.filename, content_type=a.content_type, size=a.size
        )


class FileMessageOut(BaseModel):
    message: MessageOut
    attachments: list[AttachmentOut]


@router.post("/{conversation_id}/attachments", response_model=FileMessageOut, status_code=201)
async def post_attachment(
    conversation_id: str,
    file: Annotated[UploadFile, File()],
    request: Request,
    response: Response,
    principal: Sender,
    services: ServicesDep,
    session: SessionDep,
    text: Annotated[str, Form(max_length=4096)] = "",
    translation: Annotated[str | None, Form(max_length=4096)] = None,
    send_as_written: Annotated[bool, Form()] = False,
    confirm_warnings: Annotated[bool, Form()] = False,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> FileMessageOut:
    """Queue one file (and its optional caption) to the conversation's customer."""
    conversation = await conv_actions.load_visible(session, principal, conversation_id)
    result = await send_file(
        services,
        session,
        principal,
        conversation,
        file.file,
        file.filename,
        text,
        idempotency_key=idempotency_key,
        actor=actor_of(request, principal),
        translation_override=translation,
        allow_untranslated=send_as_written,
        confirm_warnings=confirm_warnings,
    )
    if result.replayed:
        response.status_code = 200
    rows = await message_attachments(session, result.message.id)
    return FileMessageOut(
        message=MessageOut.of(result.message), attachments=[AttachmentOut.of(a) for a in rows]
    )


def upload_body_limit(settings: Settings) -> tuple[re.Pattern[str], int]:
    """The BodyLimitMiddleware entry for the upload routes."""
    return UPLOAD_PATHS, settings.outbound_files.max_bytes + FORM_OVERHEAD
