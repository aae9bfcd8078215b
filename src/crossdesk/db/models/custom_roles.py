"""Custom roles: a named set of permissions on top of a fixed base role."""

from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crossdesk.db.base import Base, CreatedMixin, IdMixin, WorkspaceMixin


class CustomRole(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """The base role (agent, supervisor, auditor, admin) decides conversation scoping; the
    permission list (validated ``Permission`` values) replaces the base role's permissions."""

    __tablename__ = "custom_role"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    name: Mapped[str] = mapped_column(String(60))
    base_role: Mapped[str] = mapped_column(String(32))
    permissions: Mapped[list[Any]] = mapped_column(default=list)
    created_by: Mapped[str | None] = mapped_column(String(32), default=None)
    # Archived, never deleted: users holding it fall back to the base role's permissions.
    archived_at: Mapped[datetime | None] = mapped_column(default=None)
