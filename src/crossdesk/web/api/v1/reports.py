"""Team reports (per agent, per account and platform, leads) as JSON and CSV.

Owners and admins see the whole workspace, supervisors their teams; agents no reports.
CSV downloads are streamed and audited (``report.export``).
"""

from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from crossdesk.actions.reports import csv_lines, export_report
from crossdesk.domain import Permission
from crossdesk.risk.periods import Period, choose_period, parse_day
from crossdesk.risk.rbac import Principal
from crossdesk.risk.reports import (
    ReportScope,
    account_report,
    agent_report,
    lead_report,
    volume_per_day,
)
from crossdesk.web.deps import ServicesDep, SessionDep, actor_of, require

router = APIRouter(prefix="/reports", tags=["reports"])

ReportReader = Annotated[Principal, Depends(require(Permission.REPORT_READ))]
PresetQuery = Annotated[str | None, Query(pattern="^(7d|30d)?$", description="7d or 30d")]
DayQuery = Annotated[str | None, Query(max_length=10, description="YYYY-MM-DD (UTC)")]


def period_of(period: str | None, since: str | None, until: str | None) -> Period:
    return choose_period(period or None, parse_day(since, "since"), parse_day(until, "until"))


class PeriodOut(BaseModel):
    since: str
    until: str


class AgentOut(BaseModel):
    user_id: str
    name: str
    conversations_handled: int
    first_response_median_seconds: float | None
    response_median_seconds: float | None
    messages_sent: int
    guard_hits: int
    pii_reveals: int


class AgentsOut(BaseModel):
    period: PeriodOut
    agents: list[AgentOut]


class AccountOut(BaseModel):
    account_id: str
    name: str
    platform: str
    inbound: int
    outbound: int


class PlatformOut(BaseModel):
    platform: str
    accounts: int
    inbound: int
    outbound: int


class DayVolumeOut(BaseModel):
    day: str
    inbound: int
    outbound: int


class AccountsOut(BaseModel):
    period: PeriodOut
    accounts: list[AccountOut]
    platforms: list[PlatformOut]
    per_day: list[DayVolumeOut]


class CountOut(BaseModel):
    label: str
    count: int


class LeadRowOut(BaseModel):
    day: str
    account_id: str
    account: str
    platform: str
    agent_id: str | None
    agent: str
    leads: int


class LeadsOut(BaseModel):
    period: PeriodOut
    total: int
    per_day: list[CountOut]
    per_account: list[CountOut]
    per_agent: list[CountOut]
    rows: list[LeadRowOut]


def _period_out(period: Period) -> PeriodOut:
    return PeriodOut(since=period.first.isoformat(), until=period.last.isoformat())


@router.get("/agents", response_model=AgentsOut)
async def agents_report(
    principal: ReportReader,
    session: SessionDep,
    period: PresetQuery = None,
    since: DayQuery = None,
    until: DayQuery = None,
) -> AgentsOut:
    """Per agent: conversations handled, median first-response and response times
    (seconds), messages sent, guard hits, PII reveals."""
    chosen = period_of(period, since, until)
    rows = await agent_report(session, ReportScope.of(principal), chosen)
    return AgentsOut(
        period=_period_out(chosen),
        agents=[
            AgentOut(
                user_id=r.user_id,
                name=r.name,
                conversations_handled=r.conversations_handled,
                first_response_median_seconds=r.first_response_median_s,
                response_median_seconds=r.response_median_s,
                messages_sent=r.messages_sent,
                guard_hits=r.guard_hits,
                pii_reveals=r.pii_reveals,
            )
            for r in rows
        ],
    )


@router.get("/accounts", response_model=AccountsOut)
async def accounts_report(
    principal: ReportReader,
    session: SessionDep,
    period: PresetQuery = None,
    since: DayQuery = None,
    until: DayQuery = None,
) -> AccountsOut:
    """Inbound and outbound volume per account, per platform and per day."""
    chosen = period_of(period, since, until)
    scope = ReportScope.of(principal)
    accounts, platforms = await account_report(session, scope, chosen)
    days = await volume_per_day(session, scope, chosen)
    return AccountsOut(
        period=_period_out(chosen),
        accounts=[AccountOut(**vars_of(a)) for a in accounts],
        platforms=[PlatformOut(**vars_of(p)) for p in platforms],
        per_day=[DayVolumeOut(day=d.day, inbound=d.inbound, outbound=d.outbound) for d in days],
    )


@router.get("/leads", response_model=LeadsOut)
async def leads_report(
    principal: ReportReader,
    session: SessionDep,
    period: PresetQuery = None,
    since: DayQuery = None,
    until: DayQuery = None,
) -> LeadsOut:
    """New unique contacts per day, account and agent, de-duplicated across accounts."""
    chosen = period_of(period, since, until)
    report = await lead_report(session, ReportScope.of(principal), chosen)

    def counts(rows: list[tuple[str, int]]) -> list[CountOut]:
        return [CountOut(label=label, count=count) for label, count in rows]

    return LeadsOut(
        period=_period_out(chosen),
        total=report.total,
        per_day=counts(report.per_day),
        per_account=counts(report.per_account),
        per_agent=counts(report.per_agent),
        rows=[LeadRowOut(**vars_of(r)) for r in report.rows],
    )


@router.get("/{kind}/csv")
async def report_csv(
    kind: str,
    request: Request,
    principal: ReportReader,
    services: ServicesDep,
    period: PresetQuery = None,
    since: DayQuery = None,
    until: DayQuery = None,
) -> StreamingResponse:
    """Download one report (agents, accounts or leads) as CSV; the export is audited."""
    chosen = period_of(period, since, until)
    rows = await export_report(
        services, ReportScope.of(principal), kind, chosen, actor_of(request, principal)
    )
    return csv_response(rows, kind, chosen)


def csv_response(rows: list[list[str]], kind: str, period: Period) -> StreamingResponse:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"crossdesk-{kind}-{period.first.isoformat()}-{period.last.isoformat()}-{stamp}.csv"
    return StreamingResponse(
        csv_lines(rows),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


def vars_of(row: object) -> dict[str, object]:
    """A slotted dataclass as keyword arguments."""
    assert is_dataclass(row) and not isinstance(row, type)
    return asdict(row)
