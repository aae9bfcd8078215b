"""Workspaces, users, teams, logins and API tokens."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.db.base import utcnow
from crossdesk.db.models import (
    ApiToken,
    CustomRole,
    Team,
    TeamMember,
    User,
    WebSession,
    Workspace,
)
from crossdesk.domain import Role, new_id
from crossdesk.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from crossdesk.risk import audit
from crossdesk.risk.rbac import Principal, effective_permissions

# argon2id with the library's RFC 9106 low-memory defaults.
_hasher = PasswordHasher()
# Verifying against this keeps failed logins for unknown emails as slow as for known ones.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def use_password_hasher(hasher: PasswordHasher) -> None:
    """Swap the argon2id parameters (the test suite uses cheap ones to stay fast)."""
    global _hasher, _DUMMY_HASH
    _hasher = hasher
    _DUMMY_HASH = hasher.hash(secrets.token_hex(16))


MIN_PASSWORD_LENGTH = 8


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_workspace(
    session: AsyncSession, name: str, *, default_language: str = "en"
) -> Workspace:
    name = name.strip()
    if not name:
        raise InvalidInput("a workspace needs a name", field="name")
    workspace = Workspace(id=new_id(), name=name, default_language=default_language)
    session.add(workspace)
    await session.flush()
    await audit.record(session, workspace.id, "workspace.create", audit.SYSTEM, data={"name": name})
    return workspace


async def create_user(
    session: AsyncSession,
    workspace_id: str,
    *,
    email: str,
    display_name: str,
    password: str,
    role: Role,
    language: str = "en",
    actor: audit.Actor = audit.SYSTEM,
) -> User:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320:
        raise InvalidInput("enter a valid email address", field="email")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"the password must have at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )
    if await session.scalar(select(User.id).where(User.email == email)):
        raise Conflict("a user with this email already exists", field="email")
    user = User(
        id=new_id(),
        workspace_id=workspace_id,
        email=email,
        display_name=display_name.strip() or email,
        password_hash=_hasher.hash(password),
        role=role.value,
        language=language,
    )
    session.add(user)
    await audit.record(
        session,
        workspace_id,
        "user.create",
        actor,
        target_type="user",
        target_id=user.id,
        data={"role": role.value},
    )
    return user


async def set_user_disabled(
    session: AsyncSession, user: User, disabled: bool, actor: audit.Actor
) -> None:
    user.disabled = disabled
    await audit.record(
        session,
        user.workspace_id,
        "user.disable" if disabled else "user.enable",
        actor,
        target_type="user",
        target_id=user.id,
    )


async def set_user_role(session: AsyncSession, user: User, role: Role, actor: audit.Actor) -> None:
    """Change a person's role; it takes effect on their next request."""
    previous, previous_custom = user.role, user.custom_role_id
    if previous == role.value and previous_custom is None:
        return
    user.role = role.value
    user.custom_role_id = None  # a fixed role replaces any custom role
    data: dict[str, str | None] = {"from": previous, "to": role.value}
    if previous_custom is not None:
        data["from_custom_role_id"] = previous_custom
    await audit.record(
        session,
        user.workspace_id,
        "user.role_change",
        actor,
        target_type="user",
        target_id=user.id,
        data=data,
    )


async def create_team(
    session: AsyncSession, workspace_id: str, name: str, member_ids: list[str]
) -> Team:
    team = Team(id=new_id(), workspace_id=workspace_id, name=name)
    session.add(team)
    for user_id in member_ids:
        session.add(TeamMember(workspace_id=workspace_id, team_id=team.id, user_id=user_id))
    await audit.record(
        session,
        workspace_id,
        "team.create",
        audit.SYSTEM,
        target_type="team",
        target_id=team.id,
        data={"name": name, "members": member_ids},
    )
    return team


@dataclass(frozen=True, slots=True)
class LoginResult:
    user: User
    session_token: str
    csrf_token: str


async def login(
    session: AsyncSession, email: str, password: str, actor: audit.Actor, *, days: int
) -> LoginResult:
    """Check a password and open a browser session. Failures are audited, never explained."""
    user = await session.scalar(select(User).where(User.email == email.strip().lower()))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        ok = user is not None and not user.disabled
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None:
        if user is not None:
            await audit.record(
                session,
                user.workspace_id,
                "auth.login_failed",
                actor,
                target_type="user",
                target_id=user.id,
            )
        raise Unauthenticated("wrong email or password, or the account is disabled")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        WebSession(
            token_hash=hash_token(token),
            workspace_id=user.workspace_id,
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + timedelta(days=days),
            ip=actor.ip,
            user_agent=(actor.user_agent or "")[:300] or None,
        )
    )
    user.last_seen_at = now
    await audit.record(
        session,
        user.workspace_id,
        "auth.login",
        audit.Actor(user.id, actor.ip, actor.user_agent),
        target_type="user",
        target_id=user.id,
    )
    return LoginResult(user, token, csrf)


async def logout(
    session: AsyncSession, token: str, principal: Principal, actor: audit.Actor
) -> None:
    web_session = await session.get(WebSession, hash_token(token))
    if web_session is not None:
        await session.delete(web_session)
    await audit.record(
        session,
        principal.workspace_id,
        "auth.logout",
        actor,
        target_type="user",
        target_id=principal.user_id,
    )


async def create_api_token(session: AsyncSession, user: User, name: str, actor: audit.Actor) -> str:
    """Return a new token once; only its hash is kept."""
    token = "cdk_" + secrets.token_urlsafe(32)
    row = ApiToken(
        id=new_id(),
        workspace_id=user.workspace_id,
        user_id=user.id,
        name=name,
        token_hash=hash_token(token),
    )
    session.add(row)
    await audit.record(
        session,
        user.workspace_id,
        "api_token.create",
        actor,
        target_type="api_token",
        target_id=row.id,
        data={"user_id": user.id, "name": name},
    )
    return token


async def principal_for(session: AsyncSession, user: User) -> Principal:
    team_ids = (
        await session.scalars(select(TeamMember.team_id).where(TeamMember.user_id == user.id))
    ).all()
    custom_permissions = None
    if user.custom_role_id is not None:
        custom_role = await session.scalar(
            select(CustomRole).where(
                CustomRole.id == user.custom_role_id,
                CustomRole.workspace_id == user.workspace_id,
                CustomRole.base_role == user.role,
            )
        )
        # No, archived or mismatched role: the base role's permissions apply.
        custom_permissions = effective_permissions(custom_role)
    return Principal(
        user_id=user.id,
        workspace_id=user.workspace_id,
        role=Role(user.role),
        team_ids=frozenset(team_ids),
        language=user.language,
        display_name=user.display_name,
        custom_permissions=custom_permissions,
    )


async def user_by_email(session: AsyncSession, email: str) -> User:
    user = await session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"no user with email {email!r}")
    return user
