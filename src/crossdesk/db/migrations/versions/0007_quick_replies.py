"""quick replies

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crossdesk.db.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quick_reply",
        sa.Column("team_id", sa.String(length=32), nullable=True),
        sa.Column("shortcut", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", crossdesk.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_quick_reply_team_id_team")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quick_reply")),
        sa.UniqueConstraint(
            "workspace_id", "team_id", "shortcut", name=op.f("uq_quick_reply_workspace_id")
        ),
    )
    op.create_index(
        op.f("ix_quick_reply_workspace_id"), "quick_reply", ["workspace_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_quick_reply_workspace_id"), table_name="quick_reply")
    op.drop_table("quick_reply")
