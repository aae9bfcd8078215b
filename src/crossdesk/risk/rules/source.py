"""Audit events → :class:`RuleEvent` batches, for the live worker and for replay.

Only the events some rule reads are loaded (the rules' action patterns become SQL LIKE
filters), in chain order (``seq``), a batch at a time, each batch in a short read session.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crossdesk.db.models import AuditEvent, Workspace
from crossdesk.risk.rules.engine import RuleEvent
from crossdesk.risk.rules.model import IGNORED_EVENT_PREFIX, RuleSet

SPAN = 2000  # audit seqs read per batch


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


# In the order of RuleEvent's fields.
_COLUMNS = (
    AuditEvent.id,
    AuditEvent.seq,
    AuditEvent.at,
    AuditEvent.action,
    AuditEvent.actor_id,
    AuditEvent.target_type,
    AuditEvent.target_id,
    AuditEvent.ip,
    AuditEvent.user_agent,
    AuditEvent.data,
)


@dataclass(frozen=True, slots=True)
class EventBatch:
    """The matching events with ``seq`` in (previous batch's ``up_to_seq``, ``up_to_seq``]."""

    events: list[RuleEvent]
    up_to_seq: int


async def head_seq(session: AsyncSession, workspace_id: str) -> int:
    value = await session.scalar(select(Workspace.audit_seq).where(Workspace.id == workspace_id))
    return int(value or 0)


async def read_events(
    sessionmaker: async_sessionmaker[AsyncSession],
    workspace_id: str,
    where: ColumnElement[bool],
    *,
    after_seq: int = 0,
    up_to_seq: int | None = None,
    span: int = SPAN,
) -> AsyncIterator[EventBatch]:
    """The events with ``after_seq < seq <= up_to_seq`` (default: the chain head) matching
    ``where``, in chain order, ``span`` seqs per batch (a range scan of the (workspace,
    seq) index whatever the filter); no session is held between batches."""
    if up_to_seq is None:
        async with sessionmaker() as session:
            up_to_seq = await head_seq(session, workspace_id)
    cursor = after_seq
    while cursor < up_to_seq:
        end = min(cursor + span, up_to_seq)
        # Plain columns, not ORM objects: replay reads many events and keeps none.
        query = (
            select(*_COLUMNS)
            .where(
                AuditEvent.workspace_id == workspace_id,
                AuditEvent.seq > cursor,
                AuditEvent.seq <= end,
                where,
            )
            .order_by(AuditEvent.seq)
        )
        async with sessionmaker() as session:
            events = [RuleEvent(*row) for row in await session.execute(query)]
        yield EventBatch(events, end)
        cursor = end


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
