"""Conversations and messages."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from crossdesk.actions import conversations as conv_actions
from crossdesk.actions.send_reply import send_reply
from crossdesk.db.inbox_filters import InboxFilter
from crossdesk.db.repositories import InboxView, conversation_row, list_conversations, list_messages
from crossdesk.domain import ChannelKind, ConversationStatus, Permission
from crossdesk.web.api.v1.schemas import (
    AssignIn,
    ConversationOut,
    MessageOut,
    SendIn,
    StatusIn,
)
from crossdesk.web.deps import Reader, Sender, ServicesDep, SessionDep, actor_of, require

router = APIRouter(prefix="/conversations", tags=["conversations"])

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


@router.get("", response_model=list[ConversationOut])
async def list_inbox(
    principal: Reader,
    session: SessionDep,
    view: InboxView = InboxView.MINE,
    status: Annotated[str | None, Query(pattern="^(open|resolved|all)$")] = "open",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    platform: ChannelKind | None = None,
    account_id: Annotated[str | None, Query(max_length=32)] = None,
    label: Annotated[list[str] | None, Query(max_length=32)] = None,
    assignee: Annotated[str | None, Query(max_length=32)] = None,
    team: Annotated[str | None, Query(max_length=32)] = None,
    language: Annotated[str | None, Query(max_length=16)] = None,
    unread: bool = False,
    waiting: Annotated[str | None, Query(max_length=16)] = None,
) -> list[ConversationOut]:
    """The inbox of a tab, narrowed by any combination of filters (db/inbox_filters.py):
    label (repeatable; all must match), assignee (id, ``me`` or ``none``), team (id or
    ``none``), language, unread (the caller's own read markers) and waiting (the customer
    wrote last, at least this long ago: ``30m``, ``2h``, ``1d``)."""
    query: dict[str, str | list[str]] = {
        "status": status or "open",
        "label": label or [],
        "platform": platform.value if platform else "",
        "account": account_id or "",
        "assignee": assignee or "",
        "team": team or "",
        "language": language or "",
        "unread": "1" if unread else "",
        "waiting": waiting or "",
    }
    filters = InboxFilter.from_query(query)
    rows = await list_conversations(
        session, principal, view, status=None, limit=limit, filters=filters
    )
    reveal = principal.can(Permission.PII_REVEAL)
    return [ConversationOut.of(r, reveal_ids=reveal) for r in rows]


@router.get("/{conversation_id}", response_model=ConversationOut)
async def get_conversation(
    conversation_id: str, principal: Reader, session: SessionDep
) -> ConversationOut:
    conversation = await conv_actions.load_visible(session, principal, conversation_id)
    row = await conversation_row(session, conversation)
    return ConversationOut.of(row, reveal_ids=principal.can(Permission.PII_REVEAL))


@router.get("/{conversation_id}/messages", response_model=list[MessageOut])
async def get_messages(
    conversation_id: str,
    principal: Reader,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[MessageOut]:
    conversation = await conv_actions.load_visible(session, principal, conversation_id)
    messages = await list_messages(session, conversation, limit=limit, viewer=principal)
    return [MessageOut.of(m) for m in messages]


@router.post("/{conversation_id}/messages", response_model=MessageOut, status_code=201)
async def post_message(
    conversation_id: str,
    body: SendIn,
    request: Request,
    response: Response,
    principal: Sender,
    services: ServicesDep,
    session: SessionDep,
    idempotency_key: IdempotencyKey = None,
) -> MessageOut:
    """Queue a reply. With an ``Idempotency-Key``, a repeated request returns the same
    message (200); the same key with a different body is refused (422)."""
    conversation = await conv_actions.load_visible(session, principal, conversation_id)
    result = await send_reply(
        services,
        session,
        principal,
        conversation,
        body.text,
        idempotency_key=idempotency_key,
        actor=actor_of(request, principal),
        translation_override=body.translation,
        allow_untranslated=body.send_as_written,
        confirm_warnings=body.confirm_warnings,
    )
    if result.replayed:
        response.status_code = 200
    return MessageOut.of(result.message)


@router.post(
    "/{conversation_id}/assign",
    response_model=ConversationOut,
    dependencies=[
        Depends(
            require(Permission.CONVERSATION_ASSIGN, Permission.CONVERSATION_READ_OWN, any_of=True)
        )
    ],
)
async def post_assign(
    conversation_id: str,
    body: AssignIn,
    request: Request,
    reader: Reader,
    services: ServicesDep,
    session: SessionDep,
) -> ConversationOut:
    conversation = await conv_actions.load_visible(
        session, reader, conversation_id, for_update=True
    )
    await conv_actions.assign(
        services, session, reader, conversation, body.assignee_id, actor_of(request, reader)
    )
    return ConversationOut.of(await conversation_row(session, conversation))


@router.post(
    "/{conversation_id}/status",
    response_model=ConversationOut,
    dependencies=[
        Depends(
            require(Permission.CONVERSATION_RESOLVE, Permission.CONVERSATION_ASSIGN, any_of=True)
        )
    ],
)
async def post_status(
    conversation_id: str,
    body: StatusIn,
    request: Request,
    reader: Reader,
    services: ServicesDep,
    session: SessionDep,
) -> ConversationOut:
    conversation = await conv_actions.load_visible(
        session, reader, conversation_id, for_update=True
    )
    await conv_actions.set_status(
        services,
        session,
        reader,
        conversation,
        ConversationStatus(body.status),
        actor_of(request, reader),
    )
    return ConversationOut.of(await conversation_row(session, conversation))
