"""Per-account care: send limits with a warm-up, the proxy's egress IP, and whether the
stored browser session is still logged in."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from crossdesk.db.base import Base, WorkspaceMixin, utcnow


class AccountSendLimit(WorkspaceMixin, Base):
    """An account's own send limits (no row: its platform's defaults, warm-up counted from
    the account's creation). ``None`` limits are unlimited. See domain/send_limits.py."""

    __tablename__ = "account_send_limit"

    account_id: Mapped[str] = mapped_column(ForeignKey("channel_account.id"), primary_key=True)
    per_hour: Mapped[int | None] = mapped_column(Integer, default=None)
    per_day: Mapped[int | None] = mapped_column(Integer, default=None)
    new_chats_per_day: Mapped[int | None] = mapped_column(Integer, default=None)
    warmup_days: Mapped[int] = mapped_column(Integer, default=0)
    warmup_start_percent: Mapped[int] = mapped_column(Integer, default=100)
    warmup_started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(32), default=None)


class AccountEgress(WorkspaceMixin, Base):
    """The address the platform sees: an IP-echo endpoint asked through the account's proxy.

    ``ip`` is the last successful answer (kept when a later check fails, with ``error``
    saying why), ``previous_ip`` the one before a change.
    """

    __tablename__ = "account_egress"

    account_id: Mapped[str] = mapped_column(ForeignKey("channel_account.id"), primary_key=True)
    ip: Mapped[str | None] = mapped_column(String(64), default=None)
    country: Mapped[str | None] = mapped_column(String(8), default=None)
    previous_ip: Mapped[str | None] = mapped_column(String(64), default=None)
    previous_country: Mapped[str | None] = mapped_column(String(8), default=None)
    via_proxy: Mapped[bool] = mapped_column(default=False)
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_at: Mapped[datetime | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(String(300), default=None)


class AccountWebCheck(WorkspaceMixin, Base):
    """The last "is the stored browser session still logged in?" check of an account
    (actions/web_session_health.py): ``logged_in`` or ``logged_out``."""

    __tablename__ = "account_web_check"

    account_id: Mapped[str] = mapped_column(ForeignKey("channel_account.id"), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(String(300), default="")
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
