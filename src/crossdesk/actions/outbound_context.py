"""What the delivery worker adds to an ``OutboundMessage`` beyond the text: platform fields
stored with the message (``outbound_metadata``: a WhatsApp template, for instance), the
threading headers of an e-mail reply, and the messaging-window check.

Runs in the delivery worker's session just before the send; the e-mail reply's Message-ID is
recorded in the thread index in that same commit (before the SMTP server sees it), so the
customer's answer joins this conversation however quickly it comes.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.actions.whatsapp_templates import SEALED_PARAMS, open_params
from crossdesk.channels.base import Capabilities
from crossdesk.channels.email.adapter import outgoing_message_id
from crossdesk.channels.email.smtp import references_header, reply_subject
from crossdesk.db.base import utcnow
from crossdesk.db.models import (
    ChannelAccount,
    Conversation,
    EmailThread,
    Message,
    OutboundMetadata,
)
from crossdesk.db.upsert import insert_ignore
from crossdesk.domain import Direction, new_id
from crossdesk.services import Services

WINDOW_CLOSED = (
    "window_closed: more than {hours:g} hours since the customer's last message; "
    "only an approved template may be sent now"
)


async def outbound_metadata(
    services: Services,
    session: AsyncSession,
    account: ChannelAccount,
    conversation: Conversation,
    message: Message,
    idempotency_key: str,
) -> dict[str, str]:
    """``OutboundMessage.metadata`` for this send (empty for most platforms)."""
    data: dict[str, str] = {}
    stored = await session.get(OutboundMetadata, message.id)
    if stored is not None:
        data.update({str(k): str(v) for k, v in stored.data.items()})
        sealed = data.pop(SEALED_PARAMS, None)
        if sealed is not None:  # template parameters are stored sealed, like message bodies
            data["template_body_params"] = open_params(
                services, message.workspace_id, message.id, sealed
            )
    latest = await session.scalar(
        select(EmailThread)
        .where(EmailThread.conversation_id == conversation.id)
        .order_by(EmailThread.created_at.desc(), EmailThread.id.desc())
        .limit(1)
    )
    if latest is not None:  # an e-mail thread: answer its newest mail
        data.update(await _email_reply(session, account, conversation, latest, idempotency_key))
    return data


async def _email_reply(
    session: AsyncSession,
    account: ChannelAccount,
    conversation: Conversation,
    latest: EmailThread,
    idempotency_key: str,
) -> dict[str, str]:
    domain = account.external_id.rsplit("@", 1)[-1].strip().lower() or "crossdesk.invalid"
    own_id = outgoing_message_id(idempotency_key, domain)
    if latest.message_id_header == own_id:  # a retry: answer what the first attempt answered
        previous = latest.references.split()
        in_reply_to = previous[-1] if previous else None
        references = previous[:-1]
        subject = latest.subject
    else:
        in_reply_to = latest.message_id_header
        references = latest.references.split()
        subject = reply_subject(latest.subject)
    chain = references_header(references, in_reply_to)
    await insert_ignore(
        session,
        EmailThread,
        {
            "id": new_id(),
            "workspace_id": account.workspace_id,
            "account_id": account.id,
            "conversation_id": conversation.id,
            "message_id_header": own_id,
            "subject": subject[:500],
            "references": chain,
            "direction": Direction.OUTBOUND.value,
            "created_at": utcnow(),
        },
    )
    return {
        "email_message_id": own_id,
        "email_subject": subject,
        "email_in_reply_to": in_reply_to or "",
        "email_references": chain,
    }


def window_refusal(
    capabilities: Capabilities,
    conversation: Conversation,
    metadata: dict[str, str],
    now: datetime | None = None,
) -> str | None:
    """Why free text may not be sent now (the platform's customer-service window has
    closed), or None. Templates (WhatsApp) and tagged messages (Messenger's ``message_tag``,
    e.g. HUMAN_AGENT) are left to the platform, which knows their own limits. A conversation
    with no customer message on record is left to the platform too (its error is mapped)."""
    window = capabilities.messaging_window
    if window is None or metadata.get("template_name") or metadata.get("message_tag"):
        return None
    last = conversation.last_inbound_at
    if last is None:
        return None
    if (now or utcnow()) - last <= window:
        return None
    return WINDOW_CLOSED.format(hours=window.total_seconds() / 3600)
