"""Vault records: secrets sealed with envelope encryption (see crossdesk.vault)."""

from sqlalchemy import LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crossdesk.db.base import Base, CreatedMixin, IdMixin, WorkspaceMixin


class Secret(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    __tablename__ = "secret"
    __table_args__ = (UniqueConstraint("owner_id", "name"),)

    owner_type: Mapped[str] = mapped_column(String(32))  # channel_account, ...
    owner_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))  # access_token, webhook_secret, ...
    blob: Mapped[bytes] = mapped_column(LargeBinary)
