"""Risk alerts for supervisors (raised through crossdesk.risk.alerts)."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import select

from crossdesk.db.models import RiskAlert
from crossdesk.domain import Permission
from crossdesk.risk.rbac import Principal
from crossdesk.web.deps import SessionDep, require

router = APIRouter(prefix="/alerts", tags=["risk"])


class AlertOut(BaseModel):
    id: str
    kind: str
    severity: int
    status: str
    summary: str
    actor_id: str | None
    target_type: str | None
    target_id: str | None
    data: dict[str, Any]
    created_at: datetime


@router.get("", response_model=list[AlertOut])
async def list_alerts(
    principal: Annotated[
        Principal, Depends(require(Permission.RISK_MANAGE, Permission.AUDIT_READ, any_of=True))
    ],
    session: SessionDep,
    status: Annotated[str | None, Query(pattern="^(open|acknowledged|resolved)$")] = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AlertOut]:
    statement = (
        select(RiskAlert)
        .where(RiskAlert.workspace_id == principal.workspace_id)
        .order_by(RiskAlert.created_at.desc())
        .limit(limit)
    )
    if status:
        statement = statement.where(RiskAlert.status == status)
    rows = await session.scalars(statement)
    return [
        AlertOut(
            id=r.id,
            kind=r.kind,
            severity=r.severity,
            status=r.status,
            summary=r.summary,
            actor_id=r.actor_id,
            target_type=r.target_type,
            target_id=r.target_id,
            data=r.data,
            created_at=r.created_at,
        )
        for r in rows
    ]
