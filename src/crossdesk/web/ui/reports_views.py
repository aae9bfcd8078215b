"""The reports page: per agent, per account and platform, lead counts; SVG charts of the
volume and the new leads per day; CSV downloads (audited)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from crossdesk.actions.reports import export_report
from crossdesk.domain import Permission
from crossdesk.risk.periods import PRESETS
from crossdesk.risk.rbac import Principal
from crossdesk.risk.reports import (
    ReportScope,
    account_report,
    agent_report,
    lead_report,
    volume_per_day,
)
from crossdesk.web.api.v1.reports import csv_response, period_of
from crossdesk.web.deps import ServicesDep, SessionDep, actor_of, require
from crossdesk.web.i18n import gettext_for, ui_language
from crossdesk.web.ui.charts import bar_chart, column_chart, line_chart
from crossdesk.web.ui.render import render

router = APIRouter(prefix="/ui/reports", include_in_schema=False)

ReportReader = Annotated[Principal, Depends(require(Permission.REPORT_READ))]
Preset = Annotated[str | None, Query(max_length=8)]
Day = Annotated[str | None, Query(max_length=10)]


def _duration(seconds: float | None) -> str:
    """A median time as people read it: 45 s, 12 min, 3.5 h."""
    if seconds is None:
        return "–"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


@router.get("")
async def reports_page(
    request: Request,
    principal: ReportReader,
    session: SessionDep,
    period: Preset = None,
    since: Day = None,
    until: Day = None,
) -> HTMLResponse:
    chosen = period_of(period, since, until)
    scope = ReportScope.of(principal)
    agents = await agent_report(session, scope, chosen)
    accounts, platforms = await account_report(session, scope, chosen)
    days = await volume_per_day(session, scope, chosen)
    leads = await lead_report(session, scope, chosen)
    _ = gettext_for(ui_language(principal.language))
    custom = bool(since or until)
    query = chosen.query() if custom else {"period": period or "7d"}
    return render(
        request,
        "reports.html",
        {
            "period": chosen,
            "preset": None if custom else (period or "7d"),
            "presets": list(PRESETS),
            "query": query,
            "agents": agents,
            "accounts": accounts,
            "platforms": platforms,
            "leads": leads,
            "duration": _duration,
            "volume_chart": line_chart(
                [d.day for d in days],
                [
                    (_("Inbound"), [d.inbound for d in days]),
                    (_("Outbound"), [d.outbound for d in days]),
                ],
                chart_id="volume-chart",
                title=_("Messages per day"),
            ),
            "volume_total": (sum(d.inbound for d in days), sum(d.outbound for d in days)),
            "leads_chart": column_chart(
                leads.per_day, chart_id="leads-chart", title=_("New leads per day")
            ),
            "leads_by_account": bar_chart(leads.per_account),
            "leads_by_agent": bar_chart(leads.per_agent),
            "scoped": scope.team_ids is not None,
        },
    )


@router.get("/export")
async def reports_export(
    request: Request,
    principal: ReportReader,
    services: ServicesDep,
    kind: Annotated[str, Query(max_length=16)],
    period: Preset = None,
    since: Day = None,
    until: Day = None,
) -> StreamingResponse:
    """The CSV download links of the page (the same export as the API; audited)."""
    chosen = period_of(period, since, until)
    rows = await export_report(
        services, ReportScope.of(principal), kind, chosen, actor_of(request, principal)
    )
    return csv_response(rows, kind, chosen)
