"""Private notes: written in a conversation for colleagues, never sent to the customer.

A note is a message row with direction "note" and no outbox row; the delivery worker only
ever reads the outbox, so a note cannot reach a platform.
"""

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.actions.identity import principal_for
from crossdesk.actions.notifications import NewNotification, notify
from crossdesk.actions.publish import publish_on_commit
from crossdesk.db.base import utcnow
from crossdesk.db.models import Conversation, Message, User
from crossdesk.db.session import commit
from crossdesk.domain import Direction, Permission, new_id
from crossdesk.errors import InvalidInput, PermissionDenied
from crossdesk.risk import audit
from crossdesk.risk.rbac import Principal, can_see
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
    mentioned_users = await _mentions(session, principal.workspace_id, text)
    await _refuse_blind_mentions(session, conversation, mentioned_users)
    mentioned = sorted(u.id for u in mentioned_users)
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
        body_masked=_mask_keeping_mentions(services, text, mentioned_users),
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
    for user_id in mentioned:
        if user_id != principal.user_id:
            await notify(
                services,
                session,
                principal.workspace_id,
                NewNotification(
                    user_id=user_id,
                    kind="mention",
                    conversation_id=conversation.id,
                    message_id=message_id,
                    actor_id=principal.user_id,
                    summary=f"{principal.display_name}: {message.body_masked}",
                ),
            )
    await commit(session)
    return message


def _names_of(user: User) -> set[str]:
    """The handles that mention ``user``: e-mail name, display name without spaces, parts."""
    parts = {part.lower() for part in user.display_name.split()}
    return {user.email.split("@")[0].lower(), user.display_name.replace(" ", "").lower(), *parts}


def _mask_keeping_mentions(services: Services, text: str, users: list[User]) -> str:
    """Mask the note but keep the @handles of colleagues readable (they are not customer
    data, and the masker would take them for social-media handles): each is swapped for a
    private-use placeholder while the masker runs, then put back."""
    known = set().union(*(_names_of(u) for u in users)) if users else set()
    kept: list[str] = []

    def hold(match: re.Match[str]) -> str:
        if match.group(1).lower() not in known:
            return match.group(0)
        kept.append(match.group(0))
        return f"\ue000{len(kept) - 1}\ue001"

    masked = services.masker.mask(MENTION.sub(hold, text), None).masked_text
    return re.sub("\ue000(\\d+)\ue001", lambda m: kept[int(m.group(1))], masked)


async def _mentions(session: AsyncSession, workspace_id: str, text: str) -> list[User]:
    names = {m.group(1).lower() for m in MENTION.finditer(text)}
    if not names:
        return []
    users = (
        await session.scalars(
            select(User).where(User.workspace_id == workspace_id, User.disabled.is_(False))
        )
    ).all()
    return [u for u in users if _names_of(u) & names]


async def _refuse_blind_mentions(
    session: AsyncSession, conversation: Conversation, users: list[User]
) -> None:
    """A mention must lead somewhere: refuse one of a colleague who may not open the
    conversation (rather than notify them of something they cannot see)."""
    blind = [
        u.display_name for u in users if not can_see(await principal_for(session, u), conversation)
    ]
    if blind:
        raise InvalidInput(
            f"{', '.join(sorted(blind))} cannot see this conversation (not in its team or "
            "not assigned to it); assign it to them or mention someone who can see it",
            field="text",
        )
