"""Channel accounts: one company account on one platform."""

from typing import Any

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crossdesk.db.base import Base, CreatedMixin, IdMixin, WorkspaceMixin


class ChannelAccount(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    __tablename__ = "channel_account"
    __table_args__ = (UniqueConstraint("workspace_id", "kind", "external_id"),)

    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    # The platform's id for this account (phone number id, bot id, page id, ...).
    external_id: Mapped[str] = mapped_column(String(200))
    team_id: Mapped[str | None] = mapped_column(ForeignKey("team.id"), default=None)
    # Non-secret settings (api_base_url, ...); secrets live in the vault, never here.
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    proxy_url: Mapped[str | None] = mapped_column(String(500), default=None)
    health: Mapped[str] = mapped_column(String(32), default="connected")
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
