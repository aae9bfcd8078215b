"""Private notes: written in a conversation for colleagues, never sent to the customer.

A note is a message row with direction "note" and no outbox row; the delivery worker only
ever reads the outbox, so a note cannot reach a platform.
"""

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.actions.publish import publish_on_commit
from crossdesk.db.base import utcnow
from crossdesk.db.models import Conversation, Message, User
from crossdesk.db.session import commit
from crossdesk.domain import Direction, Permission, new_id
from crossdesk.errors import InvalidInput, PermissionDenied
from crossdesk.risk import audit
from crossdesk.risk.rbac import Principal
from crossdesk.services import Services
from crossdesk.vault.crypto import associated_data

MENTION = re.compile(r"@([\w.+-]{2,64})")


async def add_note(
    services: Services,
    session: AsyncSession,
    principal: Principal,
    conversation: Conversation,
    text: str,
    actor: audit.Actor,
) -> Message:
    """Store a note; ``@name`` or ``@email-name`` mentions of colleagues are recorded."""
    if not principal.can(Permission.MESSAGE_SEND):
        raise PermissionDenied("your role may not write in conversations")
    text = text.strip()
    if not text or len(text) > 4096:
        raise InvalidInput("a note needs 1 to 4096 characters", field="text")
    mentioned = await _mentions(session, principal.workspace_id, text)
    message_id = new_id()
    message = Message(
        id=message_id,
        workspace_id=principal.workspace_id,
        conversation_id=conversation.id,
        account_id=conversation.account_id,
        direction=Direction.NOTE.value,
        sender_user_id=principal.user_id,
        sender_label=principal.display_name,
        # Colleagues may paste a customer's data into a note: it is masked like any message.
        body_masked=services.masker.mask(text, None).masked_text,
        body_raw_enc=services.envelope.seal(
            text.encode(), associated_data(principal.workspace_id, message_id, "message.body")
        ),
        language=principal.language,
        status="note",
        stage_notes={"mentions": mentioned},
        created_at=utcnow(),
    )
    session.add(message)
    await audit.record(
        session,
        principal.workspace_id,
        "note.add",
        actor,
        target_type="message",
        target_id=message_id,
        data={"conversation_id": conversation.id, "mentions": mentioned},
    )
    publish_on_commit(
        services,
        session,
        "message.created",
        conversation,
        {"message_id": message_id, "direction": "note", "mentions": mentioned},
    )
    await commit(session)
    return message


async def _mentions(session: AsyncSession, workspace_id: str, text: str) -> list[str]:
    names = {m.group(1).lower() for m in MENTION.finditer(text)}
    if not names:
        return []
    users = (
        await session.scalars(
            select(User).where(User.workspace_id == workspace_id, User.disabled.is_(False))
        )
    ).all()
    found = [
        u.id
        for u in users
        if u.email.split("@")[0].lower() in names
        or u.display_name.replace(" ", "").lower() in names
        or any(part.lower() in names for part in u.display_name.split())
    ]
    return sorted(found)
