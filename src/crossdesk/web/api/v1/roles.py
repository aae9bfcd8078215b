"""Custom roles: list, create, and edit (rename, permissions, archive)."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from crossdesk.actions.custom_roles import (
    create_role,
    list_roles,
    parse_permissions,
    update_role,
)
from crossdesk.db.models import CustomRole
from crossdesk.domain import Permission, Role
from crossdesk.risk.rbac import Principal
from crossdesk.web.api.v1.schemas import StrictInput
from crossdesk.web.deps import SessionDep, actor_of, require

router = APIRouter(tags=["roles"])
UserManager = Annotated[Principal, Depends(require(Permission.USER_MANAGE))]
Name = Annotated[str, Field(min_length=1, max_length=60)]
# Plain strings: the action names an unknown permission (pydantic would list them all).
Permissions = Annotated[
    list[Annotated[str, Field(max_length=64)]], Field(max_length=len(Permission))
]


class RoleCreateIn(StrictInput):
    name: Name
    base_role: Role
    permissions: Permissions


class RolePatchIn(StrictInput):
    name: Name | None = None
    permissions: Permissions | None = None
    archived: bool | None = None


class CustomRoleOut(BaseModel):
    id: str
    name: str
    base_role: str
    permissions: list[str]
    archived: bool
    created_at: datetime

    @classmethod
    def of(cls, role: CustomRole) -> "CustomRoleOut":
        return cls(
            id=role.id,
            name=role.name,
            base_role=role.base_role,
            permissions=sorted(role.permissions),
            archived=role.archived_at is not None,
            created_at=role.created_at,
        )


@router.get("/roles", response_model=list[CustomRoleOut])
async def get_roles(
    principal: UserManager, session: SessionDep, include_archived: bool = False
) -> list[CustomRoleOut]:
    roles = await list_roles(session, principal, include_archived=include_archived)
    return [CustomRoleOut.of(r) for r in roles]


@router.post("/roles", response_model=CustomRoleOut, status_code=201)
async def post_role(
    body: RoleCreateIn, request: Request, principal: UserManager, session: SessionDep
) -> CustomRoleOut:
    role = await create_role(
        session,
        principal,
        actor_of(request, principal),
        name=body.name,
        base_role=body.base_role,
        permissions=parse_permissions(body.permissions),
    )
    return CustomRoleOut.of(role)


@router.patch("/roles/{role_id}", response_model=CustomRoleOut)
async def patch_role(
    role_id: str,
    body: RolePatchIn,
    request: Request,
    principal: UserManager,
    session: SessionDep,
) -> CustomRoleOut:
    role = await update_role(
        session,
        principal,
        role_id,
        actor_of(request, principal),
        name=body.name,
        permissions=None if body.permissions is None else parse_permissions(body.permissions),
        archived=body.archived,
    )
    return CustomRoleOut.of(role)
