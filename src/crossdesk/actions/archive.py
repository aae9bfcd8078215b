"""No hard deletes: conversations are archived, never deleted, and a deletion is refused
and audited.

Archiving takes a conversation out of the inbox lists; its messages, contact and audit
trail stay. The customer's next message brings it back (``receive_message``), so
archiving can never be used to hide a customer from the company.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.actions.publish import publish_on_commit
from crossdesk.db.base import utcnow
from crossdesk.db.models import Conversation
from crossdesk.db.session import commit
from crossdesk.domain import Permission
from crossdesk.errors import CrossdeskError, PermissionDenied
from crossdesk.risk import audit
from crossdesk.risk.rbac import Principal
from crossdesk.services import Services


class DeletionRefused(CrossdeskError):
    """crossdesk keeps everything; a delete request is answered with this (and audited)."""

    code = "deletion_refused"
    http_status = 405


def may_archive(principal: Principal, conversation: Conversation) -> bool:
    """The resolve rule: supervisors (assign) any they see, agents their own."""
    return principal.can(Permission.CONVERSATION_ASSIGN) or (
        principal.can(Permission.CONVERSATION_RESOLVE)
        and conversation.assignee_id == principal.user_id
    )


async def archive_conversation(
    services: Services,
    session: AsyncSession,
    principal: Principal,
    conversation: Conversation,
    actor: audit.Actor,
) -> Conversation:
    """Archive a conversation the principal may see (loaded with ``load_visible``)."""
    if not may_archive(principal, conversation):
        raise PermissionDenied("you may only archive conversations assigned to you")
    if conversation.archived_at is not None:
        return conversation
    conversation.archived_at = utcnow()
    conversation.archived_by = principal.user_id
    await audit.record(
        session,
        principal.workspace_id,
        "conversation.archive",
        actor,
        target_type="conversation",
        target_id=conversation.id,
    )
    publish_on_commit(services, session, "conversation.updated", conversation)
    await commit(session)
    return conversation


async def unarchive_conversation(
    services: Services,
    session: AsyncSession,
    principal: Principal,
    conversation: Conversation,
    actor: audit.Actor,
) -> Conversation:
    """Bring an archived conversation back to the inbox (supervisors and up)."""
    if not principal.can(Permission.CONVERSATION_ASSIGN):
        raise PermissionDenied("only a supervisor may bring back an archived conversation")
    if conversation.archived_at is None:
        return conversation
    conversation.archived_at = None
    conversation.archived_by = None
    await audit.record(
        session,
        principal.workspace_id,
        "conversation.unarchive",
        actor,
        target_type="conversation",
        target_id=conversation.id,
    )
    publish_on_commit(services, session, "conversation.updated", conversation)
    await commit(session)
    return conversation


async def refuse_deletion(
    session: AsyncSession,
    principal: Principal,
    target_type: str,
    target_id: str,
    actor: audit.Actor,
) -> DeletionRefused:
    """Record a deletion attempt (committed) and return the error to raise.

    Recorded whether or not the target exists or is visible to the caller: the attempt
    is what matters, and the answer must not reveal which ids exist."""
    await audit.record(
        session,
        principal.workspace_id,
        "deletion.refused",
        actor,
        target_type=target_type,
        target_id=target_id[:64],
    )
    await commit(session)
    advice = "archive it instead" if target_type == "conversation" else "nothing is deleted"
    return DeletionRefused(f"crossdesk never deletes a {target_type}; {advice}")
