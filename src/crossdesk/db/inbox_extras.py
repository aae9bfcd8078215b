"""What the inbox list shows beside each conversation: the viewer's unread count and the
conversation's labels. Both cost one statement per list page."""

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.db.inbox_filters import unread_clause
from crossdesk.db.models import (
    ContactLabel,
    Conversation,
    ConversationLabel,
    ConversationRead,
    Label,
)
from crossdesk.risk.rbac import Principal

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def unread_count_column(principal: Principal) -> ColumnElement[int]:
    """Inbound messages after the viewer's read marker, as a column of the list query:
    the conversation's inbound_total minus the total the marker recorded, two primary-key
    lookups per row and no message is counted (hot conversations hold hundreds)."""
    read_inbound = (
        select(ConversationRead.read_inbound)
        .where(
            ConversationRead.conversation_id == Conversation.id,
            ConversationRead.user_id == principal.user_id,
        )
        .correlate(Conversation)
        .scalar_subquery()
    )
    count = Conversation.inbound_total - func.coalesce(read_inbound, 0)
    return case((unread_clause(principal) & (count > 0), count), else_=0).label("viewer_unread")


async def labels_by_conversation(
    session: AsyncSession, conversation_ids: Sequence[str]
) -> dict[str, tuple[Label, ...]]:
    if not conversation_ids:
        return {}
    rows = await session.execute(
        select(ConversationLabel.conversation_id, Label)
        .join(Label, Label.id == ConversationLabel.label_id)
        .where(
            ConversationLabel.conversation_id.in_(conversation_ids),
            ConversationLabel.removed_at.is_(None),
            Label.archived_at.is_(None),
        )
        .order_by(Label.name)
    )
    found: dict[str, list[Label]] = defaultdict(list)
    for conversation_id, label in rows:
        found[conversation_id].append(label)
    return {key: tuple(value) for key, value in found.items()}


async def labels_by_contact(
    session: AsyncSession, contact_ids: Sequence[str]
) -> dict[str, tuple[Label, ...]]:
    if not contact_ids:
        return {}
    rows = await session.execute(
        select(ContactLabel.contact_id, Label)
        .join(Label, Label.id == ContactLabel.label_id)
        .where(
            ContactLabel.contact_id.in_(contact_ids),
            ContactLabel.removed_at.is_(None),
            Label.archived_at.is_(None),
        )
        .order_by(Label.name)
    )
    found: dict[str, list[Label]] = defaultdict(list)
    for contact_id, label in rows:
        found[contact_id].append(label)
    return {key: tuple(value) for key, value in found.items()}
