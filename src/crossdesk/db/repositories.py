"""Read queries, always scoped to what the caller may see."""

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.db.base import utcnow
from crossdesk.db.inbox_extras import labels_by_conversation, unread_count_column
from crossdesk.db.inbox_filters import InboxFilter
from crossdesk.db.models import (
    ChannelAccount,
    Contact,
    Conversation,
    Label,
    Message,
    Team,
    TeamMember,
    User,
)
from crossdesk.domain import Permission
from crossdesk.errors import PermissionDenied
from crossdesk.risk.rbac import Principal, conversation_scope


class InboxView(StrEnum):
    MINE = "mine"
    UNASSIGNED = "unassigned"
    TEAM = "team"
    ALL = "all"


def views_for(principal: Principal) -> list[InboxView]:
    """The inbox tabs a role may open."""
    views = [InboxView.MINE, InboxView.UNASSIGNED]
    if principal.can(Permission.CONVERSATION_READ_TEAM) or principal.can(
        Permission.CONVERSATION_READ_ALL
    ):
        views.append(InboxView.TEAM)
    if principal.can(Permission.CONVERSATION_READ_ALL):
        views.append(InboxView.ALL)
    return views


@dataclass(frozen=True, slots=True)
class ConversationRow:
    conversation: Conversation
    contact: Contact
    account: ChannelAccount
    assignee_name: str | None
    # The viewer's own unread inbound messages (None where not computed: then the shared
    # ``conversation.unread_count`` stands in) and the conversation's labels.
    unread: int | None = None
    labels: tuple[Label, ...] = ()


def _view_filter(principal: Principal, view: InboxView) -> ColumnElement[bool] | None:
    if view not in views_for(principal):
        raise PermissionDenied(f"your role may not open the {view.value!r} view")
    if view is InboxView.MINE:
        return Conversation.assignee_id == principal.user_id
    if view is InboxView.UNASSIGNED:
        return Conversation.assignee_id.is_(None)
    if view is InboxView.TEAM and not principal.can(Permission.CONVERSATION_READ_ALL):
        return Conversation.team_id.in_(principal.team_ids)
    return None


async def list_conversations(
    session: AsyncSession,
    principal: Principal,
    view: InboxView,
    *,
    status: str | None = "open",
    limit: int = 50,
    archived: bool = False,
    platform: str | None = None,
    account_id: str | None = None,
    filters: InboxFilter | None = None,
    now: datetime | None = None,
) -> list[ConversationRow]:
    """The inbox; archived conversations only when ``archived`` (and then only those),
    optionally only one platform's (``platform``: a channel kind) or one account's, and
    narrowed by ``filters`` (db/inbox_filters.py; ``now`` for the waiting-time filter).
    Each row carries the caller's unread count and the conversation's labels."""
    statement = (
        select(
            Conversation, Contact, ChannelAccount, User.display_name, unread_count_column(principal)
        )
        .join(Contact, Contact.id == Conversation.contact_id)
        .join(ChannelAccount, ChannelAccount.id == Conversation.account_id)
        .outerjoin(User, User.id == Conversation.assignee_id)
        .where(conversation_scope(principal))
        .order_by(Conversation.last_message_at.desc().nulls_last(), Conversation.id.desc())
        .limit(limit)
    )
    extra = _view_filter(principal, view)
    if extra is not None:
        statement = statement.where(extra)
    if status:
        statement = statement.where(Conversation.status == status)
    if platform:
        statement = statement.where(ChannelAccount.kind == platform)
    if account_id:
        statement = statement.where(Conversation.account_id == account_id)
    if filters is not None:
        statement = statement.where(*filters.clauses(principal, now or utcnow()))
    statement = statement.where(
        Conversation.archived_at.is_not(None) if archived else Conversation.archived_at.is_(None)
    )
    result = await session.execute(statement)
    rows = [ConversationRow(row[0], row[1], row[2], row[3], row[4]) for row in result]
    labels = await labels_by_conversation(session, [r.conversation.id for r in rows])
    return [replace(r, labels=labels.get(r.conversation.id, ())) for r in rows]


async def conversation_row(session: AsyncSession, conversation: Conversation) -> ConversationRow:
    contact = await session.get(Contact, conversation.contact_id)
    account = await session.get(ChannelAccount, conversation.account_id)
    assert contact is not None and account is not None
    name = None
    if conversation.assignee_id:
        name = await session.scalar(
            select(User.display_name).where(User.id == conversation.assignee_id)
        )
    labels = await labels_by_conversation(session, [conversation.id])
    return ConversationRow(
        conversation, contact, account, name, labels=labels.get(conversation.id, ())
    )


def sees_deleted_messages(principal: Principal) -> bool:
    """Messages the customer deleted on the platform stay visible, marked, to supervisors
    and auditors (team or workspace readers); agents no longer see them."""
    return principal.can(Permission.CONVERSATION_READ_TEAM) or principal.can(
        Permission.CONVERSATION_READ_ALL
    )


async def list_messages(
    session: AsyncSession,
    conversation: Conversation,
    *,
    limit: int = 200,
    viewer: Principal | None = None,
) -> list[Message]:
    """The conversation's latest messages, oldest first. Messages deleted on the platform
    are left out unless ``viewer`` may see them (without a viewer: left out)."""
    statement = select(Message).where(
        Message.conversation_id == conversation.id,
        Message.workspace_id == conversation.workspace_id,
    )
    if viewer is None or not sees_deleted_messages(viewer):
        statement = statement.where(Message.deleted_by_platform.is_(False))
    rows = (
        await session.scalars(
            statement.order_by(Message.created_at.desc(), Message.id.desc()).limit(limit)
        )
    ).all()
    return list(reversed(rows))


async def assignable_users(
    session: AsyncSession, principal: Principal, conversation: Conversation
) -> list[User]:
    """Active users who could own the conversation (members of its team, if it has one)."""
    statement = select(User).where(
        User.workspace_id == principal.workspace_id, User.disabled.is_(False)
    )
    if conversation.team_id:
        statement = statement.join(TeamMember, TeamMember.user_id == User.id).where(
            TeamMember.team_id == conversation.team_id
        )
    return list((await session.scalars(statement.order_by(User.display_name))).all())


async def team_names(session: AsyncSession, workspace_id: str) -> dict[str, str]:
    rows = (
        await session.execute(select(Team.id, Team.name).where(Team.workspace_id == workspace_id))
    ).all()
    return {team_id: name for team_id, name in rows}
