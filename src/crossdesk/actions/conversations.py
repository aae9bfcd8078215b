"""Assign, resolve, reopen and read conversations."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.actions.notifications import NewNotification, mark_read, notify
from crossdesk.actions.presence import wake_assignment_on_commit
from crossdesk.actions.publish import publish_on_commit
from crossdesk.actions.read_markers import mark_conversation_read
from crossdesk.db.models import Conversation, TeamMember, User
from crossdesk.db.session import commit, transaction
from crossdesk.domain import ConversationStatus, Permission
from crossdesk.errors import InvalidInput, NotFound, PermissionDenied
from crossdesk.risk import audit
from crossdesk.risk.rbac import Principal, can_see
from crossdesk.services import Services


async def assign(
    services: Services,
    session: AsyncSession,
    principal: Principal,
    conversation: Conversation,
    assignee_id: str | None,
    actor: audit.Actor,
) -> Conversation:
    """Assign (or unassign with None). Agents may only take an unassigned one for themselves."""
    self_pickup = (
        assignee_id == principal.user_id
        and conversation.assignee_id is None
        and principal.can(Permission.CONVERSATION_READ_OWN)
    )
    if not (principal.can(Permission.CONVERSATION_ASSIGN) or self_pickup):
        raise PermissionDenied("your role may not assign conversations")
    if assignee_id is not None:
        assignee = await session.scalar(
            select(User).where(User.id == assignee_id, User.workspace_id == principal.workspace_id)
        )
        if assignee is None or assignee.disabled:
            raise InvalidInput("no active user with that id in this workspace", field="assignee_id")
        if conversation.team_id is not None and not await _is_member(
            session, conversation.team_id, assignee_id
        ):
            # Keep the conversation visible to its new owner: it moves with them only
            # if they are in its team; otherwise assigning would hide it from them.
            raise InvalidInput("the assignee is not a member of the conversation's team")
    previous = conversation.assignee_id
    conversation.assignee_id = assignee_id
    await audit.record(
        session,
        principal.workspace_id,
        "conversation.assign",
        actor,
        target_type="conversation",
        target_id=conversation.id,
        data={"from": previous, "to": assignee_id},
    )
    publish_on_commit(
        services, session, "conversation.updated", conversation, {"previous_assignee": previous}
    )
    if assignee_id is not None and assignee_id not in (previous, principal.user_id):
        await notify(
            services,
            session,
            principal.workspace_id,
            NewNotification(
                user_id=assignee_id,
                kind="assignment",
                conversation_id=conversation.id,
                actor_id=principal.user_id,
                summary=conversation.last_message_preview,
            ),
        )
    if conversation.team_id is not None and previous != assignee_id:
        # The queue may have grown (unassigned) or someone's capacity freed (reassigned).
        wake_assignment_on_commit(services, session, [conversation.team_id])
    await commit(session)
    return conversation


async def set_status(
    services: Services,
    session: AsyncSession,
    principal: Principal,
    conversation: Conversation,
    status: ConversationStatus,
    actor: audit.Actor,
) -> Conversation:
    allowed = principal.can(Permission.CONVERSATION_ASSIGN) or (
        principal.can(Permission.CONVERSATION_RESOLVE)
        and conversation.assignee_id == principal.user_id
    )
    if not allowed:
        raise PermissionDenied("you may only resolve or reopen conversations assigned to you")
    if conversation.status == status.value:
        return conversation
    conversation.status = status.value
    await audit.record(
        session,
        principal.workspace_id,
        f"conversation.{'resolve' if status is ConversationStatus.RESOLVED else 'reopen'}",
        actor,
        target_type="conversation",
        target_id=conversation.id,
    )
    publish_on_commit(services, session, "conversation.updated", conversation)
    if conversation.team_id is not None:
        # Resolving frees its owner's capacity; reopening an unowned one queues it.
        wake_assignment_on_commit(services, session, [conversation.team_id])
    await commit(session)
    return conversation


async def mark_viewed(
    services: Services, principal: Principal, conversation_id: str, actor: audit.Actor
) -> None:
    """Someone opened the conversation: the view is audited and, for the person working
    it (its assignee, or anyone while unassigned), unread goes back to zero.

    Runs in a writing session of its own, because it is called from GET pages whose
    request session only reads."""
    async with transaction(services.sessionmaker) as session:
        conversation = await load_visible(session, principal, conversation_id)
        await audit.record(
            session,
            principal.workspace_id,
            "conversation.view",
            actor,
            target_type="conversation",
            target_id=conversation.id,
        )
        await mark_conversation_read(session, principal, conversation)  # the viewer's unread
        # Opening the conversation reads its notifications too.
        await mark_read(services, session, principal, conversation_id=conversation.id)
        working_it = conversation.assignee_id in (None, principal.user_id)
        if working_it and conversation.unread_count:
            conversation.unread_count = 0
            publish_on_commit(services, session, "conversation.updated", conversation)


async def load_visible(
    session: AsyncSession, principal: Principal, conversation_id: str, *, for_update: bool = False
) -> Conversation:
    """Load a conversation the principal may see, else NotFound (never say it exists)."""
    statement = select(Conversation).where(
        Conversation.id == conversation_id, Conversation.workspace_id == principal.workspace_id
    )
    if for_update:
        statement = statement.with_for_update()
    conversation = await session.scalar(statement)
    if conversation is None or not can_see(principal, conversation):
        raise NotFound("no such conversation")
    return conversation


async def _is_member(session: AsyncSession, team_id: str, user_id: str) -> bool:
    found = await session.scalar(
        select(TeamMember.user_id).where(
            TeamMember.team_id == team_id, TeamMember.user_id == user_id
        )
    )
    return found is not None
