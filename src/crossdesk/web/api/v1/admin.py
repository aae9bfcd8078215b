"""People and retention: offboarding, roles, archiving, and refused deletions.

crossdesk has no delete endpoint. ``DELETE`` on a conversation, message or contact is
answered 405 and recorded as ``deletion.refused``, so attempts are visible to auditors.
"""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.actions import conversations as conv_actions
from crossdesk.actions.archive import archive_conversation, refuse_deletion, unarchive_conversation
from crossdesk.actions.custom_roles import assign_role
from crossdesk.actions.identity import set_user_role
from crossdesk.actions.offboarding import check_may_manage, offboard_user, reenable_user
from crossdesk.db.models import User
from crossdesk.db.repositories import InboxView, conversation_row, list_conversations
from crossdesk.db.session import commit
from crossdesk.domain import Permission, Role
from crossdesk.errors import NotFound, PermissionDenied
from crossdesk.risk.rbac import Principal
from crossdesk.web.api.v1.schemas import ConversationOut
from crossdesk.web.deps import Reader, ServicesDep, SessionDep, actor_of, require

router = APIRouter(tags=["admin"])

UserManager = Annotated[Principal, Depends(require(Permission.USER_MANAGE))]
Member = Annotated[Principal, Depends(require(Permission.WORKSPACE_READ))]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OffboardIn(_Input):
    reassign_to: Annotated[str | None, Field(max_length=32)] = None


class RoleIn(_Input):
    """Either a fixed ``role`` or a ``custom_role_id`` (whose base role becomes the role)."""

    role: Role | None = None
    custom_role_id: Annotated[str | None, Field(max_length=32)] = None

    @model_validator(mode="after")
    def _one_of(self) -> "RoleIn":
        if (self.role is None) == (self.custom_role_id is None):
            raise ValueError("give exactly one of role or custom_role_id")
        return self


class UserOut(BaseModel):
    id: str
    email: str
    display_name: str
    role: str
    custom_role_id: str | None = None
    disabled: bool
    last_seen_at: datetime | None

    @classmethod
    def of(cls, user: User) -> "UserOut":
        return cls(
            id=user.id,
            email=user.email,
            display_name=user.display_name,
            role=user.role,
            custom_role_id=user.custom_role_id,
            disabled=user.disabled,
            last_seen_at=user.last_seen_at,
        )


class OffboardOut(BaseModel):
    user_id: str
    sessions_ended: int
    tokens_revoked: int
    account_sessions_returned: int
    reassigned: int
    returned_to_queue: int


async def _user(session: AsyncSession, principal: Principal, user_id: str) -> User:
    user = await session.scalar(
        select(User).where(User.id == user_id, User.workspace_id == principal.workspace_id)
    )
    if user is None:
        raise NotFound("no such user")
    return user


@router.get("/admin/users", response_model=list[UserOut])
async def list_users(principal: UserManager, session: SessionDep) -> list[UserOut]:
    users = await session.scalars(
        select(User).where(User.workspace_id == principal.workspace_id).order_by(User.email)
    )
    return [UserOut.of(u) for u in users]


@router.post("/admin/users/{user_id}/disable", response_model=OffboardOut)
async def disable_user(
    user_id: str,
    body: OffboardIn,
    request: Request,
    principal: UserManager,
    services: ServicesDep,
    session: SessionDep,
) -> OffboardOut:
    """Offboard: disable, end sessions, revoke tokens, hand over conversations."""
    user = await _user(session, principal, user_id)
    target = await _user(session, principal, body.reassign_to) if body.reassign_to else None
    result = await offboard_user(
        services,
        session,
        user,
        actor_of(request, principal),
        reassign_to=target,
        by=principal,
    )
    return OffboardOut(
        user_id=result.user_id,
        sessions_ended=result.sessions_ended,
        tokens_revoked=result.tokens_revoked,
        account_sessions_returned=result.account_sessions_returned,
        reassigned=result.reassigned,
        returned_to_queue=result.returned_to_queue,
    )


@router.post("/admin/users/{user_id}/enable", response_model=UserOut)
async def enable_user(
    user_id: str, request: Request, principal: UserManager, session: SessionDep
) -> UserOut:
    user = await _user(session, principal, user_id)
    await reenable_user(session, user, actor_of(request, principal), by=principal)
    return UserOut.of(user)


@router.post("/admin/users/{user_id}/role", response_model=UserOut)
async def change_role(
    user_id: str, body: RoleIn, request: Request, principal: UserManager, session: SessionDep
) -> UserOut:
    user = await _user(session, principal, user_id)
    check_may_manage(principal, user)
    if body.custom_role_id is not None:
        await assign_role(
            session, principal, user, body.custom_role_id, actor_of(request, principal)
        )
        return UserOut.of(user)
    assert body.role is not None  # RoleIn requires exactly one of the two
    if body.role is Role.OWNER and principal.role is not Role.OWNER:
        raise PermissionDenied("only an owner may make someone an owner")
    await set_user_role(session, user, body.role, actor_of(request, principal))
    await commit(session)
    return UserOut.of(user)


@router.get("/archived-conversations", response_model=list[ConversationOut])
async def list_archived(
    principal: Reader, session: SessionDep, view: InboxView = InboxView.MINE
) -> list[ConversationOut]:
    rows = await list_conversations(session, principal, view, status=None, archived=True)
    return [ConversationOut.of(r) for r in rows]


@router.post(
    "/conversations/{conversation_id}/archive",
    response_model=ConversationOut,
    dependencies=[
        Depends(
            require(Permission.CONVERSATION_RESOLVE, Permission.CONVERSATION_ASSIGN, any_of=True)
        )
    ],
)
async def archive(
    conversation_id: str,
    request: Request,
    principal: Reader,
    services: ServicesDep,
    session: SessionDep,
) -> ConversationOut:
    conversation = await conv_actions.load_visible(
        session, principal, conversation_id, for_update=True
    )
    await archive_conversation(
        services, session, principal, conversation, actor_of(request, principal)
    )
    return ConversationOut.of(await conversation_row(session, conversation))


@router.post(
    "/conversations/{conversation_id}/unarchive",
    response_model=ConversationOut,
    dependencies=[Depends(require(Permission.CONVERSATION_ASSIGN))],
)
async def unarchive(
    conversation_id: str,
    request: Request,
    principal: Reader,
    services: ServicesDep,
    session: SessionDep,
) -> ConversationOut:
    conversation = await conv_actions.load_visible(
        session, principal, conversation_id, for_update=True
    )
    await unarchive_conversation(
        services, session, principal, conversation, actor_of(request, principal)
    )
    return ConversationOut.of(await conversation_row(session, conversation))


@router.delete("/conversations/{conversation_id}")
async def delete_conversation(
    conversation_id: str, request: Request, principal: Member, session: SessionDep
) -> None:
    raise await refuse_deletion(
        session, principal, "conversation", conversation_id, actor_of(request, principal)
    )


@router.delete("/messages/{message_id}")
async def delete_message(
    message_id: str, request: Request, principal: Member, session: SessionDep
) -> None:
    raise await refuse_deletion(
        session, principal, "message", message_id, actor_of(request, principal)
    )


@router.delete("/contacts/{contact_id}")
async def delete_contact(
    contact_id: str, request: Request, principal: Member, session: SessionDep
) -> None:
    raise await refuse_deletion(
        session, principal, "contact", contact_id, actor_of(request, principal)
    )
