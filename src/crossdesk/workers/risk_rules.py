"""Live risk rules: follow each workspace's audit log and act on what the rules find.

Per workspace the worker keeps a :class:`RuleEngine` in memory and a cursor (the last
evaluated ``seq``) in the database. Each pass reads the events after the cursor (a short
read session), evaluates them (no session held), then in one transaction records the
firings with their actions and moves the cursor: a crash before the commit repeats the
batch, a crash after it does not, and the firings' unique key stops any double action
(two workers, a reload, a firing repeated after warm-up). After a restart or a rules
change the engine is warmed on the events of each rule's window before the cursor, so its
windows are what they would have been.
"""

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy import select

from crossdesk.actions.risk_actions import apply_firing, rules_version, workspace_rules
from crossdesk.db.base import utcnow
from crossdesk.db.models import RiskRuleCursor, Workspace
from crossdesk.db.session import transaction
from crossdesk.risk.rules import Firing, RuleEngine, RuleFileError
from crossdesk.risk.rules.replay import warm_up
from crossdesk.risk.rules.source import action_filter, at_of, head_seq, read_events
from crossdesk.services import Services

logger = logging.getLogger(__name__)

INTERVAL_SECONDS = 2.0
BATCH = 500  # audit seqs evaluated (and committed) per transaction


@dataclass
class _Live:
    engine: RuleEngine
    version: int
    cursor: int


class RiskRulesWorker:
    def __init__(
        self, services: Services, *, interval: float = INTERVAL_SECONDS, batch: int = BATCH
    ) -> None:
        self._services = services
        self._interval = interval
        self._batch = batch
        self._live: dict[str, _Live] = {}

    async def run_forever(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                logger.exception("risk rules pass failed")
            await asyncio.sleep(self._interval)

    async def run_once(self) -> int:
        """Evaluate every workspace's new events; returns how many rules fired (acted)."""
        async with self._services.read_sessionmaker() as session:
            workspaces = list(await session.scalars(select(Workspace.id).order_by(Workspace.id)))
        fired = 0
        for workspace_id in workspaces:
            try:
                fired += await self.run_workspace(workspace_id)
            except Exception:
                self._live.pop(workspace_id, None)  # rebuild from the database next time
                logger.exception("risk rules failed for workspace %s", workspace_id)
        return fired

    async def run_workspace(self, workspace_id: str) -> int:
        live = await self._prepare(workspace_id)
        if live is None:
            return 0
        fired = 0
        # Up to the head seen now; each batch is committed with its firings before the next,
        # and moves the cursor over the events no rule reads too.
        async for batch in read_events(
            self._services.read_sessionmaker,
            workspace_id,
            action_filter(live.engine.rules),
            after_seq=live.cursor,
            span=self._batch,
        ):
            firings = [f for event in batch.events for f in live.engine.feed(event)]
            fired += await self._commit(workspace_id, live, firings, batch.up_to_seq)
            if workspace_id not in self._live:  # another worker moved the cursor
                break
        return fired

    async def _commit(
        self, workspace_id: str, live: _Live, firings: list[Firing], new_cursor: int
    ) -> int:
        acted = 0
        async with transaction(self._services.sessionmaker) as session:
            row = await session.scalar(
                select(RiskRuleCursor)
                .where(RiskRuleCursor.workspace_id == workspace_id)
                .with_for_update()
            )
            if row is None or row.last_seq != live.cursor:
                # Another worker moved on: drop our state and follow it next pass.
                self._live.pop(workspace_id, None)
                return 0
            for firing in firings:
                if await apply_firing(self._services, session, workspace_id, firing) is not None:
                    acted += 1
            row.last_seq = max(new_cursor, live.cursor)
            row.updated_at = utcnow()
        live.cursor = max(new_cursor, live.cursor)
        return acted

    async def _prepare(self, workspace_id: str) -> _Live | None:
        """The workspace's engine, (re)built and warmed when missing, when its rules
        changed, or when the stored cursor is not where ours is."""
        async with self._services.read_sessionmaker() as session:
            version = await rules_version(session, workspace_id)
            cursor_row = await session.get(RiskRuleCursor, workspace_id)
            stored = cursor_row.last_seq if cursor_row else None
        live = self._live.get(workspace_id)
        if live is not None and live.version == version and live.cursor == stored:
            return live
        async with self._services.read_sessionmaker() as session:
            try:
                rules = await workspace_rules(session, workspace_id)
            except RuleFileError as exc:  # stored rules are validated; a bad upgrade could
                logger.error("risk rules of workspace %s are invalid: %s", workspace_id, exc)
                return None
            engine = RuleEngine(rules.rules, workspace_id)
            if stored is None:
                # First run: rules apply from now on (replay covers the past); the warm-up
                # below still fills the windows with the recent events.
                stored = await head_seq(session, workspace_id)
            until = await at_of(session, workspace_id, stored) if stored else None
        if cursor_row is None:
            await self._create_cursor(workspace_id, stored)
        await warm_up(
            self._services.read_sessionmaker,
            engine,
            workspace_id,
            up_to_seq=stored,
            until=until or utcnow(),
        )
        live = _Live(engine, rules.version, stored)
        self._live[workspace_id] = live
        return live

    async def _create_cursor(self, workspace_id: str, seq: int) -> None:
        async with transaction(self._services.sessionmaker) as session:
            if await session.get(RiskRuleCursor, workspace_id) is None:
                session.add(RiskRuleCursor(workspace_id=workspace_id, last_seq=seq))
