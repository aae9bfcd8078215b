"""Teamwork in the conversation pane: private notes and quick replies."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse

from crossdesk.actions import conversations as conv_actions
from crossdesk.actions.notes import add_note
from crossdesk.actions.quick_replies import (
    ReplyVariables,
    fill,
    save_quick_reply,
    visible_replies,
)
from crossdesk.db.models import Contact, ContactProfile
from crossdesk.db.repositories import team_names
from crossdesk.db.session import commit
from crossdesk.domain import Permission
from crossdesk.errors import CrossdeskError
from crossdesk.risk.rbac import Principal
from crossdesk.web.deps import Reader, ServicesDep, SessionDep, actor_of, require
from crossdesk.web.ui.render import render
from crossdesk.web.ui.views import conversation_context

router = APIRouter(prefix="/ui", include_in_schema=False)
Writer = Annotated[Principal, Depends(require(Permission.MESSAGE_SEND))]


@router.post("/conversations/{conversation_id}/note")
async def note(
    conversation_id: str,
    request: Request,
    principal: Writer,
    services: ServicesDep,
    session: SessionDep,
    text: Annotated[str, Form(max_length=4096)],
) -> HTMLResponse:
    conversation = await conv_actions.load_visible(session, principal, conversation_id)
    try:
        await add_note(
            services, session, principal, conversation, text, actor_of(request, principal)
        )
    except CrossdeskError as exc:
        context = await conversation_context(session, principal, conversation)
        context.update({"composer_error": exc.message, "draft": text})
        return render(request, "_conversation.html", context, status_code=exc.http_status)
    return render(
        request, "_conversation.html", await conversation_context(session, principal, conversation)
    )


@router.get("/conversations/{conversation_id}/quick-replies")
async def quick_replies(
    conversation_id: str,
    request: Request,
    principal: Reader,
    session: SessionDep,
    q: Annotated[str, Query(max_length=40)] = "",
) -> HTMLResponse:
    """The composer's "/" menu, with variables already filled for this conversation."""
    conversation = await conv_actions.load_visible(session, principal, conversation_id)
    contact = await session.get(Contact, conversation.contact_id)
    assert contact is not None
    attributes: dict[str, object] = {}
    # A merged person's profile lives on the surviving contact; this contact's own wins.
    for profile_id in dict.fromkeys(filter(None, [contact.person_id, contact.id])):
        profile = await session.get(ContactProfile, profile_id)
        if profile is not None:
            attributes.update(profile.attributes)
    variables = ReplyVariables(contact.display_name, principal.display_name, attributes)
    replies = [
        (reply.shortcut, fill(reply.text, variables))
        for reply in await visible_replies(session, principal, q.lstrip("/"))
    ]
    return render(request, "_quick_replies.html", {"replies": replies})


@router.get("/settings/quick-replies")
async def quick_replies_page(
    request: Request, principal: Writer, session: SessionDep
) -> HTMLResponse:
    return render(request, "settings_quick_replies.html", await _library(session, principal))


@router.post("/settings/quick-replies")
async def save_reply(
    request: Request,
    principal: Writer,
    session: SessionDep,
    shortcut: Annotated[str, Form(max_length=41)],
    text: Annotated[str, Form(max_length=4096)],
    team_id: Annotated[str, Form(max_length=32)] = "",
) -> HTMLResponse:
    error = None
    try:
        await save_quick_reply(
            session,
            principal,
            shortcut=shortcut,
            text=text,
            team_id=team_id or None,
            actor=actor_of(request, principal),
        )
        await commit(session)
    except CrossdeskError as exc:
        error = exc.message
    context = {**await _library(session, principal), "error": error}
    return render(
        request, "settings_quick_replies.html", context, status_code=422 if error else 200
    )


async def _library(session: SessionDep, principal: Principal) -> dict[str, object]:
    return {
        "replies": await visible_replies(session, principal, limit=500),
        "teams": await team_names(session, principal.workspace_id),
    }
