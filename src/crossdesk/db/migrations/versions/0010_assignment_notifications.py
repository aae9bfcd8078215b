"""assignment notifications: team assignment policies, agent presence and capacity,
in-app notifications and their per-user settings

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crossdesk.db.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UtcDateTime = crossdesk.db.base.UtcDateTime


def upgrade() -> None:
    op.create_table(
        "assignment_policy",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("auto_assign", sa.Boolean(), nullable=False),
        sa.Column("default_capacity", sa.Integer(), nullable=False),
        sa.Column("offline_return_minutes", sa.Integer(), nullable=True),
        sa.Column("last_assigned_user_id", sa.String(length=32), nullable=True),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_assignment_policy_team_id_team")
        ),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_assignment_policy")),
    )
    op.create_index(
        op.f("ix_assignment_policy_workspace_id"),
        "assignment_policy",
        ["workspace_id"],
        unique=False,
    )
    op.create_table(
        "agent_state",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("availability", sa.String(length=16), nullable=False),
        sa.Column("last_heartbeat_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_agent_state_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_agent_state")),
    )
    op.create_index(
        op.f("ix_agent_state_workspace_id"), "agent_state", ["workspace_id"], unique=False
    )
    op.create_table(
        "notification",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=True),
        sa.Column("message_id", sa.String(length=32), nullable=True),
        sa.Column("actor_id", sa.String(length=32), nullable=True),
        sa.Column("summary", sa.String(length=300), nullable=False),
        sa.Column("collapse_key", sa.String(length=80), nullable=True),
        sa.Column("read_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_notification_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("user_id", "collapse_key", name=op.f("uq_notification_user_id")),
    )
    op.create_index(
        "ix_notification_inbox",
        "notification",
        ["user_id", "read_at", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_notification_workspace_id"), "notification", ["workspace_id"], unique=False
    )
    op.create_table(
        "notification_setting",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("browser", sa.Boolean(), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_notification_setting_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_setting")),
    )
    op.create_index(
        op.f("ix_notification_setting_workspace_id"),
        "notification_setting",
        ["workspace_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_notification_setting_workspace_id"), table_name="notification_setting")
    op.drop_table("notification_setting")
    op.drop_index(op.f("ix_notification_workspace_id"), table_name="notification")
    op.drop_index("ix_notification_inbox", table_name="notification")
    op.drop_table("notification")
    op.drop_index(op.f("ix_agent_state_workspace_id"), table_name="agent_state")
    op.drop_table("agent_state")
    op.drop_index(op.f("ix_assignment_policy_workspace_id"), table_name="assignment_policy")
    op.drop_table("assignment_policy")
