"""The assignment worker: drains the teams' unassigned queues and returns the
conversations of agents who have been offline too long.

Woken at once by the changes that may make a queue assignable in this process (a new
conversation, a resolved or reassigned one, an agent online: ``services.assignment_wakeup``);
every ``poll_seconds`` it also passes over every auto-assigning team, which catches changes
made by other processes.
"""

import asyncio
import contextlib
import logging
import time

from crossdesk.actions.assignment import assign_queued, auto_assign_teams
from crossdesk.actions.queue_return import return_offline
from crossdesk.services import Services

logger = logging.getLogger(__name__)


class AssignmentWorker:
    def __init__(
        self, services: Services, *, poll_seconds: float = 15.0, return_seconds: float = 60.0
    ) -> None:
        self._services = services
        self._poll_seconds = poll_seconds
        self._return_seconds = return_seconds
        self._next_poll = 0.0
        self._next_return = 0.0

    async def run_forever(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                logger.exception("assignment pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._services.assignment_wakeup.wait(), self._poll_seconds)

    async def run_once(self, *, everything: bool = False) -> int:
        """One pass; returns how many conversations were assigned."""
        services = self._services
        services.assignment_wakeup.clear()
        teams = set(services.assignment_teams)
        services.assignment_teams.clear()
        clock = time.monotonic()
        if everything or clock >= self._next_return:
            self._next_return = clock + self._return_seconds
            await return_offline(services)
            teams |= services.assignment_teams  # the teams that got conversations back
            services.assignment_teams.clear()
        if everything or clock >= self._next_poll:
            self._next_poll = clock + self._poll_seconds
            async with services.read_sessionmaker() as session:
                teams.update(await auto_assign_teams(session))
        assigned = 0
        for team_id in sorted(teams):
            assigned += len(await assign_queued(services, team_id))
        return assigned
