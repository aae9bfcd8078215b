"""Risk alerts for supervisors (raised through crossdesk.risk.alerts): list with filters,
acknowledge and resolve with a note, the dashboard's numbers, notification settings."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

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
)
from crossdesk.db.models import RiskAlert
from crossdesk.db.session import commit
from crossdesk.domain import Permission
from crossdesk.risk.alert_stats import alert_stats
from crossdesk.risk.periods import parse_day
from crossdesk.risk.rbac import Principal
from crossdesk.web.deps import ServicesDep, SessionDep, actor_of, require

router = APIRouter(prefix="/alerts", tags=["risk"])

AlertReader = Annotated[
    Principal, Depends(require(Permission.RISK_MANAGE, Permission.AUDIT_READ, any_of=True))
]
AlertHandler = Annotated[Principal, Depends(require(Permission.RISK_MANAGE))]
NotificationAdmin = Annotated[Principal, Depends(require(Permission.NOTIFICATION_MANAGE))]


class AlertOut(BaseModel):
    id: str
    kind: str
    severity: int
    status: str
    summary: str
    actor_id: str | None
    target_type: str | None
    target_id: str | None
    data: dict[str, Any]  # Any: JSON details of the alert (no raw personal data)
    created_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    acknowledge_note: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolve_note: str | None = None


class NoteIn(BaseModel):
    note: str = Field("", max_length=1000)


class CountOut(BaseModel):
    label: str
    count: int


class StatsOut(BaseModel):
    total: int
    per_day: list[CountOut]
    by_agent: list[CountOut]
    by_kind: list[CountOut]
    guard_by_category: list[CountOut]


class NotificationSettingsOut(BaseModel):
    min_severity: int
    webhook_enabled: bool
    webhook_url: str | None
    webhook_secret_set: bool
    email_enabled: bool
    email_to: list[str]
    email_from: str | None
    smtp_host: str | None
    smtp_port: int
    smtp_security: str
    smtp_username: str | None
    smtp_password_set: bool


class NotificationSettingsIn(BaseModel):
    min_severity: int = Field(1, ge=1, le=5)
    webhook_enabled: bool = False
    webhook_url: str | None = Field(None, max_length=2000)
    webhook_secret: str | None = Field(None, max_length=200)  # None keeps the stored one
    email_enabled: bool = False
    email_to: list[str] = Field(default_factory=list, max_length=20)
    email_from: str | None = Field(None, max_length=320)
    smtp_host: str | None = Field(None, max_length=255)
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_security: str = Field("starttls", pattern="^(none|starttls|tls)$")
    smtp_username: str | None = Field(None, max_length=320)
    smtp_password: str | None = Field(None, max_length=200)  # None keeps the stored one


def alert_out(row: RiskAlert) -> AlertOut:
    return AlertOut(
        id=row.id,
        kind=row.kind,
        severity=row.severity,
        status=row.status,
        summary=row.summary,
        actor_id=row.actor_id,
        target_type=row.target_type,
        target_id=row.target_id,
        data=row.data,
        created_at=row.created_at,
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by,
        acknowledge_note=row.acknowledge_note,
        resolved_at=row.resolved_at,
        resolved_by=row.resolved_by,
        resolve_note=row.resolve_note,
    )


def _filter(
    status: str | None,
    severity: int | None,
    kind: str | None,
    agent: str | None,
    since: str | None,
    until: str | None,
) -> AlertFilter:
    return AlertFilter(
        status=status or None,
        min_severity=severity,
        kind=kind or None,
        actor_id=agent or None,
        since=parse_day(since, "since"),
        until=parse_day(until, "until"),
    )


StatusQuery = Annotated[str | None, Query(pattern="^(open|acknowledged|resolved)?$")]
SeverityQuery = Annotated[int | None, Query(ge=1, le=5, description="minimum severity")]
KindQuery = Annotated[str | None, Query(max_length=64, description="kind or its prefix")]
AgentQuery = Annotated[str | None, Query(max_length=32, description="user id of the actor")]
DayQuery = Annotated[str | None, Query(max_length=10, description="YYYY-MM-DD (UTC)")]


@router.get("", response_model=list[AlertOut])
async def list_alerts_api(
    principal: AlertReader,
    session: SessionDep,
    status: StatusQuery = "open",
    severity: SeverityQuery = None,
    kind: KindQuery = None,
    agent: AgentQuery = None,
    since: DayQuery = None,
    until: DayQuery = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AlertOut]:
    """Alerts in the caller's scope, newest first (default: open ones of the last 30 days)."""
    chosen = _filter(status, severity, kind, agent, since, until)
    rows = await list_alerts(session, principal, chosen, limit=limit)
    return [alert_out(r) for r in rows]


@router.get("/stats", response_model=StatsOut)
async def alert_stats_api(
    principal: AlertReader,
    session: SessionDep,
    status: StatusQuery = None,
    severity: SeverityQuery = None,
    kind: KindQuery = None,
    agent: AgentQuery = None,
    since: DayQuery = None,
    until: DayQuery = None,
) -> StatsOut:
    """The dashboard's charts as numbers: per day, by agent, by kind; guard hits by category."""
    stats = await alert_stats(
        session, principal, _filter(status, severity, kind, agent, since, until)
    )

    def counts(rows: list[tuple[str, int]]) -> list[CountOut]:
        return [CountOut(label=label, count=count) for label, count in rows]

    return StatsOut(
        total=stats.total,
        per_day=counts(stats.per_day),
        by_agent=counts(stats.by_agent),
        by_kind=counts(stats.by_kind),
        guard_by_category=counts(stats.guard_by_category),
    )


@router.get("/notifications", response_model=NotificationSettingsOut)
async def get_notifications(
    principal: NotificationAdmin, session: SessionDep
) -> NotificationSettingsOut:
    """Where new alerts are sent. Secrets are never returned, only whether one is set."""
    view = await load_notification_settings(session, principal.workspace_id)
    return NotificationSettingsOut(**view.public())


@router.put("/notifications", response_model=NotificationSettingsOut)
async def put_notifications(
    request: Request,
    principal: NotificationAdmin,
    session: SessionDep,
    services: ServicesDep,
    body: NotificationSettingsIn,
) -> NotificationSettingsOut:
    """Replace the settings (audited). Omit a secret, or send null, to keep the stored one."""
    await save_notification_settings(
        services,
        session,
        principal,
        NotificationInput(**body.model_dump()),
        actor_of(request, principal),
    )
    await commit(session)
    view = await load_notification_settings(session, principal.workspace_id)
    return NotificationSettingsOut(**view.public())


@router.get("/{alert_id}", response_model=AlertOut)
async def get_alert_api(alert_id: str, principal: AlertReader, session: SessionDep) -> AlertOut:
    return alert_out(await get_alert(session, principal, alert_id))


@router.post("/{alert_id}/acknowledge", response_model=AlertOut)
async def acknowledge_alert_api(
    alert_id: str,
    request: Request,
    principal: AlertHandler,
    session: SessionDep,
    services: ServicesDep,
    body: NoteIn,
) -> AlertOut:
    """Mark an open alert as being handled, with an optional note (audited)."""
    alert = await acknowledge_alert(
        services, session, principal, alert_id, body.note, actor_of(request, principal)
    )
    await commit(session)
    return alert_out(alert)


@router.post("/{alert_id}/resolve", response_model=AlertOut)
async def resolve_alert_api(
    alert_id: str,
    request: Request,
    principal: AlertHandler,
    session: SessionDep,
    services: ServicesDep,
    body: NoteIn,
) -> AlertOut:
    """Close an alert with a note on the outcome, which is required (audited)."""
    alert = await resolve_alert(
        services, session, principal, alert_id, body.note, actor_of(request, principal)
    )
    await commit(session)
    return alert_out(alert)
