"""The bell (unread count, refreshed live), the notifications page, mark read."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from crossdesk.actions.notifications import (
    browser_notifications,
    list_notifications,
    mark_read,
    unread_count,
)
from crossdesk.db.models import Notification
from crossdesk.db.session import commit
from crossdesk.domain import Permission
from crossdesk.errors import NotFound
from crossdesk.risk.rbac import Principal
from crossdesk.web.deps import ServicesDep, SessionDep, require
from crossdesk.web.ui.render import render

router = APIRouter(prefix="/ui/notifications", include_in_schema=False)
Member = Annotated[Principal, Depends(require(Permission.WORKSPACE_READ))]


@router.get("")
async def notifications_page(
    request: Request, principal: Member, session: SessionDep
) -> HTMLResponse:
    rows = await list_notifications(session, principal, limit=100)
    context = {"notifications": rows, "unread": await unread_count(session, principal)}
    return render(request, "notifications.html", context)


@router.get("/bell")
async def bell(request: Request, principal: Member, session: SessionDep) -> HTMLResponse:
    context = {
        "unread": await unread_count(session, principal),
        "browser": await browser_notifications(session, principal.user_id),
    }
    return render(request, "_notifications_bell.html", context)


@router.post("/{notification_id}/open")
async def open_notification(
    notification_id: str, principal: Member, services: ServicesDep, session: SessionDep
) -> RedirectResponse:
    """Mark one read and go to its conversation."""
    row = await session.get(Notification, notification_id)
    if row is None or row.user_id != principal.user_id:
        raise NotFound("no such notification")
    await mark_read(services, session, principal, ids=[row.id])
    await commit(session)
    target = f"/ui/inbox?c={row.conversation_id}" if row.conversation_id else "/ui/notifications"
    return RedirectResponse(target, status_code=303)


@router.post("/read-all")
async def read_all(
    principal: Member, services: ServicesDep, session: SessionDep
) -> RedirectResponse:
    await mark_read(services, session, principal)
    await commit(session)
    return RedirectResponse("/ui/notifications", status_code=303)
