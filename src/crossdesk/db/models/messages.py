"""Messages, their attachments, the delivery outbox and idempotency records."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from crossdesk.db.base import Base, CreatedMixin, IdMixin, WorkspaceMixin


class Message(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """One message. ``body_masked`` is what views, search and third-party engines see;
    ``body_raw_enc`` is the original, encrypted. For inbound messages ``translation`` is
    in the agent's language; for outbound ones it is what the customer receives."""

    __tablename__ = "message"
    __table_args__ = (
        # Platforms redeliver webhooks: the constraint, not a lookup, stores each once.
        UniqueConstraint("account_id", "platform_message_id"),
        Index("ix_message_conversation", "conversation_id", "created_at"),
        # Search: the newest matches first (search/repository.py, migration 0011).
        Index("ix_message_recent", "workspace_id", "created_at"),
    )

    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversation.id"))
    account_id: Mapped[str] = mapped_column(ForeignKey("channel_account.id"))
    direction: Mapped[str] = mapped_column(String(16))
    sender_user_id: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    sender_label: Mapped[str] = mapped_column(String(200), default="")
    body_masked: Mapped[str] = mapped_column(Text)
    body_raw_enc: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    language: Mapped[str | None] = mapped_column(String(16), default=None)
    language_status: Mapped[str] = mapped_column(String(32), default="not_detected")
    translation: Mapped[str | None] = mapped_column(Text, default=None)
    # Outbound only: the translation as the customer receives it (personal data restored),
    # encrypted like the raw body.
    outgoing_enc: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    translation_language: Mapped[str | None] = mapped_column(String(16), default=None)
    translation_engine: Mapped[str | None] = mapped_column(String(64), default=None)
    translation_status: Mapped[str] = mapped_column(String(32), default="not_translated")
    translation_note: Mapped[str | None] = mapped_column(String(300), default=None)
    guard_status: Mapped[str] = mapped_column(String(32), default="not_checked")
    guard_findings: Mapped[list[Any]] = mapped_column(default=list)
    pii_status: Mapped[str] = mapped_column(String(32), default="not_masked")
    pii_spans: Mapped[list[Any]] = mapped_column(default=list)
    stage_notes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16))
    platform_message_id: Mapped[str | None] = mapped_column(String(200), default=None)
    error: Mapped[str | None] = mapped_column(String(500), default=None)
    echo: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted_by_platform: Mapped[bool] = mapped_column(Boolean, default=False)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    status_at: Mapped[datetime | None] = mapped_column(default=None)


class Attachment(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    __tablename__ = "attachment"

    message_id: Mapped[str] = mapped_column(ForeignKey("message.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    content_type: Mapped[str | None] = mapped_column(String(200), default=None)
    filename: Mapped[str | None] = mapped_column(String(300), default=None)
    size: Mapped[int | None] = mapped_column(Integer, default=None)
    platform_file_id: Mapped[str | None] = mapped_column(String(300), default=None)
    url: Mapped[str | None] = mapped_column(String(2000), default=None)
    storage_path: Mapped[str | None] = mapped_column(String(500), default=None)


class Outbox(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """A message waiting for delivery, written in the same transaction as the message.

    state: pending → sending (claimed, lease running) → done | dead.
    A ``sending`` row whose lease ran out belonged to a worker that died mid-send.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "state", "next_attempt_at"),)

    message_id: Mapped[str] = mapped_column(ForeignKey("message.id"), unique=True)
    conversation_id: Mapped[str] = mapped_column(String(32), index=True)
    account_id: Mapped[str] = mapped_column(String(32))
    idempotency_key: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)


class IdempotencyRecord(WorkspaceMixin, CreatedMixin, Base):
    """Remembers a send request by its Idempotency-Key so a retry returns the same message."""

    __tablename__ = "idempotency_record"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(32))
