"""Risk rules: the stored rule set, the worker's cursor, what fired, and the restrictions
the rules' actions impose (pending approvals, account checkout locks)."""

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crossdesk.db.base import Base, CreatedMixin, IdMixin, WorkspaceMixin, utcnow


class RiskRuleSet(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """A workspace's rules file (TOML text). Without a row the shipped defaults apply."""

    __tablename__ = "risk_rule_set"
    __table_args__ = (UniqueConstraint("workspace_id", name="uq_risk_rule_set_workspace"),)

    text: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str | None] = mapped_column(String(32), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RiskRuleCursor(WorkspaceMixin, Base):
    """The last audit event (seq) of the workspace the live worker has evaluated. Moved in
    the same transaction as the firings it led to, so a restart neither skips nor repeats."""

    __tablename__ = "risk_rule_cursor"

    workspace_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RiskRuleFiring(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """One rule firing; unique per rule, group and window period (``dedupe_key``)."""

    __tablename__ = "risk_rule_firing"
    __table_args__ = (
        UniqueConstraint("workspace_id", "dedupe_key", name="uq_risk_rule_firing_key"),
    )

    rule_id: Mapped[str] = mapped_column(String(64))
    dedupe_key: Mapped[str] = mapped_column(String(64))
    group: Mapped[dict[str, Any]] = mapped_column(default=dict)
    period_start: Mapped[datetime]
    at: Mapped[datetime]
    value: Mapped[int] = mapped_column(Integer)
    severity: Mapped[int] = mapped_column(Integer)
    subject_user_id: Mapped[str | None] = mapped_column(String(32), default=None)
    subject_account_id: Mapped[str | None] = mapped_column(String(32), default=None)
    alert_id: Mapped[str | None] = mapped_column(String(32), default=None)
    actions: Mapped[list[Any]] = mapped_column(default=list)
    evidence: Mapped[list[Any]] = mapped_column(default=list)  # audit event ids


class RiskApproval(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """A rule demanded that a supervisor approve the user's next sensitive action.

    pending: the user's PII reveals, exports and session checkouts are refused;
    approved: the next one goes through and marks the row used.
    """

    __tablename__ = "risk_approval"
    __table_args__ = (Index("ix_risk_approval_user", "workspace_id", "user_id", "status"),)

    user_id: Mapped[str] = mapped_column(String(32))
    rule_id: Mapped[str] = mapped_column(String(64))
    firing_id: Mapped[str | None] = mapped_column(String(32), default=None)
    reason: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending/approved/used
    decided_by: Mapped[str | None] = mapped_column(String(32), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    note: Mapped[str | None] = mapped_column(String(500), default=None)
    used_for: Mapped[str | None] = mapped_column(String(64), default=None)
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class RiskAccountLock(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """A rule locked a platform account's session checkout until a supervisor unlocks it."""

    __tablename__ = "risk_account_lock"
    __table_args__ = (Index("ix_risk_account_lock_active", "workspace_id", "account_id", "active"),)

    account_id: Mapped[str] = mapped_column(String(32))
    rule_id: Mapped[str] = mapped_column(String(64))
    firing_id: Mapped[str | None] = mapped_column(String(32), default=None)
    reason: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    unlocked_by: Mapped[str | None] = mapped_column(String(32), default=None)
    unlocked_at: Mapped[datetime | None] = mapped_column(default=None)
    note: Mapped[str | None] = mapped_column(String(500), default=None)
