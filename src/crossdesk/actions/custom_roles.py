"""Custom roles: create, edit, archive, and give one to a person.

Rules that keep a custom role from becoming a way around RBAC:

* only someone with ``user.manage`` creates, edits or assigns them (and every change is
  audited in the same transaction);
* a role never holds a permission its creator or editor lacks, and a person can only be
  given a role whose permissions the assigner holds all of;
* the base role decides conversation scoping, so a role may not add ``conversation.read.*``
  permissions its base lacks;
* ``user.manage`` only goes into an admin-based role.
"""

import re
import unicodedata
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.actions.offboarding import check_may_manage
from crossdesk.db.base import utcnow
from crossdesk.db.models import CustomRole, User
from crossdesk.db.session import commit
from crossdesk.domain import Permission, Role
from crossdesk.errors import Conflict, CrossdeskError, InvalidInput, NotFound, PermissionDenied
from crossdesk.risk import audit
from crossdesk.risk.rbac import (
    ADMIN_ONLY_PERMISSIONS,
    CUSTOM_ROLE_BASES,
    ROLE_PERMISSIONS,
    SCOPE_PERMISSIONS,
    Principal,
    role_permissions,
)

MAX_ROLES_PER_WORKSPACE = 100
_SPACES = re.compile(r"\s+")


class PermissionNotGrantable(CrossdeskError):
    """A custom role asked for a permission it may not hold; the message names it."""

    code = "permission_not_grantable"
    http_status = 422


def clean_name(name: str) -> str:
    cleaned = _SPACES.sub(" ", name).strip()
    if not cleaned or len(cleaned) > 60:
        raise InvalidInput("a role name needs 1 to 60 characters", field="name")
    if any(unicodedata.category(ch).startswith("C") for ch in cleaned):
        raise InvalidInput("a role name may not contain control characters", field="name")
    if cleaned.lower() in {r.value for r in Role}:
        raise InvalidInput(f"{cleaned!r} is the name of a built-in role", field="name")
    return cleaned


def check_base(base: Role) -> Role:
    if base not in CUSTOM_ROLE_BASES:
        allowed = ", ".join(sorted(r.value for r in CUSTOM_ROLE_BASES))
        raise InvalidInput(f"base_role must be one of: {allowed}", field="base_role")
    return base


def parse_permissions(values: Iterable[str]) -> list[Permission]:
    """Permission names from outside (API, CLI); an unknown one is named in the error."""
    known = {p.value: p for p in Permission}
    parsed: list[Permission] = []
    for value in values:
        if value not in known:
            raise PermissionNotGrantable(
                f"unknown permission: {value[:64]!r}", field="permissions", permission=value[:64]
            )
        parsed.append(known[value])
    return parsed


def check_permissions(
    by: Principal, base: Role, permissions: Iterable[Permission]
) -> frozenset[Permission]:
    """Validate a requested permission set; errors name the first bad permission."""
    wanted = frozenset(permissions)
    for permission in sorted(wanted):
        if permission not in by.permissions:
            raise PermissionNotGrantable(
                f"you cannot grant {permission.value}: your own role lacks it",
                field="permissions",
                permission=permission.value,
            )
        if permission in SCOPE_PERMISSIONS and permission not in ROLE_PERMISSIONS[base]:
            raise PermissionNotGrantable(
                f"{permission.value} cannot be added to a role based on {base.value}: "
                "the base role decides which conversations are visible",
                field="permissions",
                permission=permission.value,
            )
        if permission in ADMIN_ONLY_PERMISSIONS and base is not Role.ADMIN:
            raise PermissionNotGrantable(
                f"{permission.value} can only be part of a role based on admin",
                field="permissions",
                permission=permission.value,
            )
    return wanted


def _require_manager(principal: Principal) -> None:
    if not principal.can(Permission.USER_MANAGE):
        raise PermissionDenied("your role lacks the permission: user.manage")


def _sorted(permissions: Iterable[Permission]) -> list[str]:
    return sorted(p.value for p in permissions)


async def list_roles(
    session: AsyncSession, principal: Principal, *, include_archived: bool = False
) -> list[CustomRole]:
    statement = select(CustomRole).where(CustomRole.workspace_id == principal.workspace_id)
    if not include_archived:
        statement = statement.where(CustomRole.archived_at.is_(None))
    return list((await session.scalars(statement.order_by(CustomRole.name))).all())


async def get_role(session: AsyncSession, principal: Principal, role_id: str) -> CustomRole:
    role = await session.scalar(
        select(CustomRole).where(
            CustomRole.id == role_id, CustomRole.workspace_id == principal.workspace_id
        )
    )
    if role is None:
        raise NotFound("no such role")
    return role


async def _name_taken(session: AsyncSession, workspace_id: str, name: str) -> bool:
    found = await session.scalar(
        select(CustomRole.id).where(
            CustomRole.workspace_id == workspace_id, CustomRole.name == name
        )
    )
    return found is not None


async def create_role(
    session: AsyncSession,
    principal: Principal,
    actor: audit.Actor,
    *,
    name: str,
    base_role: Role,
    permissions: Iterable[Permission],
) -> CustomRole:
    _require_manager(principal)
    name, base = clean_name(name), check_base(base_role)
    granted = check_permissions(principal, base, permissions)
    if await _name_taken(session, principal.workspace_id, name):
        raise Conflict(f"a role named {name!r} exists already", field="name")
    count = len(await list_roles(session, principal, include_archived=True))
    if count >= MAX_ROLES_PER_WORKSPACE:
        raise InvalidInput(f"a workspace can have at most {MAX_ROLES_PER_WORKSPACE} roles")
    role = CustomRole(
        workspace_id=principal.workspace_id,
        name=name,
        base_role=base.value,
        permissions=_sorted(granted),
        created_by=principal.user_id,
    )
    session.add(role)
    await session.flush()
    await audit.record(
        session,
        principal.workspace_id,
        "role.create",
        actor,
        target_type="role",
        target_id=role.id,
        data={"name": name, "base_role": base.value, "permissions": _sorted(granted)},
    )
    await commit(session)
    return role


async def update_role(
    session: AsyncSession,
    principal: Principal,
    role_id: str,
    actor: audit.Actor,
    *,
    name: str | None = None,
    permissions: Iterable[Permission] | None = None,
    archived: bool | None = None,
) -> CustomRole:
    """Rename, change the permissions of, archive or restore a role; takes effect on its
    holders' next request."""
    _require_manager(principal)
    role = await get_role(session, principal, role_id)
    changes: dict[str, object] = {}
    if name is not None and clean_name(name) != role.name:
        new_name = clean_name(name)
        if await _name_taken(session, principal.workspace_id, new_name):
            raise Conflict(f"a role named {new_name!r} exists already", field="name")
        changes["name"] = {"from": role.name, "to": new_name}
        role.name = new_name
    if permissions is not None:
        granted = check_permissions(principal, Role(role.base_role), permissions)
        if _sorted(granted) != sorted(role.permissions):
            changes["permissions"] = {"from": sorted(role.permissions), "to": _sorted(granted)}
            role.permissions = _sorted(granted)
    else:
        # Editing a role you could not have created would let you widen it by renaming.
        check_permissions(principal, Role(role.base_role), role_permissions(role))
    if archived is not None and archived != (role.archived_at is not None):
        role.archived_at = utcnow() if archived else None
        changes["archived"] = archived
    if changes:
        await audit.record(
            session,
            principal.workspace_id,
            "role.update",
            actor,
            target_type="role",
            target_id=role.id,
            data=changes,
        )
    await commit(session)
    return role


async def assign_role(
    session: AsyncSession,
    principal: Principal,
    user: User,
    role_id: str,
    actor: audit.Actor,
) -> CustomRole:
    """Give ``user`` a custom role; their base role becomes the role's base."""
    check_may_manage(principal, user)
    role = await get_role(session, principal, role_id)
    if role.archived_at is not None:
        raise InvalidInput("this role is archived; restore it first", field="custom_role_id")
    for permission in sorted(role_permissions(role)):
        if permission not in principal.permissions:
            raise PermissionNotGrantable(
                f"you cannot give this role: your own role lacks {permission.value}",
                field="custom_role_id",
                permission=permission.value,
            )
    if user.custom_role_id == role.id and user.role == role.base_role:
        return role
    previous, previous_custom = user.role, user.custom_role_id
    user.role = role.base_role
    user.custom_role_id = role.id
    await audit.record(
        session,
        user.workspace_id,
        "user.role_change",
        actor,
        target_type="user",
        target_id=user.id,
        data={
            "from": previous,
            "to": role.base_role,
            "from_custom_role_id": previous_custom,
            "custom_role_id": role.id,
        },
    )
    await commit(session)
    return role
