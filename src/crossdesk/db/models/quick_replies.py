"""Canned replies, written once in the agent's language and sent translated."""

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crossdesk.db.base import Base, CreatedMixin, IdMixin, WorkspaceMixin


class QuickReply(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    __tablename__ = "quick_reply"
    __table_args__ = (UniqueConstraint("workspace_id", "team_id", "shortcut"),)

    # None: the whole workspace; otherwise only that team's members see it.
    team_id: Mapped[str | None] = mapped_column(ForeignKey("team.id"), default=None)
    shortcut: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(32), default=None)
