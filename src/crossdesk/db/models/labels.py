"""Workspace labels and the links that put them on conversations and contacts."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crossdesk.db.base import Base, CreatedMixin, IdMixin, WorkspaceMixin


class Label(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    __tablename__ = "label"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    name: Mapped[str] = mapped_column(String(60))
    # A name from a fixed palette, rendered as a CSS class (the CSP forbids style attributes).
    colour: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str | None] = mapped_column(String(32), default=None)
    # Labels are archived, never deleted: old audit events still name them.
    archived_at: Mapped[datetime | None] = mapped_column(default=None)


class ConversationLabel(WorkspaceMixin, CreatedMixin, Base):
    """A label on a conversation. Removing it sets ``removed_at`` (no hard deletes);
    labelling again clears it."""

    __tablename__ = "conversation_label"
    __table_args__ = (Index("ix_conversation_label_label", "label_id", "conversation_id"),)

    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversation.id"), primary_key=True)
    label_id: Mapped[str] = mapped_column(ForeignKey("label.id"), primary_key=True)
    created_by: Mapped[str | None] = mapped_column(String(32), default=None)
    removed_at: Mapped[datetime | None] = mapped_column(default=None)


class ContactLabel(WorkspaceMixin, CreatedMixin, Base):
    __tablename__ = "contact_label"
    __table_args__ = (Index("ix_contact_label_label", "label_id", "contact_id"),)

    contact_id: Mapped[str] = mapped_column(ForeignKey("contact.id"), primary_key=True)
    label_id: Mapped[str] = mapped_column(ForeignKey("label.id"), primary_key=True)
    created_by: Mapped[str | None] = mapped_column(String(32), default=None)
    removed_at: Mapped[datetime | None] = mapped_column(default=None)
