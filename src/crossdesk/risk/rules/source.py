"""Audit events → :class:`RuleEvent` batches, for the live worker and for replay.

Only the events some rule reads are loaded (the rules' action patterns become SQL LIKE
filters), in chain order (``seq``), a batch at a time, each batch in a short read session.
"""

from collections.abc import AsyncIterator
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crossdesk.db.models import AuditEvent
from crossdesk.risk.rules.engine import RuleEvent
from crossdesk.risk.rules.model import IGNORED_EVENT_PREFIX, RuleSet

BATCH = 1000


def _like(pattern: str) -> ColumnElement[bool]:
    if "*" not in pattern:
        return AuditEvent.action == pattern
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return AuditEvent.action.like(escaped.replace("*", "%"), escape="\\")


def action_filter(rules: RuleSet) -> ColumnElement[bool]:
    """Events any enabled rule may read (never the risk.* events the actions write)."""
    patterns = sorted({p for rule in rules.active for p in rule.match.events})
    if not patterns:
        return false()
    return and_(
        or_(*(_like(p) for p in patterns)),
        AuditEvent.action.not_like(IGNORED_EVENT_PREFIX.replace("_", "\\_") + "%", escape="\\"),
    )


def warm_filter(rules: RuleSet, until: datetime) -> ColumnElement[bool]:
    """Per rule, its events of the window before ``until`` (what warming needs)."""
    clauses = [
        and_(
            or_(*(_like(p) for p in rule.match.events)),
            AuditEvent.at > until - rule.window_delta,
        )
        for rule in rules.active
    ]
    return or_(*clauses) if clauses else false()


def to_rule_event(row: AuditEvent) -> RuleEvent:
    return RuleEvent(
        id=row.id,
        seq=row.seq,
        at=row.at,
        action=row.action,
        actor_id=row.actor_id,
        target_type=row.target_type,
        target_id=row.target_id,
        ip=row.ip,
        user_agent=row.user_agent,
        data=row.data or {},
    )


async def read_events(
    sessionmaker: async_sessionmaker[AsyncSession],
    workspace_id: str,
    where: ColumnElement[bool],
    *,
    after_seq: int = 0,
    up_to_seq: int | None = None,
    batch: int = BATCH,
) -> AsyncIterator[list[RuleEvent]]:
    """Batches of events with ``seq > after_seq`` (``<= up_to_seq``) matching ``where``;
    no session is held between batches."""
    cursor = after_seq
    while True:
        query = (
            select(AuditEvent)
            .where(AuditEvent.workspace_id == workspace_id, AuditEvent.seq > cursor, where)
            .order_by(AuditEvent.seq)
            .limit(batch)
        )
        if up_to_seq is not None:
            query = query.where(AuditEvent.seq <= up_to_seq)
        async with sessionmaker() as session:
            rows = [to_rule_event(r) for r in await session.scalars(query)]
        if not rows:
            return
        yield rows
        cursor = rows[-1].seq
        if len(rows) < batch:
            return


async def seq_before(session: AsyncSession, workspace_id: str, at: datetime) -> int:
    """The last seq of the workspace recorded before ``at`` (0 if none)."""
    value = await session.scalar(
        select(func.max(AuditEvent.seq)).where(
            AuditEvent.workspace_id == workspace_id, AuditEvent.at < at
        )
    )
    return int(value or 0)


async def at_of(session: AsyncSession, workspace_id: str, seq: int) -> datetime | None:
    return await session.scalar(
        select(AuditEvent.at).where(AuditEvent.workspace_id == workspace_id, AuditEvent.seq == seq)
    )


async def count_events(session: AsyncSession, workspace_id: str, where: ColumnElement[bool]) -> int:
    value = await session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.workspace_id == workspace_id, where)
    )
    return int(value or 0)
