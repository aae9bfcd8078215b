"""Contacts (a platform identity of a customer) and conversations."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crossdesk.db.base import Base, CreatedMixin, IdMixin, WorkspaceMixin


class Contact(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    __tablename__ = "contact"
    __table_args__ = (
        UniqueConstraint("account_id", "platform_user_id"),
        # The same platform identity on another account (duplicate-lead signal).
        Index("ix_contact_identity", "workspace_id", "platform_user_id"),
    )

    account_id: Mapped[str] = mapped_column(ForeignKey("channel_account.id"))
    platform_user_id: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str | None] = mapped_column(String(16), default=None)
    country: Mapped[str | None] = mapped_column(String(2), default=None)
    # Contacts merged into one person share it (actions/contacts.py); None: not merged.
    person_id: Mapped[str | None] = mapped_column(String(32), default=None, index=True)


class Conversation(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    __tablename__ = "conversation"
    __table_args__ = (
        Index("ix_conversation_inbox", "workspace_id", "status", "last_message_at"),
        Index("ix_conversation_contact", "account_id", "contact_id"),
    )

    account_id: Mapped[str] = mapped_column(ForeignKey("channel_account.id"))
    contact_id: Mapped[str] = mapped_column(ForeignKey("contact.id"))
    team_id: Mapped[str | None] = mapped_column(ForeignKey("team.id"), default=None, index=True)
    assignee_id: Mapped[str | None] = mapped_column(
        ForeignKey("user_account.id"), default=None, index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="open")
    last_message_at: Mapped[datetime | None] = mapped_column(default=None)
    last_inbound_at: Mapped[datetime | None] = mapped_column(default=None)
    # Masked and, for inbound messages, translated when available: what the list shows.
    last_message_preview: Mapped[str] = mapped_column(String(300), default="")
    unread_count: Mapped[int] = mapped_column(Integer, default=0)
    # Inbound messages ever received: a user's unread count is this minus the total their
    # read marker recorded (db/models/views.py), so the inbox never counts messages.
    inbound_total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Archived conversations leave the inbox lists but are never deleted; the customer's
    # next message brings them back (actions/archive.py).
    archived_at: Mapped[datetime | None] = mapped_column(default=None)
    archived_by: Mapped[str | None] = mapped_column(String(32), default=None)
