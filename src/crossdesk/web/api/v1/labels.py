"""Workspace labels and the labels of a conversation."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from crossdesk.actions import conversations as conv_actions
from crossdesk.actions.labels import (
    PALETTE,
    archive_label,
    create_label,
    label_conversation,
    list_labels,
    update_label,
)
from crossdesk.db.inbox_extras import labels_by_conversation
from crossdesk.db.models import Label
from crossdesk.domain import Permission
from crossdesk.risk.rbac import Principal
from crossdesk.web.api.v1.schemas import LabelOut, StrictInput
from crossdesk.web.deps import Reader, ServicesDep, SessionDep, actor_of, require

router = APIRouter(tags=["labels"])
Manager = Annotated[Principal, Depends(require(Permission.LABEL_MANAGE))]
Labeler = Annotated[Principal, Depends(require(Permission.CONVERSATION_LABEL))]
Colour = Annotated[str, Field(max_length=16, description=f"one of: {', '.join(PALETTE)}")]


class LabelIn(StrictInput):
    name: Annotated[str, Field(min_length=1, max_length=60)]
    colour: Colour = "grey"


class LabelPatch(StrictInput):
    name: Annotated[str | None, Field(min_length=1, max_length=60)] = None
    colour: Colour | None = None


def _out(label: Label) -> LabelOut:
    return LabelOut(id=label.id, name=label.name, colour=label.colour)


@router.get("/labels", response_model=list[LabelOut])
async def get_labels(principal: Reader, session: SessionDep) -> list[LabelOut]:
    return [_out(x) for x in await list_labels(session, principal.workspace_id)]


@router.post("/labels", response_model=LabelOut, status_code=201)
async def post_label(
    body: LabelIn, request: Request, principal: Manager, session: SessionDep
) -> LabelOut:
    label = await create_label(
        session, principal, body.name, body.colour, actor_of(request, principal)
    )
    return _out(label)


@router.patch("/labels/{label_id}", response_model=LabelOut)
async def patch_label(
    label_id: str, body: LabelPatch, request: Request, principal: Manager, session: SessionDep
) -> LabelOut:
    label = await update_label(
        session,
        principal,
        label_id,
        actor_of(request, principal),
        name=body.name,
        colour=body.colour,
    )
    return _out(label)


@router.post("/labels/{label_id}/archive", response_model=LabelOut)
async def post_archive_label(
    label_id: str, request: Request, principal: Manager, session: SessionDep
) -> LabelOut:
    """Labels are archived, never deleted: the audit trail still names them."""
    return _out(await archive_label(session, principal, label_id, actor_of(request, principal)))


async def _set(
    conversation_id: str,
    label_id: str,
    on: bool,
    request: Request,
    principal: Principal,
    services: ServicesDep,
    session: SessionDep,
) -> list[LabelOut]:
    conversation = await conv_actions.load_visible(session, principal, conversation_id)
    await label_conversation(
        services, session, principal, conversation, label_id, on, actor_of(request, principal)
    )
    labels = await labels_by_conversation(session, [conversation_id])
    return [_out(x) for x in labels.get(conversation_id, ())]


@router.put("/conversations/{conversation_id}/labels/{label_id}", response_model=list[LabelOut])
async def put_conversation_label(
    conversation_id: str,
    label_id: str,
    request: Request,
    principal: Labeler,
    services: ServicesDep,
    session: SessionDep,
) -> list[LabelOut]:
    """Label the conversation (idempotent); answers its labels."""
    return await _set(conversation_id, label_id, True, request, principal, services, session)


@router.delete("/conversations/{conversation_id}/labels/{label_id}", response_model=list[LabelOut])
async def delete_conversation_label(
    conversation_id: str,
    label_id: str,
    request: Request,
    principal: Labeler,
    services: ServicesDep,
    session: SessionDep,
) -> list[LabelOut]:
    """Take the label off (the link is kept, marked removed); answers its labels."""
    return await _set(conversation_id, label_id, False, request, principal, services, session)
