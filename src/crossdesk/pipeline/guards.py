"""One guard per workspace: the starter packs plus the workspace's own lists.

Each workspace's guard is rebuilt when its lists change (their versions are checked at most
every few seconds), so edited lists apply without a restart.
"""

import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crossdesk.actions.word_lists import lexicon_of
from crossdesk.db.models import WordList
from crossdesk.domain import Direction
from crossdesk.guard import Guard, Hit, Lexicon

CHECK_EVERY_SECONDS = 3.0


def hit_dict(hit: Hit) -> dict[str, Any]:
    return {
        "term": hit.term,
        "list": hit.lexicon,
        "category": hit.category,
        "action": hit.action.value,
        "severity": hit.severity,
        "start": hit.start,
        "end": hit.end,
        "matched": hit.matched,
        "via": hit.via,
        "version": hit.version,
    }


class WorkspaceGuards:
    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], base: Sequence[Lexicon]
    ) -> None:
        self._sessionmaker = sessionmaker
        self._base = tuple(base)
        self._default = Guard(self._base)
        # workspace → (signature of its lists, guard, next time to check the signature)
        self._guards: dict[str, tuple[tuple[tuple[str, int], ...], Guard, float]] = {}

    async def guard_for(self, workspace_id: str) -> Guard:
        now = time.monotonic()
        cached = self._guards.get(workspace_id)
        if cached is not None and cached[2] > now:
            return cached[1]
        async with self._sessionmaker() as session:
            signature = tuple(
                (row[0], row[1])
                for row in await session.execute(
                    select(WordList.id, WordList.version)
                    .where(WordList.workspace_id == workspace_id, WordList.archived.is_(False))
                    .order_by(WordList.id)
                )
            )
            if cached is not None and cached[0] == signature:
                guard = cached[1]
            elif not signature:
                guard = self._default
            else:
                rows = (
                    await session.scalars(
                        select(WordList).where(
                            WordList.workspace_id == workspace_id, WordList.archived.is_(False)
                        )
                    )
                ).all()
                guard = Guard([*self._base, *(lexicon_of(row) for row in rows)])
        self._guards[workspace_id] = (signature, guard, now + CHECK_EVERY_SECONDS)
        return guard

    def invalidate(self, workspace_id: str) -> None:
        self._guards.pop(workspace_id, None)

    async def findings(
        self, workspace_id: str, text: str, direction: Direction
    ) -> list[dict[str, Any]]:
        guard = await self.guard_for(workspace_id)
        return [hit_dict(hit) for hit in guard.scan(text, direction=direction.value).hits]
