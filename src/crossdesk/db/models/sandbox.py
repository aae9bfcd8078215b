"""Storage of the built-in sandbox *platform* (the simulated messenger), not of crossdesk.

The sandbox platform keeps its own record of what customers wrote and what the business
sent, exactly as a real platform would; crossdesk talks to it only through the sandbox
channel adapter and its webhook.
"""

from sqlalchemy import Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crossdesk.db.base import Base, CreatedMixin, IdMixin


class SandboxMessage(IdMixin, CreatedMixin, Base):
    __tablename__ = "sandbox_message"

    account_external_id: Mapped[str] = mapped_column(String(200), index=True)
    contact_id: Mapped[str] = mapped_column(String(200), index=True)
    # to_business: the customer wrote it; from_business: the company's reply.
    direction: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    client_key: Mapped[str | None] = mapped_column(String(200), unique=True, default=None)
    read_by_customer: Mapped[bool] = mapped_column(Boolean, default=False)
