"""In-app notifications: new customer messages in my conversations, mentions, assignments.

Rows are written in the transaction of the change they report (so a rollback leaves no
notification of something that did not happen); the live event that rings the bell is
published on commit, addressed to one user (web/sse.py delivers it to that user only).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.db.base import utcnow
from crossdesk.db.models import Notification, NotificationSetting
from crossdesk.db.session import on_commit
from crossdesk.db.upsert import insert_ignore
from crossdesk.domain import new_id
from crossdesk.errors import InvalidInput
from crossdesk.events import Event
from crossdesk.risk.rbac import Principal
from crossdesk.services import Services

KINDS = ("message", "mention", "assignment")
SUMMARY_LENGTH = 300
MAX_IDS = 200


@dataclass(frozen=True, slots=True)
class NewNotification:
    user_id: str
    kind: str
    conversation_id: str | None
    message_id: str | None = None
    actor_id: str | None = None
    summary: str = ""
    # Unread notifications with the same key collapse into the first one.
    collapse_key: str | None = None


async def notify(
    services: Services, session: AsyncSession, workspace_id: str, new: NewNotification
) -> bool:
    """Store one notification in the caller's transaction; False if it collapsed into an
    unread one already there. Core insert: it runs on the inbound hot path."""
    if new.kind not in KINDS:
        raise ValueError(f"unknown notification kind {new.kind!r}")
    notification_id = new_id()
    summary = new.summary[:SUMMARY_LENGTH]
    inserted = await insert_ignore(
        session,
        Notification,
        {
            "id": notification_id,
            "workspace_id": workspace_id,
            "user_id": new.user_id,
            "kind": new.kind,
            "conversation_id": new.conversation_id,
            "message_id": new.message_id,
            "actor_id": new.actor_id,
            "summary": summary,
            "collapse_key": new.collapse_key,
            "read_at": None,
            "created_at": utcnow(),
        },
    )
    if inserted:
        data = {"id": notification_id, "kind": new.kind, "summary": summary}
        publish_to_user_on_commit(services, session, workspace_id, new.user_id, data, new)
    return inserted


def publish_to_user_on_commit(
    services: Services,
    session: AsyncSession,
    workspace_id: str,
    user_id: str,
    data: Mapping[str, str | int | None],
    new: NewNotification | None = None,
    event_type: str = "notification.created",
) -> None:
    event = Event(
        type=event_type,
        workspace_id=workspace_id,
        conversation_id=new.conversation_id if new else None,
        data={**data, "user_id": user_id},
    )

    async def _publish() -> None:
        await services.bus.publish(event)

    on_commit(session, _publish)


def message_notification(
    assignee_id: str, conversation_id: str, message_id: str, preview: str
) -> NewNotification:
    """A customer wrote in a conversation someone owns: one unread notice per conversation."""
    return NewNotification(
        user_id=assignee_id,
        kind="message",
        conversation_id=conversation_id,
        message_id=message_id,
        summary=preview,
        collapse_key=f"message:{conversation_id}",
    )


async def unread_count(session: AsyncSession, principal: Principal) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == principal.user_id, Notification.read_at.is_(None))
    )
    return int(count or 0)


async def list_notifications(
    session: AsyncSession,
    principal: Principal,
    *,
    unread_only: bool = False,
    limit: int = 50,
    before: datetime | None = None,
) -> list[Notification]:
    statement = select(Notification).where(
        Notification.user_id == principal.user_id,
        Notification.workspace_id == principal.workspace_id,
    )
    if unread_only:
        statement = statement.where(Notification.read_at.is_(None))
    if before is not None:
        statement = statement.where(Notification.created_at < before)
    statement = statement.order_by(Notification.created_at.desc(), Notification.id.desc())
    return list((await session.scalars(statement.limit(max(1, min(limit, 200))))).all())


async def mark_read(
    services: Services,
    session: AsyncSession,
    principal: Principal,
    *,
    ids: list[str] | None = None,
    conversation_id: str | None = None,
) -> int:
    """Mark the caller's notifications read: the given ids, one conversation's, or (no
    argument) all. Returns how many changed. Only ever the caller's own rows."""
    if ids is not None and not 0 < len(ids) <= MAX_IDS:
        raise InvalidInput(f"give 1 to {MAX_IDS} notification ids", field="ids")
    statement = update(Notification).where(
        Notification.user_id == principal.user_id, Notification.read_at.is_(None)
    )
    if ids is not None:
        statement = statement.where(Notification.id.in_(ids))
    if conversation_id is not None:
        statement = statement.where(Notification.conversation_id == conversation_id)
    # Clearing the key lets the next message of the conversation notify again.
    changed = await session.execute(
        statement.values(read_at=utcnow(), collapse_key=None).returning(Notification.id)
    )
    count = len(changed.all())
    if count:
        publish_to_user_on_commit(
            services,
            session,
            principal.workspace_id,
            principal.user_id,
            {"read": count},
            event_type="notification.read",
        )
    return count


async def browser_notifications(session: AsyncSession, user_id: str) -> bool:
    setting = await session.get(NotificationSetting, user_id)
    return bool(setting and setting.browser)


async def set_browser_notifications(
    session: AsyncSession, principal: Principal, enabled: bool
) -> None:
    setting = await session.get(NotificationSetting, principal.user_id)
    if setting is None:
        session.add(
            NotificationSetting(
                user_id=principal.user_id, workspace_id=principal.workspace_id, browser=enabled
            )
        )
    else:
        setting.browser = enabled
