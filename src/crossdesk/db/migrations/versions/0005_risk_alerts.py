"""risk alerts

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crossdesk.db.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "risk_alert",
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.String(length=300), nullable=False),
        sa.Column("actor_id", sa.String(length=32), nullable=True),
        sa.Column("target_type", sa.String(length=32), nullable=True),
        sa.Column("target_id", sa.String(length=64), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", crossdesk.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_alert")),
    )
    op.create_index(
        "ix_risk_alert_open", "risk_alert", ["workspace_id", "status", "created_at"], unique=False
    )
    op.create_index(
        op.f("ix_risk_alert_workspace_id"), "risk_alert", ["workspace_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_risk_alert_workspace_id"), table_name="risk_alert")
    op.drop_index("ix_risk_alert_open", table_name="risk_alert")
    op.drop_table("risk_alert")
