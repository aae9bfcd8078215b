"""Where a workspace's new alerts are sent (webhook, email) and the delivery queue.

Secrets (the webhook signing secret, the SMTP password) are not here: they are sealed in
the vault (``secret`` rows owned by the workspace).
"""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from crossdesk.db.base import Base, CreatedMixin, IdMixin, WorkspaceMixin, utcnow


class AlertNotificationSettings(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """One row per workspace, edited by an admin."""

    __tablename__ = "alert_notification_settings"
    __table_args__ = (Index("uq_alert_notification_settings_ws", "workspace_id", unique=True),)

    min_severity: Mapped[int] = mapped_column(Integer, default=1)
    webhook_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    webhook_url: Mapped[str | None] = mapped_column(String(2000), default=None)
    email_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    email_to: Mapped[str | None] = mapped_column(String(1000), default=None)  # comma-separated
    email_from: Mapped[str | None] = mapped_column(String(320), default=None)
    smtp_host: Mapped[str | None] = mapped_column(String(255), default=None)
    smtp_port: Mapped[int] = mapped_column(Integer, default=587)
    smtp_security: Mapped[str] = mapped_column(String(16), default="starttls")  # none|starttls|tls
    smtp_username: Mapped[str | None] = mapped_column(String(320), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(32), default=None)


class AlertDelivery(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """One notification of one alert on one channel, written with the alert's dispatch.

    state: pending → sending (claimed, lease running) → done | dead. A ``sending`` row
    whose lease ran out belonged to a worker that died: it is retried (receivers dedupe on
    the delivery id, which is sent with every attempt).
    """

    __tablename__ = "alert_delivery"
    __table_args__ = (Index("ix_alert_delivery_due", "state", "next_attempt_at"),)

    alert_id: Mapped[str] = mapped_column(ForeignKey("risk_alert.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # webhook | email
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(String(300), default=None)
