"""A workspace's sensitive-word lists, versioned; the guard engine compiles them."""

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crossdesk.db.base import Base, CreatedMixin, IdMixin, WorkspaceMixin, utcnow


class WordList(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    __tablename__ = "word_list"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(32))  # diversion, abuse, claims, custom
    action: Mapped[str] = mapped_column(String(16))  # block, warn, mask, alert
    severity: Mapped[int] = mapped_column(Integer, default=3)
    direction: Mapped[str] = mapped_column(String(16), default="both")
    # The list as the admin wrote it: one term per line, "#" comments, "term<TAB>category".
    terms_text: Mapped[str] = mapped_column(Text, default="")
    allow_text: Mapped[str] = mapped_column(Text, default="")
    format: Mapped[str] = mapped_column(String(8), default="txt")  # txt or csv
    version: Mapped[int] = mapped_column(Integer, default=1)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(32), default=None)
