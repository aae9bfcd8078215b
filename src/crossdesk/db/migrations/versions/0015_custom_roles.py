"""custom roles and user_account.custom_role_id

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crossdesk.db.base

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, crossdesk.db.base.UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "custom_role",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("base_role", sa.String(length=32), nullable=False),
        sa.Column("permissions", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        _when("archived_at"),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        _when("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_role")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_custom_role_workspace_id")),
    )
    op.create_index(
        op.f("ix_custom_role_workspace_id"), "custom_role", ["workspace_id"], unique=False
    )
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("custom_role_id", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("custom_role_id")
    op.drop_index(op.f("ix_custom_role_workspace_id"), table_name="custom_role")
    op.drop_table("custom_role")
