"""Per-account connector state that is not a message: IMAP cursors, the e-mail thread index,
WhatsApp bridge (WAHA) sessions and the extra fields of an outbound message (templates)."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crossdesk.db.base import Base, CreatedMixin, IdMixin, WorkspaceMixin


class EmailCursor(WorkspaceMixin, Base):
    """How far an IMAP mailbox has been read: UIDs are only comparable within one
    UIDVALIDITY (RFC 3501 §2.3.1.1), so both are kept; a new UIDVALIDITY restarts at 0
    (already stored mail is then refused by the message unique constraint)."""

    __tablename__ = "email_cursor"

    account_id: Mapped[str] = mapped_column(ForeignKey("channel_account.id"), primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(200), primary_key=True)
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime]


class EmailThread(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """One e-mail (received or sent) by its Message-ID, and the conversation of its thread.

    A new mail joins the conversation of the first known id in its In-Reply-To/References;
    replies are built from the newest row of a conversation (subject, references).
    """

    __tablename__ = "email_thread"
    __table_args__ = (
        UniqueConstraint("account_id", "message_id_header"),
        Index("ix_email_thread_conversation", "conversation_id", "created_at"),
    )

    account_id: Mapped[str] = mapped_column(ForeignKey("channel_account.id"))
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversation.id"))
    message_id_header: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(500), default="")
    # The mail's own References chain (oldest first, space separated), without itself.
    references: Mapped[str] = mapped_column(Text, default="")
    direction: Mapped[str] = mapped_column(String(16))


class BridgeSession(WorkspaceMixin, Base):
    """The WhatsApp-Web bridge (WAHA) session of one account, as last reported."""

    __tablename__ = "bridge_session"

    account_id: Mapped[str] = mapped_column(ForeignKey("channel_account.id"), primary_key=True)
    session_name: Mapped[str] = mapped_column(String(100))
    # STOPPED, STARTING, SCAN_QR_CODE, WORKING, FAILED (WAHA's own values), or UNKNOWN.
    status: Mapped[str] = mapped_column(String(32), default="UNKNOWN")
    me_id: Mapped[str | None] = mapped_column(String(100), default=None)
    detail: Mapped[str] = mapped_column(String(300), default="")
    updated_at: Mapped[datetime]


class OutboundMetadata(WorkspaceMixin, Base):
    """Platform fields of one outbound message (``OutboundMessage.metadata``), such as a
    WhatsApp template's name, language and parameters."""

    __tablename__ = "outbound_metadata"

    message_id: Mapped[str] = mapped_column(ForeignKey("message.id"), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
