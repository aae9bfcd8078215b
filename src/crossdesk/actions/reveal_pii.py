"""Reveal one item of a customer's personal data: permission, reason, audit, rate limit."""

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from crossdesk.actions.conversations import load_visible
from crossdesk.actions.risk_actions import check_clearance, refuse_if_not_cleared
from crossdesk.db.base import utcnow
from crossdesk.db.models import AuditEvent, Message
from crossdesk.db.session import transaction
from crossdesk.domain import Permission
from crossdesk.errors import InvalidInput, NotFound, PermissionDenied, RateLimited
from crossdesk.risk import audit
from crossdesk.risk.rbac import Principal
from crossdesk.services import Services
from crossdesk.vault.crypto import associated_data

MAX_REVEALS_PER_HOUR = 30
MIN_REASON_LENGTH = 5


async def reveal_pii(
    services: Services,
    principal: Principal,
    message_id: str,
    span_index: int,
    reason: str,
    actor: audit.Actor,
) -> tuple[str, dict[str, Any]]:
    """Return the raw value of one masked span and its description; audited, rate-limited.

    The value is returned once and never stored anywhere else; the audit event records who,
    which message, which kind of data and why, but not the value.
    """
    if not principal.can(Permission.PII_REVEAL):
        raise PermissionDenied("your role may not reveal personal data")
    reason = reason.strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise InvalidInput(
            f"give a reason of at least {MIN_REASON_LENGTH} characters", field="reason"
        )
    # A risk rule may demand a supervisor's approval first (the refusal is audited).
    await refuse_if_not_cleared(
        services, principal.workspace_id, principal.user_id, "pii.reveal", actor
    )
    async with transaction(services.sessionmaker) as session:
        message = await session.scalar(
            select(Message).where(
                Message.id == message_id, Message.workspace_id == principal.workspace_id
            )
        )
        if message is None:
            raise NotFound("no such message")
        await load_visible(session, principal, message.conversation_id)
        if not 0 <= span_index < len(message.pii_spans) or message.body_raw_enc is None:
            raise InvalidInput("no such masked item on this message", field="span")
        since = utcnow() - timedelta(hours=1)
        recent = await session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.workspace_id == principal.workspace_id,
                AuditEvent.actor_id == principal.user_id,
                AuditEvent.action == "pii.reveal",
                AuditEvent.at >= since,
            )
        )
        if (recent or 0) >= MAX_REVEALS_PER_HOUR:
            raise RateLimited(
                f"at most {MAX_REVEALS_PER_HOUR} reveals per hour; "
                "ask an admin if a case needs more"
            )
        span = message.pii_spans[span_index]
        raw = services.envelope.open(
            message.body_raw_enc,
            associated_data(message.workspace_id, message.id, "message.body"),
            record=f"message {message.id}",
        ).decode()
        value = raw[int(span["start"]) : int(span["end"])]
        await check_clearance(
            session, principal.workspace_id, principal.user_id, "pii.reveal", actor
        )
        await audit.record(
            session,
            principal.workspace_id,
            "pii.reveal",
            actor,
            target_type="message",
            target_id=message.id,
            data={"type": span.get("type"), "span": span_index, "reason": reason[:500]},
        )
    return value, span
