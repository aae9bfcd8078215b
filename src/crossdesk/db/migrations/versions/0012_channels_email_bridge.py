"""channels: e-mail cursors and thread index, WhatsApp bridge sessions, outbound metadata

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crossdesk.db.base

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "email_cursor",
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("mailbox", sa.String(length=200), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", crossdesk.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["channel_account.id"],
            name=op.f("fk_email_cursor_account_id_channel_account"),
        ),
        sa.PrimaryKeyConstraint("account_id", "mailbox", name=op.f("pk_email_cursor")),
    )
    op.create_index(
        op.f("ix_email_cursor_workspace_id"), "email_cursor", ["workspace_id"], unique=False
    )
    op.create_table(
        "email_thread",
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("message_id_header", sa.String(length=500), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("references", sa.Text(), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", crossdesk.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["channel_account.id"],
            name=op.f("fk_email_thread_account_id_channel_account"),
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversation.id"],
            name=op.f("fk_email_thread_conversation_id_conversation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_thread")),
        sa.UniqueConstraint(
            "account_id", "message_id_header", name=op.f("uq_email_thread_account_id")
        ),
    )
    op.create_index(
        "ix_email_thread_conversation",
        "email_thread",
        ["conversation_id", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_email_thread_workspace_id"), "email_thread", ["workspace_id"], unique=False
    )
    op.create_table(
        "bridge_session",
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("session_name", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("me_id", sa.String(length=100), nullable=True),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.Column("updated_at", crossdesk.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["channel_account.id"],
            name=op.f("fk_bridge_session_account_id_channel_account"),
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_bridge_session")),
    )
    op.create_index(
        op.f("ix_bridge_session_workspace_id"), "bridge_session", ["workspace_id"], unique=False
    )
    op.create_table(
        "outbound_metadata",
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["message.id"],
            name=op.f("fk_outbound_metadata_message_id_message"),
        ),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_outbound_metadata")),
    )
    op.create_index(
        op.f("ix_outbound_metadata_workspace_id"),
        "outbound_metadata",
        ["workspace_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_outbound_metadata_workspace_id"), table_name="outbound_metadata")
    op.drop_table("outbound_metadata")
    op.drop_index(op.f("ix_bridge_session_workspace_id"), table_name="bridge_session")
    op.drop_table("bridge_session")
    op.drop_index(op.f("ix_email_thread_workspace_id"), table_name="email_thread")
    op.drop_index("ix_email_thread_conversation", table_name="email_thread")
    op.drop_table("email_thread")
    op.drop_index(op.f("ix_email_cursor_workspace_id"), table_name="email_cursor")
    op.drop_table("email_cursor")
