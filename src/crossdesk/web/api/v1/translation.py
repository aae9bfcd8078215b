"""Translation usage (characters per engine, agent and day) and the monthly quota."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from crossdesk.actions.translation_usage import UsageReport, UsageRow, set_quota, usage_report
from crossdesk.db.session import commit
from crossdesk.domain import Permission, Role
from crossdesk.pipeline.engines import RouterTranslator
from crossdesk.risk.rbac import Principal
from crossdesk.services import Services
from crossdesk.web.api.v1.schemas import StrictInput
from crossdesk.web.deps import ServicesDep, SessionDep, actor_of, require

router = APIRouter(prefix="/translation", tags=["translation"])

ADMINS = (Role.OWNER, Role.ADMIN)


class UsageRowOut(BaseModel):
    key: str
    characters: int
    requests: int
    cost: float | None = Field(
        default=None, description="in `currency`; null when no engine has a configured price"
    )


class UsageOut(BaseModel):
    workspace_id: str
    since: date
    until: date
    scope: str = Field(description="'workspace' (admins) or 'own' (the caller's own usage)")
    by_engine: list[UsageRowOut]
    by_agent: list[UsageRowOut]
    by_day: list[UsageRowOut]
    monthly_quota: int | None
    paid_used_this_month: int
    quota_exceeded: bool
    currency: str
    cost_total: float | None


class QuotaIn(StrictInput):
    monthly_characters: int | None = Field(default=None, ge=0, le=10**12)


def _rows(rows: list[UsageRow]) -> list[UsageRowOut]:
    return [
        UsageRowOut(key=r.key, characters=r.characters, requests=r.requests, cost=r.cost)
        for r in rows
    ]


def paid_engines(services: Services) -> frozenset[str]:
    translator = services.translator
    if isinstance(translator, RouterTranslator) and translator.store is not None:
        return translator.store.paid_engines
    return frozenset()


@router.get("/usage", response_model=UsageOut)
async def get_usage(
    principal: Annotated[Principal, Depends(require(Permission.WORKSPACE_READ))],
    services: ServicesDep,
    session: SessionDep,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
) -> UsageOut:
    """Characters sent to engines over the last ``days`` days. Admins see the whole
    workspace (every engine and agent); everyone else sees their own usage."""
    admin = principal.role in ADMINS
    translator = services.translator
    store = translator.store if isinstance(translator, RouterTranslator) else None
    report: UsageReport = await usage_report(
        session,
        principal.workspace_id,
        days=days,
        paid_engines=paid_engines(services),
        user_id=None if admin else principal.user_id,
        prices=store.prices if store is not None else None,
        currency=store.currency if store is not None else "USD",
    )
    quota = report.monthly_quota
    return UsageOut(
        workspace_id=report.workspace_id,
        since=report.since,
        until=report.until,
        scope="workspace" if admin else "own",
        by_engine=_rows(report.by_engine),
        by_agent=_rows(report.by_agent),
        by_day=_rows(report.by_day),
        monthly_quota=quota,
        paid_used_this_month=report.paid_used_this_month,
        quota_exceeded=quota is not None and report.paid_used_this_month >= quota,
        currency=report.currency,
        cost_total=report.cost_total,
    )


@router.put("/quota", response_model=UsageOut)
async def put_quota(
    body: QuotaIn,
    request: Request,
    principal: Annotated[Principal, Depends(require(Permission.USER_MANAGE))],
    services: ServicesDep,
    session: SessionDep,
) -> UsageOut:
    """Set the workspace's monthly character quota for third-party engines (``null``
    removes it). Over the quota only self-hosted engines are used."""
    await set_quota(
        session, principal.workspace_id, body.monthly_characters, actor_of(request, principal)
    )
    await commit(session)
    translator = services.translator
    if isinstance(translator, RouterTranslator) and translator.store is not None:
        translator.store.forget_quota(principal.workspace_id)
    return await get_usage(principal, services, session)
