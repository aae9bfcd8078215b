"""labels, saved views, read markers, contact profiles and contact.person_id

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crossdesk.db.base

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, crossdesk.db.base.UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("contact") as batch:
        batch.add_column(sa.Column("person_id", sa.String(length=32), nullable=True))
        batch.create_index(batch.f("ix_contact_person_id"), ["person_id"], unique=False)
        batch.create_index("ix_contact_identity", ["workspace_id", "platform_user_id"])
    with op.batch_alter_table("conversation") as batch:
        batch.add_column(
            sa.Column("inbound_total", sa.Integer(), server_default="0", nullable=False)
        )
    # Conversations that exist already: count their inbound messages once.
    op.execute(
        "UPDATE conversation SET inbound_total = (SELECT count(*) FROM message"
        " WHERE message.conversation_id = conversation.id AND message.direction = 'inbound')"
    )

    op.create_table(
        "label",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("colour", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        _when("archived_at"),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        _when("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_label")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_label_workspace_id")),
    )
    op.create_index(op.f("ix_label_workspace_id"), "label", ["workspace_id"], unique=False)

    for table, target in (("conversation_label", "conversation"), ("contact_label", "contact")):
        op.create_table(
            table,
            sa.Column(f"{target}_id", sa.String(length=32), nullable=False),
            sa.Column("label_id", sa.String(length=32), nullable=False),
            sa.Column("created_by", sa.String(length=32), nullable=True),
            _when("removed_at"),
            sa.Column("workspace_id", sa.String(length=32), nullable=False),
            _when("created_at", nullable=False),
            sa.ForeignKeyConstraint(
                [f"{target}_id"],
                [f"{target}.id"],
                name=op.f(f"fk_{table}_{target}_id_{target}"),
            ),
            sa.ForeignKeyConstraint(
                ["label_id"], ["label.id"], name=op.f(f"fk_{table}_label_id_label")
            ),
            sa.PrimaryKeyConstraint(f"{target}_id", "label_id", name=op.f(f"pk_{table}")),
        )
        op.create_index(op.f(f"ix_{table}_workspace_id"), table, ["workspace_id"], unique=False)
        op.create_index(f"ix_{table}_label", table, ["label_id", f"{target}_id"], unique=False)

    op.create_table(
        "saved_view",
        sa.Column("owner_id", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=True),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        _when("archived_at"),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        _when("created_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["user_account.id"], name=op.f("fk_saved_view_owner_id_user_account")
        ),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_saved_view_team_id_team")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_view")),
    )
    for column in ("owner_id", "team_id", "workspace_id"):
        op.create_index(op.f(f"ix_saved_view_{column}"), "saved_view", [column], unique=False)

    op.create_table(
        "conversation_read",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        _when("read_at", nullable=False),
        sa.Column("read_inbound", sa.Integer(), server_default="0", nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversation.id"],
            name=op.f("fk_conversation_read_conversation_id_conversation"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_conversation_read_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("user_id", "conversation_id", name=op.f("pk_conversation_read")),
    )
    op.create_index(
        op.f("ix_conversation_read_workspace_id"),
        "conversation_read",
        ["workspace_id"],
        unique=False,
    )

    op.create_table(
        "contact_profile",
        sa.Column("contact_id", sa.String(length=32), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        _when("updated_at", nullable=False),
        sa.Column("updated_by", sa.String(length=32), nullable=True),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contact.id"], name=op.f("fk_contact_profile_contact_id_contact")
        ),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("pk_contact_profile")),
    )
    op.create_index(
        op.f("ix_contact_profile_workspace_id"), "contact_profile", ["workspace_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_contact_profile_workspace_id"), table_name="contact_profile")
    op.drop_table("contact_profile")
    op.drop_index(op.f("ix_conversation_read_workspace_id"), table_name="conversation_read")
    op.drop_table("conversation_read")
    for column in ("owner_id", "team_id", "workspace_id"):
        op.drop_index(op.f(f"ix_saved_view_{column}"), table_name="saved_view")
    op.drop_table("saved_view")
    for table in ("contact_label", "conversation_label"):
        op.drop_index(f"ix_{table}_label", table_name=table)
        op.drop_index(op.f(f"ix_{table}_workspace_id"), table_name=table)
        op.drop_table(table)
    op.drop_index(op.f("ix_label_workspace_id"), table_name="label")
    op.drop_table("label")
    with op.batch_alter_table("conversation") as batch:
        batch.drop_column("inbound_total")
    with op.batch_alter_table("contact") as batch:
        batch.drop_index("ix_contact_identity")
        batch.drop_index(batch.f("ix_contact_person_id"))
        batch.drop_column("person_id")
