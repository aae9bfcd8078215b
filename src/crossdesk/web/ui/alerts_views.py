"""The supervisors' alerts dashboard: filters, SVG charts, acknowledge and resolve with a
note, live arrival of new alerts, and (for admins) where notifications are sent."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.actions.alert_handling import (
    AlertFilter,
    acknowledge_alert,
    get_alert,
    list_alerts,
    resolve_alert,
)
from crossdesk.actions.alert_notifications import (
    NotificationInput,
    load_notification_settings,
    save_notification_settings,
    split_addresses,
)
from crossdesk.db.models import RiskAlert, User
from crossdesk.db.session import commit, rollback
from crossdesk.domain import Permission
from crossdesk.errors import Conflict, InvalidInput
from crossdesk.risk.alert_stats import alert_stats
from crossdesk.risk.periods import parse_day
from crossdesk.risk.rbac import Principal
from crossdesk.web.deps import ServicesDep, SessionDep, actor_of, require
from crossdesk.web.i18n import gettext_for, ui_language
from crossdesk.web.ui.charts import bar_chart, column_chart
from crossdesk.web.ui.render import render

router = APIRouter(prefix="/ui/alerts", include_in_schema=False)

Reader = Annotated[
    Principal, Depends(require(Permission.RISK_MANAGE, Permission.AUDIT_READ, any_of=True))
]
Handler = Annotated[Principal, Depends(require(Permission.RISK_MANAGE))]
NotificationAdmin = Annotated[Principal, Depends(require(Permission.NOTIFICATION_MANAGE))]

PAGE_SIZE = 100
SEVERITIES = (1, 2, 3, 4, 5)


def _chosen(
    status: str | None,
    severity: str | None,
    kind: str | None,
    agent: str | None,
    since: str | None,
    until: str | None,
) -> AlertFilter:
    level: int | None = None
    if severity:
        if not severity.isdigit():
            raise InvalidInput("severity must be a number from 1 to 5", field="severity")
        level = int(severity)
    return AlertFilter(
        status=status or None,
        min_severity=level,
        kind=(kind or "").strip() or None,
        actor_id=agent or None,
        since=parse_day(since, "since"),
        until=parse_day(until, "until"),
    )


Status = Annotated[str | None, Query(max_length=16)]
Severity = Annotated[str | None, Query(max_length=2)]
Kind = Annotated[str | None, Query(max_length=64)]
Agent = Annotated[str | None, Query(max_length=32)]
Day = Annotated[str | None, Query(max_length=10)]


async def _names(session: AsyncSession, workspace_id: str) -> dict[str, str]:
    rows = await session.execute(
        select(User.id, User.display_name).where(User.workspace_id == workspace_id)
    )
    return {str(k): str(v) for k, v in rows.all()}


async def _list_context(
    session: AsyncSession, principal: Principal, chosen: AlertFilter
) -> dict[str, Any]:
    alerts = await list_alerts(session, principal, chosen, limit=PAGE_SIZE)
    return {
        "alerts": alerts,
        "names": await _names(session, principal.workspace_id),
        "can_handle": principal.can(Permission.RISK_MANAGE),
        "filter": chosen,
        "query": chosen.query(),
    }


async def _page_context(
    session: AsyncSession, principal: Principal, chosen: AlertFilter
) -> dict[str, Any]:
    context = await _list_context(session, principal, chosen)
    stats = await alert_stats(session, principal, chosen)
    kinds = (
        await session.scalars(
            select(RiskAlert.kind)
            .where(RiskAlert.workspace_id == principal.workspace_id)
            .distinct()
            .order_by(RiskAlert.kind)
        )
    ).all()
    context.update(
        {
            "stats": stats,
            "chart_days": column_chart(
                stats.per_day,
                chart_id="alerts-per-day",
                title=gettext_for(ui_language(principal.language))("alerts per day"),
            ),
            "chart_agents": bar_chart(stats.by_agent),
            "chart_kinds": bar_chart(stats.by_kind),
            "chart_guard": bar_chart(stats.guard_by_category),
            "kinds": kinds,
            "severities": SEVERITIES,
            "can_configure": principal.can(Permission.NOTIFICATION_MANAGE),
        }
    )
    if context["can_configure"]:
        context["notify"] = await load_notification_settings(session, principal.workspace_id)
    return context


@router.get("")
async def alerts_page(
    request: Request,
    principal: Reader,
    session: SessionDep,
    status: Status = "open",
    severity: Severity = None,
    kind: Kind = None,
    agent: Agent = None,
    since: Day = None,
    until: Day = None,
    saved: Annotated[str | None, Query(max_length=8)] = None,
) -> HTMLResponse:
    chosen = _chosen(status, severity, kind, agent, since, until)
    context = await _page_context(session, principal, chosen)
    context["saved"] = bool(saved)
    return render(request, "alerts.html", context)


@router.get("/list")
async def alerts_list(
    request: Request,
    principal: Reader,
    session: SessionDep,
    status: Status = "open",
    severity: Severity = None,
    kind: Kind = None,
    agent: Agent = None,
    since: Day = None,
    until: Day = None,
) -> HTMLResponse:
    """The table alone, refreshed live when an alert arrives or changes."""
    chosen = _chosen(status, severity, kind, agent, since, until)
    return render(request, "_alerts_list.html", await _list_context(session, principal, chosen))


async def _handled(
    request: Request,
    principal: Principal,
    session: AsyncSession,
    alert: RiskAlert,
    error: str | None,
) -> HTMLResponse:
    context = {
        "a": alert,
        "names": await _names(session, principal.workspace_id),
        "can_handle": True,
        "error": error,
    }
    return render(request, "_alert_row.html", context, status_code=200 if not error else 422)


@router.post("/{alert_id}/acknowledge")
async def acknowledge(
    alert_id: str,
    request: Request,
    principal: Handler,
    session: SessionDep,
    services: ServicesDep,
    note: Annotated[str, Form(max_length=1000)] = "",
) -> HTMLResponse:
    try:
        alert = await acknowledge_alert(
            services, session, principal, alert_id, note, actor_of(request, principal)
        )
    except (InvalidInput, Conflict) as exc:
        await rollback(session)
        current = await get_alert(session, principal, alert_id)
        return await _handled(request, principal, session, current, exc.message)
    await commit(session)
    return await _handled(request, principal, session, alert, None)


@router.post("/{alert_id}/resolve")
async def resolve(
    alert_id: str,
    request: Request,
    principal: Handler,
    session: SessionDep,
    services: ServicesDep,
    note: Annotated[str, Form(max_length=1000)] = "",
) -> HTMLResponse:
    try:
        alert = await resolve_alert(
            services, session, principal, alert_id, note, actor_of(request, principal)
        )
    except (InvalidInput, Conflict) as exc:
        await rollback(session)
        current = await get_alert(session, principal, alert_id)
        return await _handled(request, principal, session, current, exc.message)
    await commit(session)
    return await _handled(request, principal, session, alert, None)


@router.post("/notifications", response_model=None)
async def save_notifications(
    request: Request,
    principal: NotificationAdmin,
    session: SessionDep,
    services: ServicesDep,
    min_severity: Annotated[int, Form(ge=1, le=5)] = 1,
    webhook_enabled: Annotated[bool, Form()] = False,
    webhook_url: Annotated[str, Form(max_length=2000)] = "",
    webhook_secret: Annotated[str, Form(max_length=200)] = "",
    email_enabled: Annotated[bool, Form()] = False,
    email_to: Annotated[str, Form(max_length=1000)] = "",
    email_from: Annotated[str, Form(max_length=320)] = "",
    smtp_host: Annotated[str, Form(max_length=255)] = "",
    smtp_port: Annotated[int, Form(ge=1, le=65535)] = 587,
    smtp_security: Annotated[str, Form(max_length=16)] = "starttls",
    smtp_username: Annotated[str, Form(max_length=320)] = "",
    smtp_password: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse | RedirectResponse:
    """Blank secret fields keep the stored secrets (they are never shown again)."""
    given = NotificationInput(
        min_severity=min_severity,
        webhook_enabled=webhook_enabled,
        webhook_url=webhook_url,
        webhook_secret=webhook_secret or None,
        email_enabled=email_enabled,
        email_to=split_addresses(email_to),
        email_from=email_from,
        smtp_host=smtp_host,
        smtp_port=smtp_port,
        smtp_security=smtp_security,
        smtp_username=smtp_username,
        smtp_password=smtp_password or None,
    )
    try:
        await save_notification_settings(
            services, session, principal, given, actor_of(request, principal)
        )
    except InvalidInput as exc:
        await rollback(session)
        context = await _page_context(session, principal, AlertFilter(status="open"))
        context.update({"notify_error": exc.message, "saved": False})
        return render(request, "alerts.html", context, status_code=422)
    await commit(session)
    return RedirectResponse("/ui/alerts?saved=1#notifications", 303)
