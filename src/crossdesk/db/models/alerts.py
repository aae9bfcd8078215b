"""Risk alerts raised by the guard (and, later, by risk rules) for supervisors to handle."""

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from crossdesk.db.base import Base, CreatedMixin, IdMixin, WorkspaceMixin


class RiskAlert(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    __tablename__ = "risk_alert"
    __table_args__ = (
        Index("ix_risk_alert_open", "workspace_id", "status", "created_at"),
        # The notification worker's queue: alerts not yet announced and fanned out.
        Index("ix_risk_alert_dispatch", "dispatched_at", "created_at"),
    )

    kind: Mapped[str] = mapped_column(String(64))  # guard.diversion, guard.abuse, ...
    severity: Mapped[int] = mapped_column(Integer, default=3)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, acknowledged, resolved
    summary: Mapped[str] = mapped_column(String(300))
    actor_id: Mapped[str | None] = mapped_column(String(32), default=None)  # who caused it
    target_type: Mapped[str | None] = mapped_column(String(32), default=None)
    target_id: Mapped[str | None] = mapped_column(String(64), default=None)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Handling by a supervisor (actions/alert_handling.py); the notes are theirs, audited.
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    acknowledged_by: Mapped[str | None] = mapped_column(String(32), default=None)
    acknowledge_note: Mapped[str | None] = mapped_column(String(1000), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_by: Mapped[str | None] = mapped_column(String(32), default=None)
    resolve_note: Mapped[str | None] = mapped_column(String(1000), default=None)
    # Set by workers/alert_notifications.py once the alert was announced live and its
    # notification deliveries were queued; NULL means "still to do" (survives restarts).
    dispatched_at: Mapped[datetime | None] = mapped_column(default=None)
