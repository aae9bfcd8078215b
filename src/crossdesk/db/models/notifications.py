"""In-app notifications: new messages in my conversations, mentions, assignments."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crossdesk.db.base import Base, CreatedMixin, IdMixin, WorkspaceMixin


class Notification(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    __tablename__ = "notification"
    __table_args__ = (
        # While unread, new messages of one conversation collapse into one notification:
        # the key is cleared when it is read (NULLs never collide on either database).
        UniqueConstraint("user_id", "collapse_key"),
        Index("ix_notification_inbox", "user_id", "read_at", "created_at"),
    )

    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(String(16))  # message, mention, assignment
    conversation_id: Mapped[str | None] = mapped_column(String(32), default=None)
    message_id: Mapped[str | None] = mapped_column(String(32), default=None)
    actor_id: Mapped[str | None] = mapped_column(String(32), default=None)
    # Masked text only (a contact name or message preview as the inbox shows it).
    summary: Mapped[str] = mapped_column(String(300), default="")
    collapse_key: Mapped[str | None] = mapped_column(String(80), default=None)
    read_at: Mapped[datetime | None] = mapped_column(default=None)


class NotificationSetting(WorkspaceMixin, Base):
    """Per-user choices; browser (desktop) notifications are off until the user turns them on."""

    __tablename__ = "notification_setting"

    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    browser: Mapped[bool] = mapped_column(Boolean, default=False)
