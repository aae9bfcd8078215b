"""Run rules over past audit events with no side effects (``crossdesk risk replay``).

The engine is warmed on each rule's window before ``since`` (as the live worker warms up
after a restart), so what replay reports is what live evaluation fires (a firing already
made in the first window period may be listed again); nothing is written.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crossdesk.db.models import AuditEvent
from crossdesk.risk.rules.engine import Firing, RuleEngine
from crossdesk.risk.rules.model import RuleSet
from crossdesk.risk.rules.source import (
    action_filter,
    count_events,
    read_events,
    seq_before,
    warm_filter,
)


@dataclass
class ReplayResult:
    workspace_id: str
    events: int = 0
    firings: list[Firing] = field(default_factory=list)

    @property
    def per_rule(self) -> Counter[str]:
        return Counter(f.rule_id for f in self.firings)


async def warm_up(
    sessionmaker: async_sessionmaker[AsyncSession],
    engine: RuleEngine,
    workspace_id: str,
    *,
    up_to_seq: int,
    until: datetime,
) -> int:
    """Feed the events (seq <= up_to_seq) of each rule's window before ``until`` without
    firing; returns how many were fed."""
    fed = 0
    where = warm_filter(engine.rules, until)
    async with sessionmaker() as session:
        start = await seq_before(session, workspace_id, until - engine.warm_up)
    async for batch in read_events(
        sessionmaker, workspace_id, where, after_seq=start, up_to_seq=up_to_seq
    ):
        for event in batch.events:
            engine.feed(event, warm=True)
        fed += len(batch.events)
    return fed


async def replay(
    sessionmaker: async_sessionmaker[AsyncSession],
    workspace_id: str,
    rules: RuleSet,
    since: datetime,
    until: datetime,
    *,
    on_total: Callable[[int], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ReplayResult:
    engine = RuleEngine(rules, workspace_id)
    result = ReplayResult(workspace_id)
    window = and_(action_filter(rules), AuditEvent.at >= since, AuditEvent.at < until)
    async with sessionmaker() as session:
        start_seq = await seq_before(session, workspace_id, since)
        total = await count_events(session, workspace_id, window)
    if on_total is not None:
        on_total(total)
    await warm_up(sessionmaker, engine, workspace_id, up_to_seq=start_seq, until=since)
    live = and_(action_filter(rules), AuditEvent.at < until)
    async for batch in read_events(sessionmaker, workspace_id, live, after_seq=start_seq):
        for event in batch.events:
            result.firings.extend(engine.feed(event))
        result.events += len(batch.events)
        if on_progress is not None and batch.events:
            on_progress(len(batch.events))
    return result
