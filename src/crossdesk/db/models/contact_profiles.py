"""What colleagues write about a contact: notes and custom attributes."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crossdesk.db.base import Base, WorkspaceMixin, utcnow


class ContactProfile(WorkspaceMixin, Base):
    __tablename__ = "contact_profile"

    contact_id: Mapped[str] = mapped_column(ForeignKey("contact.id"), primary_key=True)
    # Masked like a message body: colleagues paste phone numbers into notes.
    notes: Mapped[str] = mapped_column(Text, default="")
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(32), default=None)
