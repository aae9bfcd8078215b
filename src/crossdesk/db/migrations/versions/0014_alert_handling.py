"""alert handling: acknowledge/resolve columns, notification settings and deliveries

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crossdesk.db.base

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UtcDateTime = crossdesk.db.base.UtcDateTime


def upgrade() -> None:
    with op.batch_alter_table("risk_alert") as batch:
        batch.add_column(sa.Column("acknowledged_at", UtcDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("acknowledged_by", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("acknowledge_note", sa.String(length=1000), nullable=True))
        batch.add_column(sa.Column("resolved_at", UtcDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("resolved_by", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("resolve_note", sa.String(length=1000), nullable=True))
        batch.add_column(sa.Column("dispatched_at", UtcDateTime(timezone=True), nullable=True))
        batch.create_index("ix_risk_alert_dispatch", ["dispatched_at", "created_at"], unique=False)
    # Alerts raised before this change count as announced: no flood of old notifications.
    op.execute("UPDATE risk_alert SET dispatched_at = created_at")

    op.create_table(
        "alert_notification_settings",
        sa.Column("min_severity", sa.Integer(), nullable=False),
        sa.Column("webhook_enabled", sa.Boolean(), nullable=False),
        sa.Column("webhook_url", sa.String(length=2000), nullable=True),
        sa.Column("email_enabled", sa.Boolean(), nullable=False),
        sa.Column("email_to", sa.String(length=1000), nullable=True),
        sa.Column("email_from", sa.String(length=320), nullable=True),
        sa.Column("smtp_host", sa.String(length=255), nullable=True),
        sa.Column("smtp_port", sa.Integer(), nullable=False),
        sa.Column("smtp_security", sa.String(length=16), nullable=False),
        sa.Column("smtp_username", sa.String(length=320), nullable=True),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=32), nullable=True),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_notification_settings")),
    )
    op.create_index(
        "uq_alert_notification_settings_ws",
        "alert_notification_settings",
        ["workspace_id"],
        unique=True,
    )
    op.create_index(
        op.f("ix_alert_notification_settings_workspace_id"),
        "alert_notification_settings",
        ["workspace_id"],
        unique=False,
    )

    op.create_table(
        "alert_delivery",
        sa.Column("alert_id", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("lease_until", UtcDateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["risk_alert.id"], name=op.f("fk_alert_delivery_alert_id_risk_alert")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_delivery")),
    )
    op.create_index(
        op.f("ix_alert_delivery_alert_id"), "alert_delivery", ["alert_id"], unique=False
    )
    op.create_index(
        "ix_alert_delivery_due", "alert_delivery", ["state", "next_attempt_at"], unique=False
    )
    op.create_index(
        op.f("ix_alert_delivery_workspace_id"), "alert_delivery", ["workspace_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_alert_delivery_workspace_id"), table_name="alert_delivery")
    op.drop_index("ix_alert_delivery_due", table_name="alert_delivery")
    op.drop_index(op.f("ix_alert_delivery_alert_id"), table_name="alert_delivery")
    op.drop_table("alert_delivery")
    op.drop_index(
        op.f("ix_alert_notification_settings_workspace_id"),
        table_name="alert_notification_settings",
    )
    op.drop_index("uq_alert_notification_settings_ws", table_name="alert_notification_settings")
    op.drop_table("alert_notification_settings")
    with op.batch_alter_table("risk_alert") as batch:
        batch.drop_index("ix_risk_alert_dispatch")
        for column in (
            "dispatched_at",
            "resolve_note",
            "resolved_by",
            "resolved_at",
            "acknowledge_note",
            "acknowledged_by",
            "acknowledged_at",
        ):
            batch.drop_column(column)
