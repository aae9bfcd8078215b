"""Sending a file: ``POST /api/v1/conversations/{id}/attachments`` (multipart).

Fields: ``file`` (required), ``text`` (optional caption, guarded, masked and translated like
any reply), ``translation``, ``send_as_written``, ``confirm_warnings``; an
``Idempotency-Key`` header as for text replies. Same permission and scope as sending a
message. The file's type is sniffed from its bytes (the part's content type is ignored),
executables are refused, sizes are checked against the global cap and the platform's limit.
"""

import re
from typing import Annotated, cast

from fastapi import APIRouter, File, Form, Header, Request, Response, UploadFile
from pydantic import BaseModel
from starlette.types import ASGIApp

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


def install(app: ASGIApp, settings: Settings) -> None:
    """Mount the outbound-file routes on the app from ``create_app`` (called at its end,
    once its middleware is declared): the API and composer upload routes, the signed public
    file route, and a body limit for the upload routes that fits the file cap."""
    from fastapi import FastAPI

    from crossdesk.web.security import BodyLimitMiddleware
    from crossdesk.web.ui import outbound_file_views

    assert isinstance(app, FastAPI)
    if getattr(app.state, "outbound_files_installed", False):
        return
    app.state.outbound_files_installed = True
    app.include_router(router, prefix="/api/v1")
    app.include_router(outbound_file_views.router)
    app.include_router(outbound_file_views.public)
    for entry in app.user_middleware:
        if getattr(entry.cls, "__name__", "") == BodyLimitMiddleware.__name__:
            larger = cast(tuple[tuple[re.Pattern[str], int], ...], entry.kwargs.get("larger", ()))
            if all(pattern is not UPLOAD_PATHS for pattern, _ in larger):
                entry.kwargs["larger"] = (*larger, upload_body_limit(settings))
