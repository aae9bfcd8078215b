"""The caller's notifications: list, unread count, mark read, browser-notification choice."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from crossdesk.actions.notifications import (
    MAX_IDS,
    browser_notifications,
    list_notifications,
    mark_read,
    set_browser_notifications,
    unread_count,
)
from crossdesk.db.models import Notification
from crossdesk.db.session import commit
from crossdesk.domain import Permission
from crossdesk.risk.rbac import Principal
from crossdesk.web.api.v1.schemas import StrictInput
from crossdesk.web.deps import ServicesDep, SessionDep, require

router = APIRouter(tags=["notifications"])
Member = Annotated[Principal, Depends(require(Permission.WORKSPACE_READ))]


class NotificationOut(BaseModel):
    id: str
    kind: str
    conversation_id: str | None
    message_id: str | None
    actor_id: str | None
    summary: str
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def of(cls, row: Notification) -> "NotificationOut":
        return cls(
            id=row.id,
            kind=row.kind,
            conversation_id=row.conversation_id,
            message_id=row.message_id,
            actor_id=row.actor_id,
            summary=row.summary,
            created_at=row.created_at,
            read_at=row.read_at,
        )


class UnreadOut(BaseModel):
    unread: int


class ReadIn(StrictInput):
    """Which to mark read: the given ids, or every unread one when ``ids`` is omitted."""

    ids: Annotated[list[Annotated[str, Field(max_length=32)]] | None, Field(max_length=MAX_IDS)] = (
        None
    )


class ReadOut(BaseModel):
    marked: int
    unread: int


class SettingsIn(StrictInput):
    browser: bool


class SettingsOut(BaseModel):
    browser: bool


@router.get("/notifications", response_model=list[NotificationOut])
async def get_notifications(
    principal: Member,
    session: SessionDep,
    unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: datetime | None = None,
) -> list[NotificationOut]:
    rows = await list_notifications(
        session, principal, unread_only=unread, limit=limit, before=before
    )
    return [NotificationOut.of(row) for row in rows]


@router.get("/notifications/unread-count", response_model=UnreadOut)
async def get_unread_count(principal: Member, session: SessionDep) -> UnreadOut:
    return UnreadOut(unread=await unread_count(session, principal))


@router.post("/notifications/read", response_model=ReadOut)
async def post_read(
    body: ReadIn, principal: Member, services: ServicesDep, session: SessionDep
) -> ReadOut:
    marked = await mark_read(services, session, principal, ids=body.ids)
    await commit(session)
    return ReadOut(marked=marked, unread=await unread_count(session, principal))


@router.get("/notifications/settings", response_model=SettingsOut)
async def get_settings(principal: Member, session: SessionDep) -> SettingsOut:
    return SettingsOut(browser=await browser_notifications(session, principal.user_id))


@router.put("/notifications/settings", response_model=SettingsOut)
async def put_settings(body: SettingsIn, principal: Member, session: SessionDep) -> SettingsOut:
    await set_browser_notifications(session, principal, body.browser)
    await commit(session)
    return SettingsOut(browser=body.browser)
