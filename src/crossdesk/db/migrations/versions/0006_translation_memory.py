"""translation cache, translation memory, usage and quotas

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crossdesk.db.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "translation_cache",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("engine", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("glossary_version", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("translation", sa.Text(), nullable=False),
        sa.Column("created_at", crossdesk.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_translation_cache")),
    )
    op.create_table(
        "translation_memory",
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("source_hash", sa.String(length=64), nullable=False),
        sa.Column("source_text", sa.Text(), nullable=False),
        sa.Column("translation", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=True),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("updated_at", crossdesk.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", crossdesk.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_translation_memory")),
        sa.UniqueConstraint(
            "workspace_id",
            "source",
            "target",
            "source_hash",
            name=op.f("uq_translation_memory_workspace_id"),
        ),
    )
    with op.batch_alter_table("translation_memory", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_translation_memory_message_id"), ["message_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_translation_memory_workspace_id"), ["workspace_id"], unique=False
        )

    op.create_table(
        "translation_quota",
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("monthly_characters", sa.Integer(), nullable=False),
        sa.Column("updated_at", crossdesk.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_translation_quota")),
    )
    op.create_table(
        "translation_usage",
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("engine", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("characters", sa.Integer(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "workspace_id", "day", "engine", "user_id", name=op.f("pk_translation_usage")
        ),
    )
    with op.batch_alter_table("translation_usage", schema=None) as batch_op:
        batch_op.create_index("ix_translation_usage_day", ["workspace_id", "day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("translation_usage", schema=None) as batch_op:
        batch_op.drop_index("ix_translation_usage_day")

    op.drop_table("translation_usage")
    op.drop_table("translation_quota")
    with op.batch_alter_table("translation_memory", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_translation_memory_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_translation_memory_message_id"))

    op.drop_table("translation_memory")
    op.drop_table("translation_cache")
