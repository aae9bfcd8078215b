"""Roles → permissions, and the query scope that follows from them.

Permissions are checked twice: at the route (``require(...)``) and in every query
(``conversation_scope``), so a forgotten route check still cannot leak other teams' data.
"""

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, or_, true

from crossdesk.db.models import Conversation, CustomRole
from crossdesk.domain import Permission, Role

P = Permission

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.ADMIN: frozenset(Permission),
    Role.SUPERVISOR: frozenset(
        {
            P.WORKSPACE_READ,
            P.CONVERSATION_READ_OWN,
            P.CONVERSATION_READ_TEAM,
            P.CONVERSATION_ASSIGN,
            P.CONVERSATION_RESOLVE,
            P.MESSAGE_SEND,
            P.PII_REVEAL,
            P.ACCOUNT_OPEN,
            P.RISK_MANAGE,  # supervisors handle their teams' alerts
            P.LABEL_MANAGE,
            P.CONVERSATION_LABEL,
            P.CONTACT_EDIT,
            P.CONTACT_MERGE,
            P.VIEW_SHARE,  # with their own teams only (actions/views.py)
            P.REPORT_READ,  # reports of their teams only (risk/reports.py scopes them)
            P.TRANSLATION_COMPARE,  # engine side-by-side (costs engine characters)
        }
    ),
    Role.AGENT: frozenset(
        {
            P.WORKSPACE_READ,
            P.CONVERSATION_READ_OWN,
            P.CONVERSATION_RESOLVE,
            P.MESSAGE_SEND,
            P.ACCOUNT_OPEN,
            P.CONVERSATION_LABEL,
            P.CONTACT_EDIT,
        }
    ),
    Role.AUDITOR: frozenset({P.WORKSPACE_READ, P.CONVERSATION_READ_ALL, P.AUDIT_READ, P.EXPORT}),
}


# Custom roles (actions/custom_roles.py): which fixed roles may be a base, the permissions
# that decide conversation scoping (always those of the base role), and the ones only an
# admin-based custom role may hold (they manage people, so they could escalate).
CUSTOM_ROLE_BASES: frozenset[Role] = frozenset(
    {Role.AGENT, Role.SUPERVISOR, Role.AUDITOR, Role.ADMIN}
)
SCOPE_PERMISSIONS: frozenset[Permission] = frozenset(
    {P.CONVERSATION_READ_OWN, P.CONVERSATION_READ_TEAM, P.CONVERSATION_READ_ALL}
)
ADMIN_ONLY_PERMISSIONS: frozenset[Permission] = frozenset({P.USER_MANAGE})


def custom_role_permissions(
    base: Role, permissions: frozenset[Permission]
) -> frozenset[Permission]:
    """The effective permissions of a custom role: its own, with the scope permissions
    forced to the base role's (defence in depth; validation already refuses others)."""
    scope = ROLE_PERMISSIONS[base] & SCOPE_PERMISSIONS
    return (permissions - SCOPE_PERMISSIONS) | scope


def role_permissions(role: CustomRole) -> frozenset[Permission]:
    """A custom role's stored list as permissions (an unknown value, e.g. a permission
    removed since, is dropped rather than failing every request of the role's holders)."""
    known = {p.value for p in Permission}
    return frozenset(Permission(v) for v in role.permissions if v in known)


def effective_permissions(role: CustomRole | None) -> frozenset[Permission] | None:
    """What a holder of ``role`` may do, or None for the base role's (none, or archived)."""
    if role is None or role.archived_at is not None:
        return None
    return custom_role_permissions(Role(role.base_role), role_permissions(role))


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of an action: who, in which workspace, with which permissions and teams."""

    user_id: str
    workspace_id: str
    role: Role
    team_ids: frozenset[str]
    language: str
    display_name: str
    # Set when the user holds an active custom role; ``role`` stays its base role, so the
    # scoping code (and every ``principal.role`` check) keeps following the base role.
    custom_permissions: frozenset[Permission] | None = None

    @property
    def permissions(self) -> frozenset[Permission]:
        if self.custom_permissions is not None:
            return self.custom_permissions
        return ROLE_PERMISSIONS[self.role]

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions


def conversation_scope(principal: Principal) -> ColumnElement[bool]:
    """The WHERE clause limiting conversations to what the principal may read.

    An agent reads conversations assigned to them and the unassigned ones of their teams
    (so they can pick them up); a supervisor reads their teams'; read.all reads everything.
    """
    in_workspace = Conversation.workspace_id == principal.workspace_id
    if principal.can(P.CONVERSATION_READ_ALL):
        return in_workspace
    clauses: list[ColumnElement[bool]] = []
    if principal.can(P.CONVERSATION_READ_OWN):
        clauses.append(Conversation.assignee_id == principal.user_id)
        if principal.team_ids:
            clauses.append(
                (Conversation.assignee_id.is_(None)) & Conversation.team_id.in_(principal.team_ids)
            )
    if principal.can(P.CONVERSATION_READ_TEAM) and principal.team_ids:
        clauses.append(Conversation.team_id.in_(principal.team_ids))
    if not clauses:
        return in_workspace & false()
    return in_workspace & (or_(*clauses) if len(clauses) > 1 else clauses[0] & true())


def can_see(principal: Principal, conversation: Conversation) -> bool:
    """The same rule as :func:`conversation_scope`, for one loaded conversation or event."""
    return can_see_fields(
        principal, conversation.workspace_id, conversation.team_id, conversation.assignee_id
    )


def can_see_fields(
    principal: Principal, workspace_id: str, team_id: str | None, assignee_id: str | None
) -> bool:
    if workspace_id != principal.workspace_id:
        return False
    if principal.can(P.CONVERSATION_READ_ALL):
        return True
    if principal.can(P.CONVERSATION_READ_OWN):
        if assignee_id == principal.user_id:
            return True
        if assignee_id is None and team_id in principal.team_ids:
            return True
    return principal.can(P.CONVERSATION_READ_TEAM) and team_id in principal.team_ids
