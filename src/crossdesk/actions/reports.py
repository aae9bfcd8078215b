"""Report exports: compute one report in a read session, then audit the export.

The export is a read of team data leaving the system, so it is recorded (who, which
report, which period, how many rows) like any other export. The two sessions follow each
other, never overlap (ADR 0002: one SQLite connection).
"""

import csv
import io
from collections.abc import Callable, Iterator

from crossdesk.actions.risk_actions import check_clearance, refuse_if_not_cleared
from crossdesk.db.session import transaction
from crossdesk.errors import InvalidInput
from crossdesk.risk import audit
from crossdesk.risk.periods import Period
from crossdesk.risk.reports import (
    KINDS,
    ReportScope,
    account_report,
    agent_report,
    csv_rows,
    lead_report,
)
from crossdesk.services import Services

Progress = Callable[[str], None]


async def export_report(
    services: Services,
    scope: ReportScope,
    kind: str,
    period: Period,
    actor: audit.Actor,
    progress: Progress | None = None,
) -> list[list[str]]:
    """The CSV rows (header first) of one report; the export is audited on success."""
    if kind not in KINDS:
        raise InvalidInput("kind must be agents, accounts or leads", field="kind")
    step = progress or (lambda _label: None)
    if actor.user_id is not None:  # a risk rule may demand a supervisor's approval first
        await refuse_if_not_cleared(services, scope.workspace_id, actor.user_id, "export", actor)
    step("querying")
    async with services.read_sessionmaker() as session:
        if kind == "agents":
            rows = csv_rows(kind, agents=await agent_report(session, scope, period))
        elif kind == "accounts":
            rows = csv_rows(kind, accounts=await account_report(session, scope, period))
        else:
            rows = csv_rows(kind, leads=await lead_report(session, scope, period))
    step("auditing")
    async with transaction(services.sessionmaker) as session:
        if actor.user_id is not None:
            await check_clearance(session, scope.workspace_id, actor.user_id, "export", actor)
        await audit.record(
            session,
            scope.workspace_id,
            "report.export",
            actor,
            target_type="report",
            target_id=kind,
            data={
                "kind": kind,
                "since": period.first.isoformat(),
                "until": period.last.isoformat(),
                "rows": len(rows) - 1,
                "teams": sorted(scope.team_ids) if scope.team_ids is not None else "all",
            },
        )
    return rows


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas: quote those (names are
    typed by people and customers). Plain negative numbers never occur in these reports."""
    return "'" + value if value.startswith(FORMULA_START) else value


def csv_lines(rows: list[list[str]]) -> Iterator[str]:
    """One CSV line at a time, for a streaming response or a file."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_cell(v) for v in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
