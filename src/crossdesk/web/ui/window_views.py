"""The composer's messaging-window notice and WhatsApp template picker (htmx fragments).

The notice loads with the conversation pane: for platforms with a customer-service window it
says whether free text can still be sent, and once the window has closed it offers the
account's approved templates (WhatsApp). Fetching templates holds no database session while
Graph answers (ADR 0002).
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from crossdesk.actions import conversations as conv_actions
from crossdesk.actions.whatsapp_templates import (
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
    context = {"templates": templates, "conversation_id": conversation_id, "error": error}
    return render(request, "_templates.html", context, status_code=200 if error is None else 502)


@router.post("/{conversation_id}/template")
async def send_template_form(
    conversation_id: str,
    request: Request,
    principal: Sender,
    services: ServicesDep,
) -> HTMLResponse:
    form = await request.form()
    key = form.get("template", "")
    values = [v for v in form.getlist("param") if isinstance(v, str)]
    if not isinstance(key, str) or not key or len(key) > 600:
        raise InvalidInput("choose a template", field="template")
    if len(values) > MAX_PARAMS or any(len(v) > MAX_PARAM for v in values):
        raise InvalidInput("too many or too long template parameters", field="param")
    try:
        await send_template(
            services, principal, conversation_id, key, values, actor_of(request, principal)
        )
    except (InvalidInput, BlockedByPolicy) as exc:
        context = {
            "templates": [],
            "conversation_id": conversation_id,
            "error": exc.message,
        }
        return render(request, "_templates.html", context, status_code=422)
    return await _pane(request, principal, services, conversation_id)


async def _pane(
    request: Request, principal: Principal, services: ServicesDep, conversation_id: str
) -> HTMLResponse:
    async with services.read_sessionmaker() as session:
        conversation = await conv_actions.load_visible(session, principal, conversation_id)
        context = await conversation_context(session, principal, conversation)
    return render(request, "_conversation.html", context)
