"""The risk rules page for supervisors: pending approvals (approve with a note), locked
accounts (unlock), what fired lately, and the rules the workspace runs (read-only; admins
change them with ``crossdesk risk load`` or the API)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from crossdesk.actions import risk_actions as actions
from crossdesk.db.models import ChannelAccount, RiskRuleFiring, User
from crossdesk.domain import Permission
from crossdesk.errors import Conflict, NotFound, PermissionDenied
from crossdesk.risk.rbac import Principal
from crossdesk.risk.rules.engine import field_label
from crossdesk.web.deps import ServicesDep, actor_of, require
from crossdesk.web.ui.render import render

router = APIRouter(prefix="/ui/risk-rules", include_in_schema=False)

Manager = Annotated[Principal, Depends(require(Permission.RISK_MANAGE))]
Note = Annotated[str, Form(max_length=500)]
RECENT = 50


async def _page(
    request: Request,
    principal: Principal,
    services: ServicesDep,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    approvals = await actions.list_approvals(services, principal, "pending")
    locks = await actions.list_locks(services, principal)
    async with services.read_sessionmaker() as session:
        stored = await actions.workspace_rules(session, principal.workspace_id)
        firings = list(
            await session.scalars(
                select(RiskRuleFiring)
                .where(actions.firing_scope(principal))
                .order_by(RiskRuleFiring.at.desc())
                .limit(RECENT)
            )
        )
        names: dict[str, str] = dict(
            (
                await session.execute(
                    select(User.id, User.display_name).where(
                        User.workspace_id == principal.workspace_id
                    )
                )
            ).all()
        )
        accounts: dict[str, str] = dict(
            (
                await session.execute(
                    select(ChannelAccount.id, ChannelAccount.name).where(
                        ChannelAccount.workspace_id == principal.workspace_id
                    )
                )
            ).all()
        )
    rules: list[dict[str, Any]] = [
        {
            "id": rule.id,
            "enabled": rule.enabled,
            "description": rule.description,
            "events": ", ".join(rule.match.events),
            "group_by": ", ".join(field_label(f) for f in rule.group_by),
            "window": rule.window,
            "schedule": rule.schedule,
            "condition": (
                f"new {field_label(rule.new_value)}"
                if rule.new_value
                else f"{'distinct ' + field_label(rule.distinct) if rule.distinct else 'events'}"
                f" {rule.threshold}"
            ),
            "actions": rule.actions,
        }
        for rule in stored.rules.rules
    ]
    return render(
        request,
        "risk_rules.html",
        {
            "approvals": approvals,
            "locks": locks,
            "firings": firings,
            "rules": rules,
            "version": stored.version,
            "names": names,
            "accounts": accounts,
            "error": error,
            "label": field_label,
        },
        status_code=status_code,
    )


@router.get("")
async def risk_rules_page(
    request: Request, principal: Manager, services: ServicesDep
) -> HTMLResponse:
    return await _page(request, principal, services)


@router.post("/approvals/{approval_id}/approve")
async def approve(
    approval_id: str,
    request: Request,
    principal: Manager,
    services: ServicesDep,
    note: Note = "",
) -> Response:
    try:
        await actions.approve(services, principal, approval_id, note, actor_of(request, principal))
    except (Conflict, NotFound, PermissionDenied) as exc:
        return await _page(
            request, principal, services, error=exc.message, status_code=exc.http_status
        )
    return RedirectResponse("/ui/risk-rules#approvals", status_code=303)


@router.post("/locks/{lock_id}/unlock")
async def unlock(
    lock_id: str,
    request: Request,
    principal: Manager,
    services: ServicesDep,
    note: Note = "",
) -> Response:
    try:
        await actions.unlock_account(
            services, principal, lock_id, note, actor_of(request, principal)
        )
    except (Conflict, NotFound, PermissionDenied) as exc:
        return await _page(
            request, principal, services, error=exc.message, status_code=exc.http_status
        )
    return RedirectResponse("/ui/risk-rules#locks", status_code=303)
