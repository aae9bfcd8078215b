"""The agent UI: login, the three-pane inbox and its htmx partials."""

import secrets
from typing import Annotated, cast

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.actions import conversations as conv_actions
from crossdesk.actions import identity
from crossdesk.actions.compose import preview_reply
from crossdesk.actions.reveal_pii import reveal_pii
from crossdesk.actions.send_reply import send_reply
from crossdesk.db.models import Conversation, Message, User
from crossdesk.db.repositories import (
    InboxView,
    assignable_users,
    conversation_row,
    list_conversations,
    list_messages,
    views_for,
)
from crossdesk.db.session import commit
from crossdesk.domain import ConversationStatus, Permission
from crossdesk.errors import BlockedByPolicy, CrossdeskError, InvalidInput, RateLimited
from crossdesk.risk.rbac import Principal
from crossdesk.search.repository import messages_from
from crossdesk.web.deps import (
    Reader,
    ServicesDep,
    SessionDep,
    actor_of,
    public_route,
    require,
    session_cookie_name,
)
from crossdesk.web.i18n import UI_LANGUAGES
from crossdesk.web.ui.accounts_views import inbox_filter_accounts, platform_filter
from crossdesk.web.ui.labels_views import (
    conversation_extras,
    filter_query,
    inbox_context,
    parse_inbox_filter,
)
from crossdesk.web.ui.render import render

router = APIRouter(include_in_schema=False)
pages = APIRouter(prefix="/ui", include_in_schema=False)

Workspace = Annotated[Principal, Depends(require(Permission.WORKSPACE_READ))]


def _safe_next(target: str | None) -> str:
    # Only local paths: an open redirect after login would be a phishing aid.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/ui/inbox"


@router.get("/", dependencies=[Depends(public_route)])
async def root() -> RedirectResponse:
    return RedirectResponse("/ui/inbox", status_code=303)


@router.get("/login", dependencies=[Depends(public_route)])
async def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", dependencies=[Depends(public_route)])
async def login_submit(
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    try:
        result = await identity.login(
            session, email, password, actor_of(request), days=services.settings.web.session_days
        )
    except CrossdeskError as exc:
        await commit(session)  # keep the failed-login audit event
        context = {"next": _safe_next(next), "error": exc.message, "email": email}
        return render(request, "login.html", context, status_code=401)
    await commit(session)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        session_cookie_name(services),
        result.session_token,
        max_age=services.settings.web.session_days * 86400,
        httponly=True,
        secure=services.settings.web.secure_cookies,
        samesite="lax",
        path="/",
    )
    return response


@router.post("/logout")
async def logout(
    request: Request, principal: Workspace, services: ServicesDep, session: SessionDep
) -> Response:
    token = request.cookies.get(session_cookie_name(services), "")
    await identity.logout(session, token, principal, actor_of(request, principal))
    await commit(session)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(session_cookie_name(services), path="/")
    return response


@pages.get("/inbox")
async def inbox(
    request: Request,
    principal: Reader,
    session: SessionDep,
    view: InboxView | None = None,
    c: Annotated[str | None, Query(max_length=32)] = None,
    platform: Annotated[str | None, Query(max_length=32)] = None,
    account: Annotated[str | None, Query(max_length=32)] = None,
) -> HTMLResponse:
    views = views_for(principal)
    if view is None:
        view = InboxView.MINE if principal.role.value == "agent" else views[-1]
    platform_filter(platform)  # 400 for an unknown platform
    # Every filter of the URL (labels_views.py), so a filtered inbox is a link.
    filters = parse_inbox_filter(request)
    rows = await list_conversations(session, principal, view, status=None, filters=filters)
    saved = request.query_params.get("saved")
    return render(
        request,
        "inbox.html",
        {
            "views": views,
            "view": view,
            "rows": rows,
            "selected": c,
            "filter_accounts": await inbox_filter_accounts(session, principal),
            **await inbox_context(session, principal, view, filters, saved),
        },
    )


@pages.get("/inbox/list")
async def inbox_list(
    request: Request,
    principal: Reader,
    session: SessionDep,
    view: InboxView = InboxView.MINE,
    selected: Annotated[str | None, Query(max_length=32)] = None,
    platform: Annotated[str | None, Query(max_length=32)] = None,
    account: Annotated[str | None, Query(max_length=32)] = None,
) -> HTMLResponse:
    platform_filter(platform)
    filters = parse_inbox_filter(request)
    rows = await list_conversations(session, principal, view, status=None, filters=filters)
    context = {
        "rows": rows,
        "view": view,
        "selected": selected,
        "filter_query": filter_query(view, filters),
    }
    return render(request, "_conversation_list.html", context)


async def conversation_context(
    session: SessionDep, principal: Principal, conversation: Conversation
) -> dict[str, object]:
    row = await conversation_row(session, conversation)
    users: list[User] = []
    if principal.can(Permission.CONVERSATION_ASSIGN):
        users = await assignable_users(session, principal, conversation)
    return {
        "row": row,
        "messages": await list_messages(session, conversation, viewer=principal),
        "assignable": users,
        "can_assign": principal.can(Permission.CONVERSATION_ASSIGN),
        "can_send": principal.can(Permission.MESSAGE_SEND),
        "can_reveal": principal.can(Permission.PII_REVEAL),
        "idempotency_key": secrets.token_urlsafe(16),
        "empty": True,
        **await conversation_extras(session, principal, row),  # labels, duplicate leads
    }


@pages.get("/conversations/{conversation_id}")
async def conversation_pane(
    conversation_id: str,
    request: Request,
    principal: Reader,
    services: ServicesDep,
    session: SessionDep,
    m: Annotated[str | None, Query(max_length=32)] = None,
) -> HTMLResponse:
    await conv_actions.mark_viewed(
        services, principal, conversation_id, actor_of(request, principal)
    )
    conversation = await conv_actions.load_visible(session, principal, conversation_id)
    context = await conversation_context(session, principal, conversation)
    # ``m``: a search hit to show; if older than the latest page, start the page at it.
    loaded = cast(list[Message], context["messages"])
    if m and all(message.id != m for message in loaded):
        context["messages"] = await messages_from(session, conversation, m, principal) or loaded
    return render(request, "_conversation.html", context)


@pages.get("/conversations/{conversation_id}/messages")
async def messages_pane(
    conversation_id: str, request: Request, principal: Reader, session: SessionDep
) -> HTMLResponse:
    conversation = await conv_actions.load_visible(session, principal, conversation_id)
    messages = await list_messages(session, conversation, viewer=principal)
    context = {"messages": messages, "can_reveal": principal.can(Permission.PII_REVEAL)}
    return render(request, "_messages.html", context)


@pages.post("/conversations/{conversation_id}/reply")
async def reply(
    conversation_id: str,
    request: Request,
    principal: Annotated[Principal, Depends(require(Permission.MESSAGE_SEND))],
    services: ServicesDep,
    session: SessionDep,
    text: Annotated[str, Form(max_length=4096)],
    idempotency_key: Annotated[str, Form(max_length=64)],
    translation_override: Annotated[str, Form(max_length=4096)] = "",
    send_as_written: Annotated[bool, Form()] = False,
    confirm_warnings: Annotated[bool, Form()] = False,
) -> HTMLResponse:
    conversation = await conv_actions.load_visible(session, principal, conversation_id)
    try:
        await send_reply(
            services,
            session,
            principal,
            conversation,
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


async def refused_reply(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    conversation: Conversation,
    text: str,
    exc: BlockedByPolicy | InvalidInput,
) -> HTMLResponse:
    """The conversation again with the refusal in the composer and the draft kept (422)."""
    context = await conversation_context(session, principal, conversation)
    blocked = isinstance(exc, BlockedByPolicy)
    context.update(
        {
            "composer_error": exc.message,
            "draft": text,
            "blocked_findings": exc.fields.get("findings", []) if blocked else [],
            "needs_confirmation": blocked and exc.fields.get("needs_confirmation", False),
        }
    )
    return render(request, "_conversation.html", context, status_code=422)


@pages.post("/conversations/{conversation_id}/preview")
async def preview(
    conversation_id: str,
    request: Request,
    principal: Annotated[Principal, Depends(require(Permission.MESSAGE_SEND))],
    services: ServicesDep,
    session: SessionDep,
    text: Annotated[str, Form(max_length=4096)] = "",
    translation_override: Annotated[str, Form(max_length=4096)] = "",
    back: Annotated[bool, Form()] = False,
) -> HTMLResponse:
    """The composer's live preview (POST because the draft is long; it changes nothing)."""
    conversation = await conv_actions.load_visible(session, principal, conversation_id)
    if not text.strip():
        return render(request, "_preview.html", {"empty": True})
    result = await preview_reply(
        services,
        session,
        principal,
        conversation,
        text,
        translation_override=translation_override,
        back_translate=back,
    )
    return render(request, "_preview.html", {"preview": result, "empty": False})


@pages.post(
    "/conversations/{conversation_id}/assign",
    dependencies=[
        Depends(
            require(Permission.CONVERSATION_ASSIGN, Permission.CONVERSATION_READ_OWN, any_of=True)
        )
    ],
)
async def assign(
    conversation_id: str,
    request: Request,
    principal: Reader,
    services: ServicesDep,
    session: SessionDep,
    assignee_id: Annotated[str, Form(max_length=32)] = "",
) -> HTMLResponse:
    conversation = await conv_actions.load_visible(
        session, principal, conversation_id, for_update=True
    )
    await conv_actions.assign(
        services,
        session,
        principal,
        conversation,
        assignee_id or None,
        actor_of(request, principal),
    )
    return render(
        request, "_conversation.html", await conversation_context(session, principal, conversation)
    )


@pages.post(
    "/conversations/{conversation_id}/status",
    dependencies=[
        Depends(
            require(Permission.CONVERSATION_RESOLVE, Permission.CONVERSATION_ASSIGN, any_of=True)
        )
    ],
)
async def change_status(
    conversation_id: str,
    request: Request,
    principal: Reader,
    services: ServicesDep,
    session: SessionDep,
    status: Annotated[ConversationStatus, Form()],
) -> HTMLResponse:
    conversation = await conv_actions.load_visible(
        session, principal, conversation_id, for_update=True
    )
    await conv_actions.set_status(
        services, session, principal, conversation, status, actor_of(request, principal)
    )
    return render(
        request, "_conversation.html", await conversation_context(session, principal, conversation)
    )


@pages.post("/language")
async def set_language(
    request: Request,
    principal: Workspace,
    session: SessionDep,
    language: Annotated[str, Form(max_length=16)],
) -> Response:
    if language not in UI_LANGUAGES:
        raise InvalidInput(f"unsupported language {language!r}", field="language")
    user = await session.get(User, principal.user_id)
    assert user is not None
    user.language = language
    await commit(session)
    return RedirectResponse("/ui/inbox", status_code=303)


@pages.post("/messages/{message_id}/reveal")
async def reveal(
    message_id: str,
    request: Request,
    principal: Annotated[Principal, Depends(require(Permission.PII_REVEAL))],
    services: ServicesDep,
    span: Annotated[int, Form(ge=0, le=1000)],
    reason: Annotated[str, Form(max_length=500)],
) -> HTMLResponse:
    """Show one masked value, once. The response must never be cached or kept in history."""
    try:
        value, item = await reveal_pii(
            services, principal, message_id, span, reason, actor_of(request, principal)
        )
    except (InvalidInput, RateLimited) as exc:
        return render(request, "_reveal.html", {"error": exc.message}, status_code=exc.http_status)
    return render(
        request,
        "_reveal.html",
        {"value": value, "item": item},
        headers={"Cache-Control": "no-store, private", "Pragma": "no-cache"},
    )
