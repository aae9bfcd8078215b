"""Translation character usage (per engine, workspace, agent and day) and monthly quotas.

Counting happens in :class:`crossdesk.pipeline.translation_store.TranslationStore` after each
engine call; this module reads the counts for the API and sets quotas. A workspace over its
quota is limited to self-hosted engines (third-party engines are skipped, with a note on the
message) until the month ends or the quota is raised.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.db.base import utcnow
from crossdesk.db.models import TranslationQuota, TranslationUsage
from crossdesk.errors import InvalidInput
from crossdesk.pipeline.translation_store import month_start, today
from crossdesk.risk import audit


@dataclass(frozen=True, slots=True)
class UsageRow:
    key: str  # the engine, agent id or ISO day
    characters: int
    requests: int


@dataclass(frozen=True, slots=True)
class UsageReport:
    workspace_id: str
    since: date
    until: date
    by_engine: list[UsageRow] = field(default_factory=list)
    by_agent: list[UsageRow] = field(default_factory=list)
    by_day: list[UsageRow] = field(default_factory=list)
    monthly_quota: int | None = None
    paid_used_this_month: int = 0


async def usage_report(
    session: AsyncSession,
    workspace_id: str,
    *,
    days: int,
    paid_engines: frozenset[str],
    user_id: str | None = None,
) -> UsageReport:
    """Usage over the last ``days`` days; only ``user_id``'s own rows when given."""
    until = today()
    since = until - timedelta(days=days - 1)
    where = [
        TranslationUsage.workspace_id == workspace_id,
        TranslationUsage.day >= since,
        TranslationUsage.day <= until,
    ]
    if user_id is not None:
        where.append(TranslationUsage.user_id == user_id)
    chars = func.sum(TranslationUsage.characters)
    reqs = func.sum(TranslationUsage.requests)

    async def grouped(column: object) -> list[UsageRow]:
        rows = await session.execute(
            select(column, chars, reqs).where(*where).group_by(column).order_by(column)  # type: ignore[call-overload]
        )
        return [UsageRow(str(k), int(c or 0), int(r or 0)) for k, c, r in rows]

    quota = await session.scalar(
        select(TranslationQuota.monthly_characters).where(
            TranslationQuota.workspace_id == workspace_id
        )
    )
    paid_used = 0
    if paid_engines:
        paid_used = int(
            await session.scalar(
                select(func.coalesce(func.sum(TranslationUsage.characters), 0)).where(
                    TranslationUsage.workspace_id == workspace_id,
                    TranslationUsage.day >= month_start(until),
                    TranslationUsage.engine.in_(sorted(paid_engines)),
                )
            )
            or 0
        )
    return UsageReport(
        workspace_id=workspace_id,
        since=since,
        until=until,
        by_engine=await grouped(TranslationUsage.engine),
        by_agent=await grouped(TranslationUsage.user_id),
        by_day=await grouped(TranslationUsage.day),
        monthly_quota=quota,
        paid_used_this_month=paid_used,
    )


async def set_quota(
    session: AsyncSession,
    workspace_id: str,
    monthly_characters: int | None,
    actor: audit.Actor,
) -> None:
    """Set (or with ``None`` remove) the workspace's monthly quota for third-party engines."""
    if monthly_characters is not None and monthly_characters < 0:
        raise InvalidInput("the quota cannot be negative", field="monthly_characters")
    row = await session.get(TranslationQuota, workspace_id)
    if monthly_characters is None:
        if row is not None:
            await session.delete(row)
    elif row is None:
        session.add(
            TranslationQuota(
                workspace_id=workspace_id,
                monthly_characters=monthly_characters,
                updated_at=utcnow(),
            )
        )
    else:
        row.monthly_characters = monthly_characters
        row.updated_at = utcnow()
    await audit.record(
        session,
        workspace_id,
        "translation.quota_set",
        actor,
        target_type="workspace",
        target_id=workspace_id,
        data={"monthly_characters": monthly_characters},
    )
