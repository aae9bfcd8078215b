"""One account's anti-ban page: its send limits and warm-up (managers change them, audited),
what applies now and the recent sends, its egress IP (with "check now") and health score.

The egress check runs with no database session held (ADR 0002): its route takes no
``SessionDep``.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from crossdesk.actions.account_egress import check_egress, egress_views
from crossdesk.actions.account_limits import limits_report, parse_limits, set_limits
from crossdesk.actions.account_overview import account_overviews
from crossdesk.actions.web_session_health import run_web_checks, set_web_check, web_check_views
from crossdesk.db.models import ChannelAccount
from crossdesk.domain import Permission
from crossdesk.errors import CrossdeskError
from crossdesk.risk.rbac import Principal
from crossdesk.web.deps import ServicesDep, actor_of, require
from crossdesk.web.ui.render import render

router = APIRouter(prefix="/ui/accounts", include_in_schema=False)
Manager = Annotated[Principal, Depends(require(Permission.ACCOUNT_MANAGE))]
Viewer = Annotated[
    Principal,
    Depends(require(Permission.ACCOUNT_MANAGE, Permission.ACCOUNT_OPEN, any_of=True)),
]
LIMIT_FIELDS = ("per_hour", "per_day", "new_chats_per_day", "warmup_days", "warmup_start_percent")


@router.get("/{account_id}/limits")
async def limits_page(
    request: Request,
    account_id: str,
    principal: Viewer,
    services: ServicesDep,
    saved: str | None = None,
) -> HTMLResponse:
    saved = saved if saved in ("1", "check") else None
    return await _page(request, services, principal, account_id, saved=saved)


async def _page(
    request: Request,
    services: ServicesDep,
    principal: Principal,
    account_id: str,
    *,
    status_code: int = 200,
    saved: str | None = None,
    error: str | None = None,
) -> HTMLResponse:
    report = await limits_report(services, principal, account_id)  # checks visibility
    overviews = await account_overviews(services, principal.workspace_id, [account_id])
    overview = overviews[account_id]
    async with services.read_sessionmaker() as session:
        account = await session.get(ChannelAccount, account_id)
    config = account.config if account is not None else {}
    return render(
        request,
        "account_limits.html",
        {
            "report": report,
            "overview": overview,
            "egress": overview.egress,
            "can_manage": principal.can(Permission.ACCOUNT_MANAGE),
            "saved": saved,
            "web_url": str(config.get("logged_in_url", "")),
            "web_marker": str(config.get("logged_in_marker", "")),
            "error": error,
        },
        status_code=status_code,
    )


@router.post("/{account_id}/limits", response_model=None)
async def save_limits(
    request: Request, account_id: str, principal: Manager, services: ServicesDep
) -> HTMLResponse | RedirectResponse:
    form = await request.form()
    fields = {
        name: value[:20] for name in LIMIT_FIELDS if isinstance(value := form.get(name, ""), str)
    }
    try:
        limits = parse_limits(fields)
        await set_limits(
            services,
            principal,
            account_id,
            limits,
            actor_of(request, principal),
            restart_warmup=form.get("restart_warmup") == "1",
        )
    except CrossdeskError as exc:
        if exc.http_status == 404:
            raise
        return await _page(
            request, services, principal, account_id, status_code=400, error=exc.message
        )
    return RedirectResponse(f"/ui/accounts/{account_id}/limits?saved=1", 303)


@router.post("/{account_id}/egress")
async def check_egress_now(
    request: Request, account_id: str, principal: Manager, services: ServicesDep
) -> HTMLResponse:
    """Asks the IP-echo endpoint through the account's proxy, no session held meanwhile."""
    await check_egress(services, principal, account_id, actor_of(request, principal))
    views = await egress_views(services, principal.workspace_id, [account_id])
    return render(request, "_account_egress.html", {"egress": views.get(account_id)})


@router.post("/{account_id}/web-check", response_model=None)
async def save_web_check(
    request: Request, account_id: str, principal: Manager, services: ServicesDep
) -> HTMLResponse | RedirectResponse:
    form = await request.form()
    url, marker = form.get("logged_in_url", ""), form.get("logged_in_marker", "")
    try:
        await set_web_check(
            services,
            principal,
            account_id,
            url[:600] if isinstance(url, str) else "",
            marker[:300] if isinstance(marker, str) else "",
            actor_of(request, principal),
        )
    except CrossdeskError as exc:
        if exc.http_status == 404:
            raise
        return await _page(
            request, services, principal, account_id, status_code=400, error=exc.message
        )
    return RedirectResponse(f"/ui/accounts/{account_id}/limits?saved=check", 303)


@router.post("/{account_id}/web-check/run")
async def run_web_check(
    request: Request, account_id: str, principal: Manager, services: ServicesDep
) -> HTMLResponse:
    """Check the stored session now (no database session held while the platform answers)."""
    await limits_report(services, principal, account_id)  # visibility check (404 otherwise)
    await run_web_checks(services, account_ids=[account_id], actor=actor_of(request, principal))
    views = await web_check_views(services, principal.workspace_id, [account_id])
    return render(request, "_web_check.html", {"check": views.get(account_id)})
