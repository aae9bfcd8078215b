"""Workspace labels, and putting them on (or taking them off) conversations and contacts.

Every change is audited in its own transaction; links are never deleted, a removal sets
``removed_at`` so the history stays readable.
"""

import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.actions.publish import publish_on_commit
from crossdesk.db.base import utcnow
from crossdesk.db.models import Contact, ContactLabel, Conversation, ConversationLabel, Label
from crossdesk.db.session import commit
from crossdesk.domain import Permission
from crossdesk.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from crossdesk.risk import audit
from crossdesk.risk.rbac import Principal
from crossdesk.services import Services

# The fixed palette; each name is a CSS class ``label-<name>`` in static/labels.css.
PALETTE = ("grey", "red", "orange", "yellow", "green", "teal", "blue", "purple", "pink")
MAX_LABELS_PER_WORKSPACE = 200
_SPACES = re.compile(r"\s+")


def clean_name(name: str) -> str:
    """A label name: 1-60 printable characters, inner whitespace collapsed."""
    cleaned = _SPACES.sub(" ", name).strip()
    if not cleaned or len(cleaned) > 60:
        raise InvalidInput("a label name needs 1 to 60 characters", field="name")
    if any(unicodedata.category(ch).startswith("C") for ch in cleaned):
        raise InvalidInput("a label name may not contain control characters", field="name")
    return cleaned


def check_colour(colour: str) -> str:
    if colour not in PALETTE:
        raise InvalidInput(f"colour must be one of: {', '.join(PALETTE)}", field="colour")
    return colour


async def list_labels(
    session: AsyncSession, workspace_id: str, *, archived: bool = False
) -> list[Label]:
    statement = select(Label).where(Label.workspace_id == workspace_id)
    statement = statement.where(
        Label.archived_at.is_not(None) if archived else Label.archived_at.is_(None)
    )
    return list((await session.scalars(statement.order_by(Label.name))).all())


async def get_label(
    session: AsyncSession, principal: Principal, label_id: str, *, active: bool = True
) -> Label:
    label = await session.scalar(
        select(Label).where(Label.id == label_id, Label.workspace_id == principal.workspace_id)
    )
    if label is None or (active and label.archived_at is not None):
        raise NotFound("no such label")
    return label


def _require(principal: Principal, permission: Permission, what: str) -> None:
    if not principal.can(permission):
        raise PermissionDenied(f"your role may not {what}")


async def create_label(
    session: AsyncSession, principal: Principal, name: str, colour: str, actor: audit.Actor
) -> Label:
    """A new label; a name taken by an archived label brings that label back."""
    _require(principal, Permission.LABEL_MANAGE, "manage labels")
    name, colour = clean_name(name), check_colour(colour)
    existing = await session.scalar(
        select(Label).where(Label.workspace_id == principal.workspace_id, Label.name == name)
    )
    if existing is not None and existing.archived_at is None:
        raise Conflict(f"a label named {name!r} exists already", field="name")
    if existing is not None:
        existing.archived_at = None
        existing.colour = colour
        label, action = existing, "label.restore"
    else:
        count = len(await list_labels(session, principal.workspace_id))
        if count >= MAX_LABELS_PER_WORKSPACE:
            raise InvalidInput(f"a workspace may have at most {MAX_LABELS_PER_WORKSPACE} labels")
        label = Label(
            workspace_id=principal.workspace_id,
            name=name,
            colour=colour,
            created_by=principal.user_id,
        )
        session.add(label)
        await session.flush()
        action = "label.create"
    await audit.record(
        session,
        principal.workspace_id,
        action,
        actor,
        target_type="label",
        target_id=label.id,
        data={"name": name, "colour": colour},
    )
    await commit(session)
    return label


async def update_label(
    session: AsyncSession,
    principal: Principal,
    label_id: str,
    actor: audit.Actor,
    *,
    name: str | None = None,
    colour: str | None = None,
) -> Label:
    _require(principal, Permission.LABEL_MANAGE, "manage labels")
    label = await get_label(session, principal, label_id)
    changes: dict[str, str] = {}
    if name is not None and clean_name(name) != label.name:
        new_name = clean_name(name)
        taken = await session.scalar(
            select(Label.id).where(
                Label.workspace_id == principal.workspace_id, Label.name == new_name
            )
        )
        if taken is not None:
            raise Conflict(f"a label named {new_name!r} exists already", field="name")
        changes["name"] = new_name
        label.name = new_name
    if colour is not None and check_colour(colour) != label.colour:
        changes["colour"] = colour
        label.colour = colour
    if changes:
        await audit.record(
            session,
            principal.workspace_id,
            "label.update",
            actor,
            target_type="label",
            target_id=label.id,
            data=changes,
        )
    await commit(session)
    return label


async def archive_label(
    session: AsyncSession, principal: Principal, label_id: str, actor: audit.Actor
) -> Label:
    """Hide a label everywhere; its links stay, so restoring it restores them."""
    _require(principal, Permission.LABEL_MANAGE, "manage labels")
    label = await get_label(session, principal, label_id)
    label.archived_at = utcnow()
    await audit.record(
        session,
        principal.workspace_id,
        "label.archive",
        actor,
        target_type="label",
        target_id=label.id,
        data={"name": label.name},
    )
    await commit(session)
    return label


async def label_conversation(
    services: Services,
    session: AsyncSession,
    principal: Principal,
    conversation: Conversation,
    label_id: str,
    on: bool,
    actor: audit.Actor,
) -> bool:
    """Put the label on (``on``) or take it off a conversation the caller can see (the
    caller loads it with ``load_visible``). Returns whether anything changed."""
    _require(principal, Permission.CONVERSATION_LABEL, "label conversations")
    label = await get_label(session, principal, label_id)
    link = await session.get(ConversationLabel, (conversation.id, label.id))
    changed = _toggle(link, on, principal)
    if changed is None:
        return False
    if changed is False:
        session.add(
            ConversationLabel(
                conversation_id=conversation.id,
                label_id=label.id,
                workspace_id=conversation.workspace_id,
                created_by=principal.user_id,
            )
        )
    await audit.record(
        session,
        principal.workspace_id,
        "conversation.label" if on else "conversation.unlabel",
        actor,
        target_type="conversation",
        target_id=conversation.id,
        data={"label_id": label.id, "label": label.name},
    )
    publish_on_commit(services, session, "conversation.updated", conversation)
    await commit(session)
    return True


async def label_contact(
    session: AsyncSession,
    principal: Principal,
    contact: Contact,
    label_id: str,
    on: bool,
    actor: audit.Actor,
) -> bool:
    """Like :func:`label_conversation`, for a contact the caller can see."""
    _require(principal, Permission.CONTACT_EDIT, "edit contacts")
    label = await get_label(session, principal, label_id)
    link = await session.get(ContactLabel, (contact.id, label.id))
    changed = _toggle(link, on, principal)
    if changed is None:
        return False
    if changed is False:
        session.add(
            ContactLabel(
                contact_id=contact.id,
                label_id=label.id,
                workspace_id=contact.workspace_id,
                created_by=principal.user_id,
            )
        )
    await audit.record(
        session,
        principal.workspace_id,
        "contact.label" if on else "contact.unlabel",
        actor,
        target_type="contact",
        target_id=contact.id,
        data={"label_id": label.id, "label": label.name},
    )
    await commit(session)
    return True


def _toggle(
    link: ConversationLabel | ContactLabel | None, on: bool, principal: Principal
) -> bool | None:
    """Flip an existing link. None: it is already as asked; False: no link yet (the
    caller adds one); True: the existing link changed."""
    if link is None:
        return None if not on else False
    if (link.removed_at is None) == on:
        return None
    link.removed_at = None if on else utcnow()
    if on:
        link.created_by = principal.user_id
    return True
