"""Labels and saved views in the UI: the inbox filter bar and sidebar, labels in the
conversation pane, the label settings page."""

from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.actions import conversations as conv_actions
from crossdesk.actions.contacts import also_writing_to
from crossdesk.actions.labels import (
    PALETTE,
    archive_label,
    create_label,
    label_conversation,
    list_labels,
)
from crossdesk.actions.views import (
    COUNT_CAP,
    ViewSpec,
    archive_view,
    create_view,
    view_unread_counts,
    visible_views,
)
from crossdesk.db.inbox_extras import labels_by_conversation
from crossdesk.db.inbox_filters import KEYS, InboxFilter
from crossdesk.db.models import TeamMember, User
from crossdesk.db.repositories import ConversationRow, InboxView, team_names
from crossdesk.domain import Permission
from crossdesk.errors import CrossdeskError, InvalidInput
from crossdesk.risk.rbac import Principal
from crossdesk.web.deps import Reader, ServicesDep, SessionDep, actor_of, require
from crossdesk.web.ui.render import render

router = APIRouter(prefix="/ui", include_in_schema=False)
Labeler = Annotated[Principal, Depends(require(Permission.CONVERSATION_LABEL))]
Manager = Annotated[Principal, Depends(require(Permission.LABEL_MANAGE))]

# The inbox page's own query parameters, next to the filter's.
PAGE_KEYS = ("view", "c", "selected", "saved", "m")
WAITING_CHOICES = ("15m", "1h", "4h", "1d", "3d")


def parse_inbox_filter(request: Request) -> InboxFilter:
    """The filter in the page's URL (400 naming the parameter if a value is wrong). Other
    parameters are the page's own (the selected conversation, a search hit, ...): the API
    refuses unknown filters, the page leaves them to whoever added them."""
    query: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        if key in KEYS:
            query.setdefault(key, []).append(value)
    return InboxFilter.from_query(query)


def filter_query(view: InboxView, filters: InboxFilter) -> str:
    return urlencode([("view", view.value), *filters.pairs()])


async def _teams_and_people(
    session: AsyncSession, principal: Principal
) -> tuple[dict[str, str], list[User]]:
    """Teams and colleagues the caller may filter by: theirs, or everyone for
    workspace-wide readers (a filter never widens the scope, but offering other teams'
    names to an agent would still tell them who exists)."""
    names = await team_names(session, principal.workspace_id)
    users = select(User).where(
        User.workspace_id == principal.workspace_id, User.disabled.is_(False)
    )
    if not principal.can(Permission.CONVERSATION_READ_ALL):
        names = {k: v for k, v in names.items() if k in principal.team_ids}
        users = users.where(
            User.id.in_(select(TeamMember.user_id).where(TeamMember.team_id.in_(names)))
        )
    people = list((await session.scalars(users.order_by(User.display_name))).all())
    return names, people


async def inbox_context(
    session: AsyncSession,
    principal: Principal,
    view: InboxView,
    filters: InboxFilter,
    saved: str | None = None,
    *,
    error: str | None = None,
) -> dict[str, Any]:
    """What the filter bar and the saved-views sidebar need. (Unread per inbox tab is in
    the API, /api/v1/unread: four more counts on every page load cost ~20 ms at 100k
    conversations.)"""
    views = await visible_views(session, principal)
    teams, people = await _teams_and_people(session, principal)
    share_teams = teams
    if not principal.can(Permission.USER_MANAGE):
        share_teams = {k: v for k, v in teams.items() if k in principal.team_ids}
    return {
        "filters": filters,
        "filter_query": filter_query(view, filters),
        "filter_labels": await list_labels(session, principal.workspace_id),
        "filter_teams": teams,
        "filter_people": people,
        "waiting_choices": WAITING_CHOICES,
        "saved_views": views,
        "saved_links": {v.id: _view_link(v) for v in views},
        "saved_counts": await view_unread_counts(session, principal, views),
        "saved_selected": saved,
        "share_teams": share_teams if principal.can(Permission.VIEW_SHARE) else {},
        "count_cap": COUNT_CAP,
        "views_error": error,
    }


def _view_link(view: Any) -> str | None:
    try:
        spec = ViewSpec.load(view.filters)
    except InvalidInput:
        return None
    return f"/ui/inbox?{filter_query(spec.tab, spec.filters)}&saved={view.id}"


async def conversation_extras(
    session: AsyncSession, principal: Principal, row: ConversationRow
) -> dict[str, Any]:
    """Labels and the duplicate-lead signal for the conversation pane."""
    return {
        "all_labels": await list_labels(session, principal.workspace_id),
        "can_label": principal.can(Permission.CONVERSATION_LABEL),
        "also_writing": await also_writing_to(session, row.contact),
    }


@router.post("/conversations/{conversation_id}/labels")
async def conversation_labels(
    conversation_id: str,
    request: Request,
    principal: Labeler,
    services: ServicesDep,
    session: SessionDep,
    label_id: Annotated[str, Form(max_length=32)],
    on: Annotated[bool, Form()] = True,
) -> HTMLResponse:
    """Add or remove one label; answers the conversation's label bar."""
    conversation = await conv_actions.load_visible(session, principal, conversation_id)
    error = None
    status = 200
    try:
        await label_conversation(
            services,
            session,
            principal,
            conversation,
            label_id,
            on,
            actor_of(request, principal),
        )
    except CrossdeskError as exc:
        error, status = exc.message, exc.http_status
    labels = await labels_by_conversation(session, [conversation.id])
    context = {
        "conversation_id": conversation.id,
        "labels": labels.get(conversation.id, ()),
        "all_labels": await list_labels(session, principal.workspace_id),
        "can_label": True,
        "label_error": error,
    }
    return render(request, "_labels_conversation.html", context, status_code=status)


@router.post("/views")
async def save_view(
    request: Request,
    principal: Reader,
    session: SessionDep,
    name: Annotated[str, Form(max_length=200)],
    query: Annotated[str, Form(max_length=2000)] = "",
    team_id: Annotated[str, Form(max_length=32)] = "",
) -> HTMLResponse:
    """Save the inbox's current filter (``query``, the page's own query string) as a
    view; answers the sidebar."""
    error = None
    saved = None
    try:
        tab, filters = _page_query(query)
    except InvalidInput as exc:
        return await _sidebar(request, session, principal, query, error=exc.message)
    try:
        view = await create_view(
            session,
            principal,
            name,
            ViewSpec(tab, filters),
            team_id or None,
            actor_of(request, principal),
        )
        saved = view.id
    except CrossdeskError as exc:
        error = exc.message
    return await _sidebar(request, session, principal, query, saved=saved, error=error)


@router.post("/views/{view_id}/archive")
async def remove_view(
    view_id: str,
    request: Request,
    principal: Reader,
    session: SessionDep,
    query: Annotated[str, Form(max_length=2000)] = "",
) -> HTMLResponse:
    error = None
    try:
        await archive_view(session, principal, view_id, actor_of(request, principal))
    except CrossdeskError as exc:
        error = exc.message
    return await _sidebar(request, session, principal, query, error=error)


def _page_query(query: str) -> tuple[InboxView, InboxFilter]:
    """The tab and filter of an inbox query string (the sidebar posts the page's own)."""
    pairs: dict[str, list[str]] = {}
    for key, value in parse_qsl(query, keep_blank_values=False):
        pairs.setdefault(key, []).append(value)
    tab_values = pairs.pop("view", [])
    try:
        tab = InboxView(tab_values[0]) if tab_values else InboxView.ALL
    except ValueError:
        raise InvalidInput("view must be mine, unassigned, team or all", field="view") from None
    return tab, InboxFilter.from_query(pairs, ignore=PAGE_KEYS)


async def _sidebar(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    query: str,
    *,
    saved: str | None = None,
    error: str | None = None,
) -> HTMLResponse:
    try:
        tab, filters = _page_query(query)
    except InvalidInput:
        tab, filters = InboxView.ALL, InboxFilter()
    context = await inbox_context(session, principal, tab, filters, saved, error=error)
    return render(request, "_views_sidebar.html", context, status_code=422 if error else 200)


@router.get("/settings/labels")
async def labels_page(request: Request, principal: Manager, session: SessionDep) -> HTMLResponse:
    return render(request, "labels_settings.html", await _settings_context(session, principal))


async def _settings_context(
    session: AsyncSession, principal: Principal, error: str | None = None
) -> dict[str, Any]:
    return {
        "labels": await list_labels(session, principal.workspace_id),
        "archived": await list_labels(session, principal.workspace_id, archived=True),
        "palette": PALETTE,
        "error": error,
    }


@router.post("/settings/labels")
async def labels_create(
    request: Request,
    principal: Manager,
    session: SessionDep,
    name: Annotated[str, Form(max_length=200)],
    colour: Annotated[str, Form(max_length=16)] = "grey",
) -> Response:
    try:
        await create_label(session, principal, name, colour, actor_of(request, principal))
    except CrossdeskError as exc:
        context = await _settings_context(session, principal, exc.message)
        return render(request, "labels_settings.html", context, status_code=exc.http_status)
    return RedirectResponse("/ui/settings/labels", status_code=303)


@router.post("/settings/labels/{label_id}/archive")
async def labels_archive(
    label_id: str, request: Request, principal: Manager, session: SessionDep
) -> Response:
    await archive_label(session, principal, label_id, actor_of(request, principal))
    return RedirectResponse("/ui/settings/labels", status_code=303)
