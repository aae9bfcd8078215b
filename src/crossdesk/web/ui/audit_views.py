"""The auditor's read-only audit page: filters, a chart of events over time, the events.

The chart is an SVG drawn on the server (no scripts, no CDN; the CSP forbids both).
"""

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.db.models import AuditEvent, User
from crossdesk.domain import Permission
from crossdesk.errors import InvalidInput
from crossdesk.risk.export import export_audit
from crossdesk.risk.rbac import Principal
from crossdesk.web.deps import ServicesDep, SessionDep, actor_of, require
from crossdesk.web.ui.render import render

router = APIRouter(prefix="/ui", include_in_schema=False)

Auditor = Annotated[Principal, Depends(require(Permission.AUDIT_READ))]
Exporter = Annotated[Principal, Depends(require(Permission.AUDIT_READ, Permission.EXPORT))]

PAGE_SIZE = 100
DEFAULT_DAYS = 30
CHART_SAMPLE_LIMIT = 100_000  # events bucketed in Python; enough for a month of a busy shop
CHART_WIDTH, CHART_HEIGHT = 720, 120


@dataclass(frozen=True, slots=True)
class AuditFilter:
    action: str | None
    actor: str | None
    target: str | None
    since: date | None
    until: date | None

    @property
    def start(self) -> datetime:
        day = self.since or (self.end.date() - timedelta(days=DEFAULT_DAYS - 1))
        return datetime.combine(day, time(), UTC)

    @property
    def end(self) -> datetime:
        day = self.until or datetime.now(UTC).date()
        return datetime.combine(day + timedelta(days=1), time(), UTC)

    def query(self) -> dict[str, str]:
        values = {
            "action": self.action,
            "actor": self.actor,
            "target": self.target,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }
        return {k: v for k, v in values.items() if v}


async def _conditions(
    session: AsyncSession, principal: Principal, chosen: AuditFilter
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        AuditEvent.workspace_id == principal.workspace_id,
        AuditEvent.at >= chosen.start,
        AuditEvent.at < chosen.end,
    ]
    if chosen.action:
        # "auth" matches auth.login, auth.logout, ...; "auth.login" matches itself.
        conditions.append(
            or_(
                AuditEvent.action == chosen.action,
                AuditEvent.action.startswith(chosen.action + ".", autoescape=True),
            )
        )
    if chosen.actor == "system":
        conditions.append(AuditEvent.actor_id.is_(None))
    elif chosen.actor:
        found = await session.scalar(
            select(User.id).where(
                User.workspace_id == principal.workspace_id,
                or_(User.id == chosen.actor, User.email == chosen.actor.strip().lower()),
            )
        )
        conditions.append(AuditEvent.actor_id == (found or chosen.actor))
    if chosen.target:
        conditions.append(AuditEvent.target_id == chosen.target)
    return conditions


def _chart(stamps: list[datetime], start: datetime, end: datetime) -> dict[str, Any]:
    """Bars per day (per hour for ranges of two days or less), laid out for the SVG."""
    hourly = end - start <= timedelta(days=2)
    step = timedelta(hours=1) if hourly else timedelta(days=1)
    buckets = max(1, int((end - start) / step))
    counts = [0] * buckets
    for stamp in stamps:
        index = int((stamp - start) / step)
        if 0 <= index < buckets:
            counts[index] += 1
    peak = max(counts) or 1
    width = CHART_WIDTH / buckets
    bars = []
    for index, count in enumerate(counts):
        height = round(count / peak * (CHART_HEIGHT - 20), 1)
        moment = start + step * index
        label = moment.strftime("%Y-%m-%d %H:00" if hourly else "%Y-%m-%d")
        bars.append(
            {
                "x": round(index * width + 1, 1),
                "y": round(CHART_HEIGHT - height, 1),
                "w": round(max(width - 2, 1), 1),
                "h": height,
                "count": count,
                "label": label,
            }
        )
    return {
        "bars": bars,
        "peak": max(counts),
        "total": sum(counts),
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "first": bars[0]["label"],
        "last": bars[-1]["label"],
    }


def _day(value: str | None, field: str) -> date | None:
    """A date field of the filter form; the browser sends an empty string when unset."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("enter the date as YYYY-MM-DD", field=field) from None


@router.get("/audit")
async def audit_page(
    request: Request,
    principal: Auditor,
    session: SessionDep,
    action: Annotated[str | None, Query(max_length=64)] = None,
    actor: Annotated[str | None, Query(max_length=320)] = None,
    target: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[str | None, Query(max_length=10)] = None,
    until: Annotated[str | None, Query(max_length=10)] = None,
    before: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    chosen = AuditFilter(
        action or None, actor or None, target or None, _day(since, "since"), _day(until, "until")
    )
    conditions = await _conditions(session, principal, chosen)
    statement = select(AuditEvent).where(*conditions)
    if before is not None:
        statement = statement.where(AuditEvent.seq < before)
    events = (
        await session.scalars(statement.order_by(AuditEvent.seq.desc()).limit(PAGE_SIZE + 1))
    ).all()
    more = len(events) > PAGE_SIZE
    events = events[:PAGE_SIZE]
    stamps = (
        await session.scalars(select(AuditEvent.at).where(*conditions).limit(CHART_SAMPLE_LIMIT))
    ).all()
    names = dict(
        (
            await session.execute(
                select(User.id, User.display_name).where(
                    User.workspace_id == principal.workspace_id
                )
            )
        ).all()
    )
    actions = (
        await session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.workspace_id == principal.workspace_id)
            .distinct()
            .order_by(AuditEvent.action)
        )
    ).all()
    return render(
        request,
        "audit.html",
        {
            "events": events,
            "names": names,
            "filter": chosen,
            "query": chosen.query(),
            "actions": actions,
            "chart": _chart(list(stamps), chosen.start, chosen.end),
            "next_before": events[-1].seq if more and events else None,
            "can_export": principal.can(Permission.EXPORT),
        },
    )


@router.get("/audit/export")
async def audit_export(
    request: Request,
    principal: Exporter,
    services: ServicesDep,
    since: Annotated[str | None, Query(max_length=10)] = None,
    until: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    """Download the signed JSON Lines export (the download itself is audited)."""
    chosen = AuditFilter(None, None, None, _day(since, "since"), _day(until, "until"))
    buffer = io.StringIO()
    summary = await export_audit(
        services,
        principal.workspace_id,
        buffer,
        actor_of(request, principal),
        since=chosen.start if since else None,
        until=chosen.end if until else None,
    )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Response(
        buffer.getvalue(),
        media_type="application/x-ndjson",
        headers={
            "Content-Disposition": f'attachment; filename="audit-{stamp}.jsonl"',
            "Cache-Control": "no-store",
            "X-Export-Sha256": summary.sha256,
        },
    )
