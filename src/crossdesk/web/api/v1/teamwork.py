"""Private notes and quick replies."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from crossdesk.actions import conversations as conv_actions
from crossdesk.actions.notes import add_note
from crossdesk.actions.quick_replies import save_quick_reply, visible_replies
from crossdesk.db.models import QuickReply
from crossdesk.db.session import commit
from crossdesk.domain import Permission
from crossdesk.risk.rbac import Principal
from crossdesk.web.api.v1.schemas import MessageOut, StrictInput
from crossdesk.web.deps import Reader, ServicesDep, SessionDep, actor_of, require

router = APIRouter(tags=["teamwork"])
Writer = Annotated[Principal, Depends(require(Permission.MESSAGE_SEND))]


class NoteIn(StrictInput):
    text: Annotated[str, Field(min_length=1, max_length=4096)]


class QuickReplyIn(StrictInput):
    text: Annotated[str, Field(min_length=1, max_length=4096)]
    team_id: Annotated[str | None, Field(max_length=32)] = None


class QuickReplyOut(BaseModel):
    id: str
    shortcut: str
    text: str
    team_id: str | None

    @classmethod
    def of(cls, row: QuickReply) -> "QuickReplyOut":
        return cls(id=row.id, shortcut=row.shortcut, text=row.text, team_id=row.team_id)


@router.post("/conversations/{conversation_id}/notes", response_model=MessageOut, status_code=201)
async def post_note(
    conversation_id: str,
    body: NoteIn,
    request: Request,
    principal: Writer,
    services: ServicesDep,
    session: SessionDep,
) -> MessageOut:
    """A private note: visible to colleagues, never sent to the customer."""
    conversation = await conv_actions.load_visible(session, principal, conversation_id)
    message = await add_note(
        services, session, principal, conversation, body.text, actor_of(request, principal)
    )
    return MessageOut.of(message)


@router.get("/quick-replies", response_model=list[QuickReplyOut])
async def list_quick_replies(
    principal: Reader, session: SessionDep, q: Annotated[str, Query(max_length=40)] = ""
) -> list[QuickReplyOut]:
    return [QuickReplyOut.of(r) for r in await visible_replies(session, principal, q, limit=500)]


@router.put("/quick-replies/{shortcut}", response_model=QuickReplyOut)
async def put_quick_reply(
    shortcut: str,
    body: QuickReplyIn,
    request: Request,
    principal: Writer,
    session: SessionDep,
) -> QuickReplyOut:
    row = await save_quick_reply(
        session,
        principal,
        shortcut=shortcut,
        text=body.text,
        team_id=body.team_id,
        actor=actor_of(request, principal),
    )
    await commit(session)
    return QuickReplyOut.of(row)
