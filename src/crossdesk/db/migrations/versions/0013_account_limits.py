"""account send limits (warm-up), egress IPs and web-session checks

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crossdesk.db.base

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_send_limit",
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("per_hour", sa.Integer(), nullable=True),
        sa.Column("per_day", sa.Integer(), nullable=True),
        sa.Column("new_chats_per_day", sa.Integer(), nullable=True),
        sa.Column("warmup_days", sa.Integer(), nullable=False),
        sa.Column("warmup_start_percent", sa.Integer(), nullable=False),
        sa.Column(
            "warmup_started_at", crossdesk.db.base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("updated_at", crossdesk.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=32), nullable=True),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["channel_account.id"],
            name=op.f("fk_account_send_limit_account_id_channel_account"),
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_account_send_limit")),
    )
    with op.batch_alter_table("account_send_limit", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_send_limit_workspace_id"), ["workspace_id"], unique=False
        )
    op.create_table(
        "account_egress",
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("country", sa.String(length=8), nullable=True),
        sa.Column("previous_ip", sa.String(length=64), nullable=True),
        sa.Column("previous_country", sa.String(length=8), nullable=True),
        sa.Column("via_proxy", sa.Boolean(), nullable=False),
        sa.Column("checked_at", crossdesk.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("changed_at", crossdesk.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["channel_account.id"],
            name=op.f("fk_account_egress_account_id_channel_account"),
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_account_egress")),
    )
    with op.batch_alter_table("account_egress", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_egress_workspace_id"), ["workspace_id"], unique=False
        )
    op.create_table(
        "account_web_check",
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.Column("checked_at", crossdesk.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["channel_account.id"],
            name=op.f("fk_account_web_check_account_id_channel_account"),
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_account_web_check")),
    )
    with op.batch_alter_table("account_web_check", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_web_check_workspace_id"), ["workspace_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("account_web_check", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_web_check_workspace_id"))
    op.drop_table("account_web_check")
    with op.batch_alter_table("account_egress", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_egress_workspace_id"))
    op.drop_table("account_egress")
    with op.batch_alter_table("account_send_limit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_send_limit_workspace_id"))
    op.drop_table("account_send_limit")
