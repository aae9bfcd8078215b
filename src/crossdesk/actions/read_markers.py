"""Per-user read markers: opening a conversation marks it read up to its latest message."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.db.models import Conversation, ConversationRead
from crossdesk.risk.rbac import Principal


async def mark_conversation_read(
    session: AsyncSession, principal: Principal, conversation: Conversation
) -> bool:
    """Move the caller's marker to the conversation's latest message, inside the caller's
    transaction. Returns whether it moved (it never moves backwards)."""
    latest = conversation.last_message_at
    if latest is None:
        return False
    marker = await session.scalar(
        select(ConversationRead).where(
            ConversationRead.user_id == principal.user_id,
            ConversationRead.conversation_id == conversation.id,
        )
    )
    if marker is None:
        session.add(
            ConversationRead(
                user_id=principal.user_id,
                conversation_id=conversation.id,
                workspace_id=conversation.workspace_id,
                read_at=latest,
                read_inbound=conversation.inbound_total,
            )
        )
        return True
    if marker.read_at >= latest:
        return False
    marker.read_at = latest
    marker.read_inbound = max(marker.read_inbound, conversation.inbound_total)
    return True
