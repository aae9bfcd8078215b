"""Export the contacts a person may see as CSV: the "take the customers with me" risk.

The export carries only what agents see (masked names, no platform ids), is held back when a
risk rule demands a supervisor's approval, and is audited with the number of contacts, which
the shipped rule ``export-many-contacts`` watches. Read and audit run in two sessions one
after the other, never overlapping (ADR 0002: one SQLite connection).
"""

from sqlalchemy import exists, select

from crossdesk.actions.risk_actions import check_clearance, refuse_if_not_cleared
from crossdesk.db.models import ChannelAccount, Contact, Conversation
from crossdesk.db.session import transaction
from crossdesk.domain import Permission
from crossdesk.errors import PermissionDenied
from crossdesk.risk import audit
from crossdesk.risk.rbac import Principal, conversation_scope
from crossdesk.services import Services

HEADER = ["contact_id", "person_id", "name", "platform", "account", "language", "country", "since"]


async def export_contacts(
    services: Services, principal: Principal, actor: audit.Actor
) -> list[list[str]]:
    """The CSV rows (header first) of every contact with a conversation in the caller's scope."""
    if not principal.can(Permission.EXPORT):
        raise PermissionDenied("your role lacks the permission: export")
    workspace_id = principal.workspace_id
    await refuse_if_not_cleared(services, workspace_id, principal.user_id, "export", actor)
    statement = (
        select(Contact, ChannelAccount)
        .join(ChannelAccount, ChannelAccount.id == Contact.account_id)
        .where(
            Contact.workspace_id == workspace_id,
            exists().where(Conversation.contact_id == Contact.id, conversation_scope(principal)),
        )
        .order_by(Contact.created_at, Contact.id)
    )
    rows = [HEADER]
    async with services.read_sessionmaker() as session:
        for contact, account in (await session.execute(statement)).all():
            rows.append(
                [
                    contact.id,
                    contact.person_id or "",
                    contact.display_name,
                    account.kind,
                    account.name,
                    contact.language or "",
                    contact.country or "",
                    contact.created_at.isoformat(),
                ]
            )
    async with transaction(services.sessionmaker) as session:
        await check_clearance(session, workspace_id, principal.user_id, "export", actor)
        await audit.record(
            session,
            workspace_id,
            "contact.export",
            actor,
            target_type="contacts",
            target_id=workspace_id,
            data={"contacts": len(rows) - 1},
        )
    return rows
