"""The audit log: append-only and hash-chained per workspace.

Each event's hash covers its content and the previous event's hash, so editing,
deleting, inserting or reordering events breaks the chain at the first bad event.
Events are written in the same transaction as the action they record.
"""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crossdesk.db.base import utcnow
from crossdesk.db.models import AuditEvent, Workspace

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something, from where. ``user_id`` None means the system."""

    user_id: str | None
    ip: str | None = None
    user_agent: str | None = None


SYSTEM = Actor(None)


def event_hash(prev_hash: str, seq: int, fields: dict[str, Any]) -> str:
    canonical = json.dumps(
        {"prev": prev_hash, "seq": seq, **fields}, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _hashed_fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "workspace_id": event.workspace_id,
        "at": event.at.isoformat(),
        "actor_id": event.actor_id,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "ip": event.ip,
        "user_agent": event.user_agent,
        "data": event.data,
    }


async def record(
    session: AsyncSession,
    workspace_id: str,
    action: str,
    actor: Actor,
    *,
    target_type: str | None = None,
    target_id: str | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one event to the workspace's chain, inside the caller's transaction.

    ``data`` must not contain secrets or raw personal data.
    """
    head = (
        await session.execute(
            select(Workspace.audit_seq, Workspace.audit_head)
            .where(Workspace.id == workspace_id)
            .with_for_update()
        )
    ).one()
    event = AuditEvent(
        workspace_id=workspace_id,
        seq=head.audit_seq + 1,
        at=at or utcnow(),
        actor_id=actor.user_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        ip=actor.ip,
        user_agent=(actor.user_agent or "")[:300] or None,
        data=data or {},
        prev_hash=head.audit_head,
    )
    event.hash = event_hash(event.prev_hash, event.seq, _hashed_fields(event))
    session.add(event)
    await session.execute(
        update(Workspace)
        .where(Workspace.id == workspace_id)
        .values(audit_seq=event.seq, audit_head=event.hash)
    )
    return event


@dataclass(frozen=True, slots=True)
class ChainProblem:
    seq: int
    reason: str


def verify_chain(
    events: Sequence[AuditEvent], head_seq: int, head_hash: str
) -> ChainProblem | None:
    """Return the first bad event of a workspace's chain (ordered by seq), or None."""
    prev = GENESIS
    expected_seq = 1
    for event in events:
        if event.seq != expected_seq:
            return ChainProblem(expected_seq, f"event {expected_seq} is missing or out of order")
        if event.prev_hash != prev:
            return ChainProblem(event.seq, "previous-hash link broken")
        if event_hash(prev, event.seq, _hashed_fields(event)) != event.hash:
            return ChainProblem(event.seq, "content does not match its hash (edited)")
        prev = event.hash
        expected_seq += 1
    if expected_seq - 1 != head_seq or prev != head_hash:
        return ChainProblem(expected_seq, "chain ends before the recorded head (events deleted)")
    return None
