"""An account's anti-ban care over the API: send limits with warm-up (managers change them,
audited), the egress IP seen through its proxy (check on demand) and its health score."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from crossdesk.actions.account_egress import check_egress
from crossdesk.actions.account_limits import LimitsReport, limits_report, set_limits
from crossdesk.actions.account_overview import account_overviews
from crossdesk.actions.web_session_health import run_web_checks, set_web_check
from crossdesk.domain import Permission
from crossdesk.domain.send_limits import MAX_LIMIT, MAX_WARMUP_DAYS, SendLimits
from crossdesk.risk.rbac import Principal
from crossdesk.web.api.v1.schemas import StrictInput
from crossdesk.web.deps import ServicesDep, actor_of, require

router = APIRouter(tags=["accounts"])
Manager = Annotated[Principal, Depends(require(Permission.ACCOUNT_MANAGE))]
Viewer = Annotated[
    Principal,
    Depends(require(Permission.ACCOUNT_MANAGE, Permission.ACCOUNT_OPEN, any_of=True)),
]

Limit = Annotated[int | None, Field(ge=1, le=MAX_LIMIT)]


class LimitsIn(StrictInput):
    """``null`` limits are unlimited."""

    per_hour: Limit = None
    per_day: Limit = None
    new_chats_per_day: Limit = None
    warmup_days: Annotated[int, Field(ge=0, le=MAX_WARMUP_DAYS)] = 0
    warmup_start_percent: Annotated[int, Field(ge=1, le=100)] = 100
    restart_warmup: bool = False


class LimitsOut(BaseModel):
    per_hour: int | None
    per_day: int | None
    new_chats_per_day: int | None
    warmup_days: int
    warmup_start_percent: int


class EgressOut(BaseModel):
    ip: str | None
    country: str | None
    checked_at: datetime | None
    error: str | None
    shared_with: list[str]


class ScoreOut(BaseModel):
    value: int
    reasons: list[str]


class WebCheckOut(BaseModel):
    state: str  # logged_in | logged_out
    detail: str
    checked_at: datetime


class WebCheckIn(StrictInput):
    """The page that only a logged-in session reaches; empty turns the check off."""

    logged_in_url: Annotated[str, Field(max_length=500)] = ""
    logged_in_marker: Annotated[str, Field(max_length=200)] = ""


class AccountLimitsOut(BaseModel):
    account_id: str
    custom: bool
    configured: LimitsOut
    in_force: LimitsOut
    warmup_started_at: datetime
    schedule: list[LimitsOut]
    sent_last_hour: int
    sent_last_day: int
    new_chats_last_day: int
    waiting: int
    egress: EgressOut | None
    score: ScoreOut
    web_check: WebCheckOut | None


def _limits(limits: SendLimits) -> LimitsOut:
    return LimitsOut(**limits.as_dict())


async def _out(
    services: ServicesDep, principal: Principal, report: LimitsReport
) -> AccountLimitsOut:
    overview = (await account_overviews(services, principal.workspace_id, [report.account_id]))[
        report.account_id
    ]
    egress = overview.egress
    return AccountLimitsOut(
        account_id=report.account_id,
        custom=report.configured.custom,
        configured=_limits(report.configured.limits),
        in_force=_limits(report.now),
        warmup_started_at=report.configured.warmup_started_at,
        schedule=[_limits(limits) for _day, limits in report.schedule],
        sent_last_hour=report.sent_last_hour,
        sent_last_day=report.sent_last_day,
        new_chats_last_day=report.new_chats_last_day,
        waiting=report.waiting,
        egress=EgressOut(
            ip=egress.ip,
            country=egress.country,
            checked_at=egress.checked_at,
            error=egress.error,
            shared_with=list(egress.shared_with),
        )
        if egress
        else None,
        score=ScoreOut(value=overview.score.value, reasons=list(overview.score.reasons)),
        web_check=WebCheckOut(
            state=overview.web_check.state,
            detail=overview.web_check.detail,
            checked_at=overview.web_check.checked_at,
        )
        if overview.web_check
        else None,
    )


@router.get("/accounts/{account_id}/limits", response_model=AccountLimitsOut)
async def get_limits(account_id: str, principal: Viewer, services: ServicesDep) -> AccountLimitsOut:
    """Limits configured and in force, the warm-up plan, recent sends, egress and score."""
    return await _out(services, principal, await limits_report(services, principal, account_id))


@router.put("/accounts/{account_id}/limits", response_model=AccountLimitsOut)
async def put_limits(
    account_id: str, body: LimitsIn, request: Request, principal: Manager, services: ServicesDep
) -> AccountLimitsOut:
    """Replace the account's send limits (audited with before and after)."""
    limits = SendLimits(
        per_hour=body.per_hour,
        per_day=body.per_day,
        new_chats_per_day=body.new_chats_per_day,
        warmup_days=body.warmup_days,
        warmup_start_percent=body.warmup_start_percent,
    )
    await set_limits(
        services,
        principal,
        account_id,
        limits,
        actor_of(request, principal),
        restart_warmup=body.restart_warmup,
    )
    return await _out(services, principal, await limits_report(services, principal, account_id))


@router.post("/accounts/{account_id}/egress-check", response_model=AccountLimitsOut)
async def post_egress_check(
    account_id: str, request: Request, principal: Manager, services: ServicesDep
) -> AccountLimitsOut:
    """Ask the IP-echo endpoint through the account's proxy now (no session held)."""
    await check_egress(services, principal, account_id, actor_of(request, principal))
    return await _out(services, principal, await limits_report(services, principal, account_id))


@router.put("/accounts/{account_id}/web-check", response_model=AccountLimitsOut)
async def put_web_check(
    account_id: str, body: WebCheckIn, request: Request, principal: Manager, services: ServicesDep
) -> AccountLimitsOut:
    """Configure the stored browser session's logged-in check (audited)."""
    await set_web_check(
        services,
        principal,
        account_id,
        body.logged_in_url,
        body.logged_in_marker,
        actor_of(request, principal),
    )
    return await _out(services, principal, await limits_report(services, principal, account_id))


@router.post("/accounts/{account_id}/web-check/run", response_model=AccountLimitsOut)
async def post_web_check_run(
    account_id: str, request: Request, principal: Manager, services: ServicesDep
) -> AccountLimitsOut:
    """Check now whether the stored session still logs in (skipped while it is leased)."""
    report = await limits_report(services, principal, account_id)
    await run_web_checks(services, account_ids=[account_id], actor=actor_of(request, principal))
    return await _out(services, principal, report)
