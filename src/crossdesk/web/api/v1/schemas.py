"""HTTP schemas of API v1. Inputs forbid unknown fields; outputs never carry raw bodies."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from crossdesk.db.models import Message
from crossdesk.db.repositories import ConversationRow


def redacted_id(value: str) -> str:
    """A platform id with all but its last four characters hidden (WhatsApp ids are phone
    numbers): enough to tell two customers apart, not enough to call one."""
    return "*" * max(0, len(value) - 4) + value[-4:]


class StrictInput(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SendIn(StrictInput):
    text: Annotated[str, Field(min_length=1, max_length=4096)]
    # The agent's own translation, used instead of the machine's (still guard-checked).
    translation: Annotated[str | None, Field(max_length=4096)] = None
    # Send without translation even though the text is not in the customer's language.
    send_as_written: bool = False
    # Send although warn-level words were found (the choice is audited).
    confirm_warnings: bool = False


class AssignIn(StrictInput):
    assignee_id: Annotated[str | None, Field(max_length=32)]


class StatusIn(StrictInput):
    status: Literal["open", "resolved"]


class AccountOut(BaseModel):
    id: str
    name: str
    kind: str


class ContactOut(BaseModel):
    id: str
    display_name: str
    language: str | None
    platform_user_id: str


class LabelOut(BaseModel):
    id: str
    name: str
    colour: str


class ConversationOut(BaseModel):
    id: str
    status: str
    account: AccountOut
    contact: ContactOut
    team_id: str | None
    assignee_id: str | None
    assignee_name: str | None
    last_message_at: datetime | None
    last_message_preview: str
    unread_count: int  # the caller's own unread inbound messages where known
    labels: list[LabelOut] = []

    @classmethod
    def of(cls, row: ConversationRow, *, reveal_ids: bool = False) -> "ConversationOut":
        """``reveal_ids``: the viewer holds pii.reveal (platform ids are often phone numbers)."""
        c = row.conversation
        return cls(
            id=c.id,
            status=c.status,
            account=AccountOut(id=row.account.id, name=row.account.name, kind=row.account.kind),
            contact=ContactOut(
                id=row.contact.id,
                display_name=row.contact.display_name,
                language=row.contact.language,
                platform_user_id=(
                    row.contact.platform_user_id
                    if reveal_ids
                    else redacted_id(row.contact.platform_user_id)
                ),
            ),
            team_id=c.team_id,
            assignee_id=c.assignee_id,
            assignee_name=row.assignee_name,
            last_message_at=c.last_message_at,
            last_message_preview=c.last_message_preview,
            unread_count=c.unread_count if row.unread is None else row.unread,
            labels=[LabelOut(id=x.id, name=x.name, colour=x.colour) for x in row.labels],
        )


class MessageOut(BaseModel):
    id: str
    conversation_id: str
    direction: str
    sender: str
    text: str
    language: str | None
    translation: str | None
    translation_language: str | None
    translation_status: str
    translation_engine: str | None
    translation_note: str | None
    guard_status: str
    guard_findings: list[dict[str, Any]]
    pii_status: str
    status: str
    error: str | None
    echo: bool
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def of(cls, m: Message) -> "MessageOut":
        return cls(
            id=m.id,
            conversation_id=m.conversation_id,
            direction=m.direction,
            sender=m.sender_label,
            text=m.body_masked,
            language=m.language,
            translation=m.translation,
            translation_language=m.translation_language,
            translation_status=m.translation_status,
            translation_engine=m.translation_engine,
            translation_note=m.translation_note,
            guard_status=m.guard_status,
            guard_findings=m.guard_findings,
            pii_status=m.pii_status,
            status=m.status,
            error=m.error,
            echo=m.echo,
            created_at=m.created_at,
            sent_at=m.sent_at,
        )


class MeOut(BaseModel):
    id: str
    workspace_id: str
    display_name: str
    role: str
    language: str
    team_ids: list[str]
    permissions: list[str]
