"""risk rules: stored rule sets, the live worker's cursor, firings, approvals, account locks

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crossdesk.db.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UtcDateTime = crossdesk.db.base.UtcDateTime


def _common() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "risk_rule_set",
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=32), nullable=True),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        *_common(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_rule_set")),
        sa.UniqueConstraint("workspace_id", name="uq_risk_rule_set_workspace"),
    )
    op.create_index(
        op.f("ix_risk_rule_set_workspace_id"), "risk_rule_set", ["workspace_id"], unique=False
    )
    op.create_table(
        "risk_rule_cursor",
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_risk_rule_cursor")),
    )
    op.create_table(
        "risk_rule_firing",
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("dedupe_key", sa.String(length=64), nullable=False),
        sa.Column("group", sa.JSON(), nullable=False),
        sa.Column("period_start", UtcDateTime(timezone=True), nullable=False),
        sa.Column("at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("subject_user_id", sa.String(length=32), nullable=True),
        sa.Column("subject_account_id", sa.String(length=32), nullable=True),
        sa.Column("alert_id", sa.String(length=32), nullable=True),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        *_common(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_rule_firing")),
        sa.UniqueConstraint("workspace_id", "dedupe_key", name="uq_risk_rule_firing_key"),
    )
    op.create_index(
        op.f("ix_risk_rule_firing_workspace_id"),
        "risk_rule_firing",
        ["workspace_id"],
        unique=False,
    )
    op.create_table(
        "risk_approval",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("firing_id", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=32), nullable=True),
        sa.Column("decided_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("used_for", sa.String(length=64), nullable=True),
        sa.Column("used_at", UtcDateTime(timezone=True), nullable=True),
        *_common(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_approval")),
    )
    op.create_index("ix_risk_approval_user", "risk_approval", ["workspace_id", "user_id", "status"])
    op.create_index(
        op.f("ix_risk_approval_workspace_id"), "risk_approval", ["workspace_id"], unique=False
    )
    op.create_table(
        "risk_account_lock",
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("firing_id", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("unlocked_by", sa.String(length=32), nullable=True),
        sa.Column("unlocked_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        *_common(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_account_lock")),
    )
    op.create_index(
        "ix_risk_account_lock_active",
        "risk_account_lock",
        ["workspace_id", "account_id", "active"],
    )
    op.create_index(
        op.f("ix_risk_account_lock_workspace_id"),
        "risk_account_lock",
        ["workspace_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_risk_account_lock_workspace_id"), table_name="risk_account_lock")
    op.drop_index("ix_risk_account_lock_active", table_name="risk_account_lock")
    op.drop_table("risk_account_lock")
    op.drop_index(op.f("ix_risk_approval_workspace_id"), table_name="risk_approval")
    op.drop_index("ix_risk_approval_user", table_name="risk_approval")
    op.drop_table("risk_approval")
    op.drop_index(op.f("ix_risk_rule_firing_workspace_id"), table_name="risk_rule_firing")
    op.drop_table("risk_rule_firing")
    op.drop_table("risk_rule_cursor")
    op.drop_index(op.f("ix_risk_rule_set_workspace_id"), table_name="risk_rule_set")
    op.drop_table("risk_rule_set")
