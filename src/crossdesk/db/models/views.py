"""Saved inbox views and per-user read markers."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from crossdesk.db.base import Base, CreatedMixin, IdMixin, WorkspaceMixin


class SavedView(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """A named inbox filter. Personal when ``team_id`` is None; otherwise shared with
    that team's members (only a supervisor or admin shares)."""

    __tablename__ = "saved_view"

    owner_id: Mapped[str] = mapped_column(ForeignKey("user_account.id"), index=True)
    team_id: Mapped[str | None] = mapped_column(ForeignKey("team.id"), default=None, index=True)
    name: Mapped[str] = mapped_column(String(60))
    # The canonical query of crossdesk.db.inbox_filters.InboxFilter (validated on save
    # and again on use, so a view saved before a filter changed still fails clearly).
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    archived_at: Mapped[datetime | None] = mapped_column(default=None)


class ConversationRead(WorkspaceMixin, Base):
    """How far one user has read one conversation: every message up to ``read_at``."""

    __tablename__ = "conversation_read"

    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversation.id"), primary_key=True)
    read_at: Mapped[datetime]
    # The conversation's inbound_total when read: unread = inbound_total - read_inbound.
    read_inbound: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
