"""The composer's messaging-window notice and WhatsApp template picker (htmx fragments).

The notice loads with the conversation pane: for platforms with a customer-service window it
says whether free text can still be sent, and once the window has closed it offers the
account's approved templates (WhatsApp). Fetching templates holds no database session while
Graph answers (ADR 0002).

The picker lists every approved template: numbered parameters come as repeated ``param``
fields, named ones as ``param_<name>``, a TEXT header's parameter as ``header_param`` and a
media header's file as ``header_file`` (the form is then sent as multipart). A refused send
re-renders the picker in place (``HX-Retarget``) with the error naming its field and the
values kept.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData, UploadFile

from crossdesk.actions import conversations as conv_actions
from crossdesk.actions.whatsapp_templates import (
    HEADER_TYPES,
    HeaderFile,
    conversation_window,
    list_templates,
    send_template,
)
from crossdesk.domain import Permission
from crossdesk.errors import BlockedByPolicy, InvalidInput
from crossdesk.risk.rbac import Principal
from crossdesk.web.deps import Reader, ServicesDep, actor_of, require
from crossdesk.web.ui.render import render
from crossdesk.web.ui.views import conversation_context

router = APIRouter(prefix="/ui/conversations", include_in_schema=False)
Sender = Annotated[Principal, Depends(require(Permission.MESSAGE_SEND))]
MAX_PARAMS = 20
MAX_PARAM = 1024


@router.get("/{conversation_id}/window")
async def window_notice(
    conversation_id: str, request: Request, principal: Reader, services: ServicesDep
) -> HTMLResponse:
    window = await conversation_window(services, principal, conversation_id)
    context = {"window": window, "conversation_id": conversation_id}
    return render(request, "_window_notice.html", context)


@router.get("/{conversation_id}/templates")
async def template_picker(
    conversation_id: str, request: Request, principal: Sender, services: ServicesDep
) -> HTMLResponse:
    """No session held: the templates come from the platform."""
    try:
        templates = await list_templates(services, principal, conversation_id)
        error = None
    except InvalidInput as exc:
        templates, error = [], exc.message
    context = {
        "templates": templates,
        "conversation_id": conversation_id,
        "error": error,
        "header_types": HEADER_TYPES,
    }
    return render(request, "_templates.html", context, status_code=200 if error is None else 502)


@router.post("/{conversation_id}/template")
async def send_template_form(
    conversation_id: str,
    request: Request,
    principal: Sender,
    services: ServicesDep,
) -> HTMLResponse:
    async with request.form(max_files=1) as form:
        key = form.get("template", "")
        if not isinstance(key, str) or not key or len(key) > 600:
            raise InvalidInput("choose a template", field="template")
        positional, named = _values(form)
        header = _header_file(form)
        raw_header = form.get("header_param")
        header_value = raw_header if isinstance(raw_header, str) else None
        if header_value is not None and len(header_value) > MAX_PARAM:
            raise InvalidInput("the header parameter is too long", field="header_param")
        try:
            await send_template(
                services,
                principal,
                conversation_id,
                key,
                named if named else positional,
                actor_of(request, principal),
                header=header,
                header_value=header_value,
            )
        except (InvalidInput, BlockedByPolicy) as exc:
            kept: dict[str, object] = {"chosen": key, "positional": positional, "named": named}
            kept["header_value"] = header_value or ""
            return await _refused(request, principal, services, conversation_id, exc, kept)
    return await _pane(request, principal, services, conversation_id)


def _values(form: FormData) -> tuple[list[str], dict[str, str]]:
    """Numbered values (repeated ``param``) and named ones (``param_<name>``)."""
    positional = [v for v in form.getlist("param") if isinstance(v, str)]
    named = {
        k.removeprefix("param_"): v
        for k, v in form.multi_items()
        if k.startswith("param_") and isinstance(v, str)
    }
    count = len(positional) + len(named)
    lengths = [*positional, *named.values(), *named.keys()]
    if count > MAX_PARAMS or any(len(v) > MAX_PARAM for v in lengths):
        raise InvalidInput("too many or too long template parameters", field="param")
    return positional, named


def _header_file(form: FormData) -> HeaderFile | None:
    """The chosen header file; an empty file input (no file chosen) counts as none."""
    upload = form.get("header_file")
    if not isinstance(upload, UploadFile) or (not upload.filename and not upload.size):
        return None
    return HeaderFile(upload.file, upload.filename)


async def _refused(
    request: Request,
    principal: Principal,
    services: ServicesDep,
    conversation_id: str,
    exc: InvalidInput | BlockedByPolicy,
    kept: dict[str, object],
) -> HTMLResponse:
    """The picker again, in place of itself, with the error and what the agent typed."""
    try:
        templates = await list_templates(services, principal, conversation_id)
    except InvalidInput:
        templates = []
    context = {
        "templates": templates,
        "conversation_id": conversation_id,
        "error": exc.message,
        "error_field": exc.fields.get("field"),
        "header_types": HEADER_TYPES,
        **kept,
    }
    headers = {"HX-Retarget": f"#templates-{conversation_id}", "HX-Reswap": "innerHTML"}
    return render(request, "_templates.html", context, status_code=422, headers=headers)


async def _pane(
    request: Request, principal: Principal, services: ServicesDep, conversation_id: str
) -> HTMLResponse:
    async with services.read_sessionmaker() as session:
        conversation = await conv_actions.load_visible(session, principal, conversation_id)
        context = await conversation_context(session, principal, conversation)
    return render(request, "_conversation.html", context)
