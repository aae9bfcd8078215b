"""Risk rules for supervisors: the workspace's rules, pending approvals, account locks.

Reading and answering approvals and locks needs risk.manage; replacing the rules needs
risk.manage and user.manage (admins), so a supervisor cannot switch off a rule about
themselves.
"""

from dataclasses import asdict
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from crossdesk.actions import risk_actions as actions
from crossdesk.db.session import transaction
from crossdesk.domain import Permission
from crossdesk.risk.rbac import Principal
from crossdesk.risk.rules import default_rules_text
from crossdesk.web.api.v1.schemas import StrictInput
from crossdesk.web.deps import ServicesDep, actor_of, require

router = APIRouter(prefix="/risk-rules", tags=["risk"])

Manager = Annotated[Principal, Depends(require(Permission.RISK_MANAGE))]
RuleEditor = Annotated[Principal, Depends(require(Permission.RISK_MANAGE, Permission.USER_MANAGE))]


class RulesOut(BaseModel):
    version: int  # 0: the shipped defaults
    source: str  # "stored" or "default"
    text: str
    rules: list[str]
    enabled: list[str]


class RulesIn(StrictInput):
    text: Annotated[str, Field(min_length=1, max_length=200_000)]


class NoteIn(StrictInput):
    note: Annotated[str | None, Field(max_length=500)] = None


class ApprovalOut(BaseModel):
    id: str
    user_id: str
    rule_id: str
    reason: str
    status: str
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    note: str | None


class LockOut(BaseModel):
    id: str
    account_id: str
    rule_id: str
    reason: str
    active: bool
    created_at: datetime
    unlocked_by: str | None
    unlocked_at: datetime | None
    note: str | None


def _rules_out(stored: actions.StoredRules) -> RulesOut:
    return RulesOut(
        version=stored.version,
        source="stored" if stored.version else "default",
        text=stored.text or default_rules_text(),
        rules=[r.id for r in stored.rules.rules],
        enabled=[r.id for r in stored.rules.active],
    )


@router.get("/rules", response_model=RulesOut)
async def get_rules(principal: Manager, services: ServicesDep) -> RulesOut:
    async with services.read_sessionmaker() as session:
        return _rules_out(await actions.workspace_rules(session, principal.workspace_id))


@router.put("/rules", response_model=RulesOut)
async def put_rules(
    body: RulesIn, request: Request, principal: RuleEditor, services: ServicesDep
) -> RulesOut:
    async with transaction(services.sessionmaker) as session:
        stored = await actions.store_rules(
            session,
            principal.workspace_id,
            body.text,
            actor_of(request, principal),
            by=principal,
        )
    return _rules_out(stored)


@router.get("/approvals", response_model=list[ApprovalOut])
async def list_approvals(
    principal: Manager,
    services: ServicesDep,
    status: Annotated[str | None, Query(pattern="^(pending|approved|used)$")] = "pending",
) -> list[ApprovalOut]:
    rows = await actions.list_approvals(services, principal, status)
    return [ApprovalOut(**asdict(r)) for r in rows]


@router.post("/approvals/{approval_id}/approve", response_model=ApprovalOut)
async def approve(
    approval_id: str, body: NoteIn, request: Request, principal: Manager, services: ServicesDep
) -> ApprovalOut:
    row = await actions.approve(
        services, principal, approval_id, body.note, actor_of(request, principal)
    )
    return ApprovalOut(**asdict(row))


@router.get("/locks", response_model=list[LockOut])
async def list_locks(
    principal: Manager, services: ServicesDep, active: bool = True
) -> list[LockOut]:
    rows = await actions.list_locks(services, principal, active_only=active)
    return [LockOut(**asdict(r)) for r in rows]


@router.post("/locks/{lock_id}/unlock", response_model=LockOut)
async def unlock(
    lock_id: str, body: NoteIn, request: Request, principal: Manager, services: ServicesDep
) -> LockOut:
    row = await actions.unlock_account(
        services, principal, lock_id, body.note, actor_of(request, principal)
    )
    return LockOut(**asdict(row))
