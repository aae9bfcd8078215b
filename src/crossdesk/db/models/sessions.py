"""Browser sessions of accounts: the sealed storage state and who holds it now."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from crossdesk.db.base import Base, CreatedMixin, IdMixin, WorkspaceMixin


class AccountSession(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """One per account. ``state_enc`` is the Playwright storage state (cookies,
    localStorage, IndexedDB), zlib-compressed JSON sealed in the vault (purpose
    ``session.state``). The lease says who drives the session now; history is the audit log.
    """

    __tablename__ = "account_session"

    account_id: Mapped[str] = mapped_column(ForeignKey("channel_account.id"), unique=True)
    state_enc: Mapped[bytes] = mapped_column(LargeBinary)
    # Incremented on every capture and check-in: a check-in names the version it started from.
    state_version: Mapped[int] = mapped_column(Integer, default=1)
    state_updated_at: Mapped[datetime]
    state_updated_by: Mapped[str | None] = mapped_column(
        ForeignKey("user_account.id"), default=None
    )
    lease_holder_id: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    # SHA-256 of the lease token the holder received (the token itself is never stored).
    lease_token_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    leased_at: Mapped[datetime | None] = mapped_column(default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(default=None)
