"""Supervisors handling risk alerts: who may see which alert, acknowledge, resolve.

An alert belongs to the teams of the person who caused it and of what it is about (a
conversation, a message, an account). Owners, admins and auditors see every alert of the
workspace; a supervisor sees the alerts of their teams; agents see none.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.db.base import utcnow
from crossdesk.db.models import ChannelAccount, Conversation, Message, RiskAlert, TeamMember
from crossdesk.db.session import on_commit
from crossdesk.domain import Permission
from crossdesk.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from crossdesk.events import Event
from crossdesk.risk import audit
from crossdesk.risk.rbac import Principal
from crossdesk.services import Services

STATUSES = ("open", "acknowledged", "resolved")
NOTE_MAX = 1000
DEFAULT_DAYS = 30
ALERT_EVENT_PREFIX = "alert."


@dataclass(frozen=True, slots=True)
class AlertFilter:
    """The dashboard's and the API's filters; ``None`` means "any"."""

    status: str | None = None
    min_severity: int | None = None
    kind: str | None = None  # "guard" matches guard.diversion, guard.abuse, ...
    actor_id: str | None = None
    since: date | None = None
    until: date | None = None

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in STATUSES:
            raise InvalidInput("status must be open, acknowledged or resolved", field="status")
        if self.min_severity is not None and not 1 <= self.min_severity <= 5:
            raise InvalidInput("severity must be between 1 and 5", field="severity")
        if self.since and self.until and self.since > self.until:
            raise InvalidInput("the start date is after the end date", field="since")

    @property
    def start(self) -> datetime:
        day = self.since or (self.end.date() - timedelta(days=DEFAULT_DAYS))
        return datetime.combine(day, time(), UTC)

    @property
    def end(self) -> datetime:
        day = self.until or datetime.now(UTC).date()
        return datetime.combine(day + timedelta(days=1), time(), UTC)

    def query(self) -> dict[str, str]:
        values = {
            "status": self.status,
            "severity": str(self.min_severity) if self.min_severity else None,
            "kind": self.kind,
            "agent": self.actor_id,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }
        return {k: v for k, v in values.items() if v}


def may_read_alerts(principal: Principal) -> bool:
    return principal.can(Permission.RISK_MANAGE) or principal.can(Permission.AUDIT_READ)


def alert_scope(principal: Principal) -> ColumnElement[bool]:
    """The WHERE clause limiting alerts to what the principal may see."""
    in_workspace = RiskAlert.workspace_id == principal.workspace_id
    if not may_read_alerts(principal):
        return in_workspace & false()
    if principal.can(Permission.CONVERSATION_READ_ALL):
        return in_workspace
    teams = principal.team_ids
    if not teams:
        return in_workspace & false()
    members = select(TeamMember.user_id).where(
        TeamMember.workspace_id == principal.workspace_id, TeamMember.team_id.in_(teams)
    )
    conversations = select(Conversation.id).where(
        Conversation.workspace_id == principal.workspace_id, Conversation.team_id.in_(teams)
    )
    messages = (
        select(Message.id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Message.workspace_id == principal.workspace_id, Conversation.team_id.in_(teams))
    )
    accounts = select(ChannelAccount.id).where(
        ChannelAccount.workspace_id == principal.workspace_id, ChannelAccount.team_id.in_(teams)
    )
    return in_workspace & or_(
        RiskAlert.actor_id.in_(members),
        and_(RiskAlert.target_type == "conversation", RiskAlert.target_id.in_(conversations)),
        and_(RiskAlert.target_type == "message", RiskAlert.target_id.in_(messages)),
        and_(RiskAlert.target_type == "channel_account", RiskAlert.target_id.in_(accounts)),
    )


def filter_conditions(principal: Principal, chosen: AlertFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        alert_scope(principal),
        RiskAlert.created_at >= chosen.start,
        RiskAlert.created_at < chosen.end,
    ]
    if chosen.status:
        conditions.append(RiskAlert.status == chosen.status)
    if chosen.min_severity:
        conditions.append(RiskAlert.severity >= chosen.min_severity)
    if chosen.kind:
        conditions.append(
            or_(
                RiskAlert.kind == chosen.kind,
                RiskAlert.kind.startswith(chosen.kind + ".", autoescape=True),
            )
        )
    if chosen.actor_id:
        conditions.append(RiskAlert.actor_id == chosen.actor_id)
    return conditions


async def list_alerts(
    session: AsyncSession,
    principal: Principal,
    chosen: AlertFilter,
    *,
    limit: int = 100,
    before: datetime | None = None,
) -> list[RiskAlert]:
    statement = select(RiskAlert).where(*filter_conditions(principal, chosen))
    if before is not None:
        statement = statement.where(RiskAlert.created_at < before)
    rows = await session.scalars(
        statement.order_by(RiskAlert.created_at.desc(), RiskAlert.id.desc()).limit(limit)
    )
    return list(rows.all())


async def get_alert(session: AsyncSession, principal: Principal, alert_id: str) -> RiskAlert:
    alert = await session.scalar(
        select(RiskAlert).where(RiskAlert.id == alert_id, alert_scope(principal))
    )
    if alert is None:
        raise NotFound("no such alert", alert_id=alert_id)
    return alert


async def alert_team_ids(session: AsyncSession, alert: RiskAlert) -> list[str]:
    """The teams an alert belongs to (its actor's and its target's), for live filtering."""
    teams: set[str] = set()
    if alert.actor_id:
        teams.update(
            (
                await session.scalars(
                    select(TeamMember.team_id).where(TeamMember.user_id == alert.actor_id)
                )
            ).all()
        )
    target: str | None = None
    if alert.target_type == "conversation" and alert.target_id:
        target = await session.scalar(
            select(Conversation.team_id).where(Conversation.id == alert.target_id)
        )
    elif alert.target_type == "message" and alert.target_id:
        target = await session.scalar(
            select(Conversation.team_id)
            .join(Message, Message.conversation_id == Conversation.id)
            .where(Message.id == alert.target_id)
        )
    elif alert.target_type == "channel_account" and alert.target_id:
        target = await session.scalar(
            select(ChannelAccount.team_id).where(ChannelAccount.id == alert.target_id)
        )
    if target:
        teams.add(target)
    return sorted(teams)


def alert_event(alert: RiskAlert, event_type: str, team_ids: list[str]) -> Event:
    """A live event about an alert: ids and numbers only (the summary stays server-side).

    ``team_id``/``assignee_id`` stay empty so the conversation filter of the event stream
    would show it to nobody but readers of everything; :func:`alert_event_visible` decides.
    """
    return Event(
        type=event_type,
        workspace_id=alert.workspace_id,
        data={
            "alert_id": alert.id,
            "kind": alert.kind,
            "severity": alert.severity,
            "status": alert.status,
            "team_ids": team_ids,
        },
    )


def alert_event_visible(principal: Principal, event: Event) -> bool:
    """The same rule as :func:`alert_scope`, for one live ``alert.*`` event."""
    if event.workspace_id != principal.workspace_id or not may_read_alerts(principal):
        return False
    if principal.can(Permission.CONVERSATION_READ_ALL):
        return True
    teams: Any = event.data.get("team_ids") or []  # Any: JSON from the bus
    return bool(principal.team_ids.intersection(str(t) for t in teams))


def _note(note: str) -> str:
    cleaned = note.strip()
    if len(cleaned) > NOTE_MAX:
        raise InvalidInput(f"the note is longer than {NOTE_MAX} characters", field="note")
    return cleaned


def _publish_on_commit(
    services: Services, session: AsyncSession, alert: RiskAlert, team_ids: list[str]
) -> None:
    event = alert_event(alert, "alert.updated", team_ids)

    async def _publish() -> None:
        await services.bus.publish(event)

    on_commit(session, _publish)


async def acknowledge_alert(
    services: Services,
    session: AsyncSession,
    principal: Principal,
    alert_id: str,
    note: str,
    actor: audit.Actor,
) -> RiskAlert:
    """Mark an open alert as seen and being handled; the note says what is being done."""
    if not principal.can(Permission.RISK_MANAGE):
        raise PermissionDenied("your role lacks the permission: risk.manage")
    alert = await get_alert(session, principal, alert_id)
    text = _note(note)
    if alert.status != "open":
        raise Conflict(f"the alert is already {alert.status}", alert_id=alert_id)
    alert.status = "acknowledged"
    alert.acknowledged_at = utcnow()
    alert.acknowledged_by = principal.user_id
    alert.acknowledge_note = text or None
    await audit.record(
        session,
        principal.workspace_id,
        "risk.alert_acknowledge",
        actor,
        target_type="risk_alert",
        target_id=alert.id,
        data={"kind": alert.kind, "note": text},
    )
    _publish_on_commit(services, session, alert, await alert_team_ids(session, alert))
    return alert


async def resolve_alert(
    services: Services,
    session: AsyncSession,
    principal: Principal,
    alert_id: str,
    note: str,
    actor: audit.Actor,
) -> RiskAlert:
    """Close an alert (open or acknowledged) with a note on the outcome, which is required."""
    if not principal.can(Permission.RISK_MANAGE):
        raise PermissionDenied("your role lacks the permission: risk.manage")
    alert = await get_alert(session, principal, alert_id)
    text = _note(note)
    if not text:
        raise InvalidInput("say how the alert was resolved", field="note")
    if alert.status == "resolved":
        raise Conflict("the alert is already resolved", alert_id=alert_id)
    alert.status = "resolved"
    alert.resolved_at = utcnow()
    alert.resolved_by = principal.user_id
    alert.resolve_note = text
    await audit.record(
        session,
        principal.workspace_id,
        "risk.alert_resolve",
        actor,
        target_type="risk_alert",
        target_id=alert.id,
        data={"kind": alert.kind, "note": text},
    )
    _publish_on_commit(services, session, alert, await alert_team_ids(session, alert))
    return alert
