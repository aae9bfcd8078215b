"""Translation character usage (per engine, workspace, agent and day) and monthly quotas.

Counting happens in :class:`crossdesk.pipeline.translation_store.TranslationStore` after each
engine call; this module reads the counts for the API and sets quotas. A workspace over its
quota is limited to self-hosted engines (third-party engines are skipped, with a note on the
message) until the month ends or the quota is raised.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import case, func, literal, select
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
    cost: float | None = None  # in the configured currency; None when no engine has a price


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
    currency: str = "USD"
    cost_total: float | None = None


async def usage_report(
    session: AsyncSession,
    workspace_id: str,
    *,
    days: int,
    paid_engines: frozenset[str],
    user_id: str | None = None,
    prices: Mapping[str, float] | None = None,
    currency: str = "USD",
) -> UsageReport:
    """Usage over the last ``days`` days; only ``user_id``'s own rows when given. With
    ``prices`` (engine → price per million characters) every row also carries its cost."""
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
    # Characters of each engine times its price, summed in the database (rows by agent or
    # day mix engines); micro-units (price per character × 1e6) keep it in integers.
    priced = {name: price for name, price in (prices or {}).items() if price is not None}
    micro = (
        func.sum(
            TranslationUsage.characters
            * case(
                {name: round(price * 1000) for name, price in priced.items()},
                value=TranslationUsage.engine,
                else_=0,
            )
        )
        if priced
        else literal(0)
    )

    async def grouped(column: object) -> list[UsageRow]:
        rows = await session.execute(
            select(column, chars, reqs, micro).where(*where).group_by(column).order_by(column)  # type: ignore[call-overload]
        )
        return [
            UsageRow(str(k), int(c or 0), int(r or 0), _cost(m) if priced else None)
            for k, c, r, m in rows
        ]

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
    by_engine = await grouped(TranslationUsage.engine)
    return UsageReport(
        workspace_id=workspace_id,
        since=since,
        until=until,
        by_engine=by_engine,
        by_agent=await grouped(TranslationUsage.user_id),
        by_day=await grouped(TranslationUsage.day),
        monthly_quota=quota,
        paid_used_this_month=paid_used,
        currency=currency,
        cost_total=round(sum(r.cost or 0.0 for r in by_engine), 6) if priced else None,
    )


def _cost(milli_per_million: int | float | Decimal | None) -> float:
    """Σ characters × (price per million × 1000) → the cost (rounded to 1e-6)."""
    return round(int(milli_per_million or 0) / 1e9, 6)


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
