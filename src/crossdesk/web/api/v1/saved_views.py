"""Saved inbox views, unread counts and read markers."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from crossdesk.actions import conversations as conv_actions
from crossdesk.actions.read_markers import mark_conversation_read
from crossdesk.actions.views import (
    COUNT_CAP,
    ViewSpec,
    archive_view,
    create_view,
    get_view,
    tab_unread_counts,
    update_view,
    view_unread_counts,
    visible_views,
)
from crossdesk.db.models import SavedView
from crossdesk.db.repositories import list_conversations
from crossdesk.db.session import commit
from crossdesk.domain import Permission
from crossdesk.errors import InvalidInput
from crossdesk.web.api.v1.schemas import ConversationOut, StrictInput
from crossdesk.web.deps import Reader, SessionDep, actor_of

router = APIRouter(tags=["views"])


class ViewIn(StrictInput):
    name: Annotated[str, Field(min_length=1, max_length=60)]
    # {"view": "team", "status": "open", "label": ["<id>"], "waiting": "2h", ...}
    filters: dict[str, Any] = Field(default_factory=dict)
    team_id: Annotated[str | None, Field(max_length=32)] = None


class ViewPatch(StrictInput):
    name: Annotated[str | None, Field(min_length=1, max_length=60)] = None
    filters: dict[str, Any] | None = None
    # Present (even null): change the sharing; absent: leave it.
    team_id: Annotated[str | None, Field(max_length=32)] = None


class ViewOut(BaseModel):
    id: str
    name: str
    filters: dict[str, Any]
    team_id: str | None
    owner_id: str
    mine: bool
    unread_count: int | None  # None: the filter no longer validates


class UnreadOut(BaseModel):
    tabs: dict[str, int]
    views: dict[str, int | None]
    cap: int


def _spec(filters: dict[str, Any]) -> ViewSpec:
    for key, value in filters.items():
        ok = isinstance(value, str) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        )
        if not ok:
            raise InvalidInput(f"filter {key} must be a text or a list of texts", field=key)
    return ViewSpec.load(filters)


def _out(view: SavedView, user_id: str, count: int | None) -> ViewOut:
    return ViewOut(
        id=view.id,
        name=view.name,
        filters=view.filters,
        team_id=view.team_id,
        owner_id=view.owner_id,
        mine=view.owner_id == user_id,
        unread_count=count,
    )


@router.get("/views", response_model=list[ViewOut])
async def list_views(principal: Reader, session: SessionDep) -> list[ViewOut]:
    """My views and those shared with my teams, each with its unread conversations
    (counted up to 100)."""
    views = await visible_views(session, principal)
    counts = await view_unread_counts(session, principal, views)
    return [_out(v, principal.user_id, counts[v.id]) for v in views]


@router.post("/views", response_model=ViewOut, status_code=201)
async def post_view(
    body: ViewIn, request: Request, principal: Reader, session: SessionDep
) -> ViewOut:
    view = await create_view(
        session,
        principal,
        body.name,
        _spec(body.filters),
        body.team_id,
        actor_of(request, principal),
    )
    counts = await view_unread_counts(session, principal, [view])
    return _out(view, principal.user_id, counts[view.id])


@router.patch("/views/{view_id}", response_model=ViewOut)
async def patch_view(
    view_id: str, body: ViewPatch, request: Request, principal: Reader, session: SessionDep
) -> ViewOut:
    view = await update_view(
        session,
        principal,
        view_id,
        actor_of(request, principal),
        name=body.name,
        spec=_spec(body.filters) if body.filters is not None else None,
        team_id=body.team_id,
        share="team_id" in body.model_fields_set,
    )
    counts = await view_unread_counts(session, principal, [view])
    return _out(view, principal.user_id, counts[view.id])


@router.delete("/views/{view_id}", status_code=204)
async def delete_view(
    view_id: str, request: Request, principal: Reader, session: SessionDep
) -> Response:
    """Archives the view (kept for the audit trail, gone from every list)."""
    await archive_view(session, principal, view_id, actor_of(request, principal))
    return Response(status_code=204)


@router.get("/views/{view_id}/conversations", response_model=list[ConversationOut])
async def view_conversations(
    view_id: str,
    principal: Reader,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[ConversationOut]:
    """The view applied within the caller's own scope."""
    spec = ViewSpec.load((await get_view(session, principal, view_id)).filters)
    rows = await list_conversations(
        session, principal, spec.tab_for(principal), status=None, limit=limit, filters=spec.filters
    )
    reveal = principal.can(Permission.PII_REVEAL)
    return [ConversationOut.of(r, reveal_ids=reveal) for r in rows]


@router.get("/unread", response_model=UnreadOut)
async def unread(principal: Reader, session: SessionDep) -> UnreadOut:
    """Conversations with messages I have not read, per inbox tab and saved view."""
    views = await visible_views(session, principal)
    return UnreadOut(
        tabs=await tab_unread_counts(session, principal),
        views=await view_unread_counts(session, principal, views),
        cap=COUNT_CAP,
    )


@router.post("/conversations/{conversation_id}/read", status_code=204)
async def post_read(conversation_id: str, principal: Reader, session: SessionDep) -> Response:
    """Mark the conversation read up to its latest message, for me only."""
    conversation = await conv_actions.load_visible(session, principal, conversation_id)
    await mark_conversation_read(session, principal, conversation)
    await commit(session)
    return Response(status_code=204)
