"""Numbers behind the alerts dashboard's charts, within the caller's scope.

Alerts are counted in SQL (per UTC day, per agent, per kind); guard hits by category come
from the audit log's ``guard.hit`` and ``message.blocked`` events, whose categories are a
JSON list, so they are counted in Python over at most ``GUARD_SAMPLE_LIMIT`` events.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.actions.alert_handling import AlertFilter, filter_conditions
from crossdesk.db.models import AuditEvent, Conversation, Message, RiskAlert, TeamMember, User
from crossdesk.domain import Permission
from crossdesk.risk.periods import utc_day
from crossdesk.risk.rbac import Principal

GUARD_SAMPLE_LIMIT = 100_000
# Hits that let the message through (guard.hit) and sends the guard refused
# (message.blocked): both carry the categories of the findings.
GUARD_ACTIONS = ("guard.hit", "message.blocked")
TOP = 12


@dataclass(frozen=True, slots=True)
class AlertStats:
    per_day: list[tuple[str, int]]
    by_agent: list[tuple[str, int]]
    by_kind: list[tuple[str, int]]
    guard_by_category: list[tuple[str, int]]
    total: int


def _days(chosen: AlertFilter) -> list[str]:
    count = (chosen.end - chosen.start).days
    return [(chosen.start + timedelta(days=i)).date().isoformat() for i in range(count)]


def _guard_scope(principal: Principal) -> ColumnElement[bool]:
    """guard.hit events the principal may count: all, or their teams' people and messages."""
    in_workspace = AuditEvent.workspace_id == principal.workspace_id
    if principal.can(Permission.CONVERSATION_READ_ALL):
        return in_workspace
    teams = principal.team_ids
    members = select(TeamMember.user_id).where(TeamMember.team_id.in_(teams))
    messages = (
        select(Message.id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Message.workspace_id == principal.workspace_id, Conversation.team_id.in_(teams))
    )
    conversations = select(Conversation.id).where(
        Conversation.workspace_id == principal.workspace_id, Conversation.team_id.in_(teams)
    )
    return in_workspace & or_(
        AuditEvent.actor_id.in_(members),
        AuditEvent.target_id.in_(messages),
        AuditEvent.target_id.in_(conversations),
    )


async def alert_stats(
    session: AsyncSession, principal: Principal, chosen: AlertFilter
) -> AlertStats:
    dialect = session.get_bind().dialect.name
    conditions = filter_conditions(principal, chosen)
    day = utc_day(RiskAlert.created_at, dialect).label("day")
    counts = dict(
        (await session.execute(select(day, func.count()).where(*conditions).group_by(day))).all()
    )
    per_day = [(d, int(counts.get(d, 0))) for d in _days(chosen)]

    names: dict[str | None, str] = dict(
        (
            await session.execute(
                select(User.id, User.display_name).where(
                    User.workspace_id == principal.workspace_id
                )
            )
        ).all()
    )
    agents = (
        await session.execute(
            select(RiskAlert.actor_id, func.count())
            .where(*conditions)
            .group_by(RiskAlert.actor_id)
            .order_by(func.count().desc())
            .limit(TOP)
        )
    ).all()
    by_agent = [(names.get(actor, actor or "system") or "system", int(n)) for actor, n in agents]
    kinds = (
        await session.execute(
            select(RiskAlert.kind, func.count())
            .where(*conditions)
            .group_by(RiskAlert.kind)
            .order_by(func.count().desc())
            .limit(TOP)
        )
    ).all()
    by_kind = [(str(kind), int(n)) for kind, n in kinds]

    hits: list[Any] = list(  # Any: JSON event data
        (
            await session.scalars(
                select(AuditEvent.data)
                .where(
                    _guard_scope(principal),
                    AuditEvent.action.in_(GUARD_ACTIONS),
                    AuditEvent.at >= chosen.start,
                    AuditEvent.at < chosen.end,
                )
                .limit(GUARD_SAMPLE_LIMIT)
            )
        ).all()
    )
    categories: Counter[str] = Counter()
    for data in hits:
        if isinstance(data, dict):
            categories.update(str(c) for c in data.get("categories", []))
    return AlertStats(
        per_day=per_day,
        by_agent=by_agent,
        by_kind=by_kind,
        guard_by_category=categories.most_common(TOP),
        total=sum(n for _, n in per_day),
    )
