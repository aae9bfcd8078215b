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
    """Return the first bad event of a workspace's chain (ordered by seq), or None.

    The reason says what the evidence shows: an edited event fails its own hash, a deleted
    one leaves a gap or a link to a hash that is gone, an inserted one is skipped by its
    successor's link, a reordered one links forward. The chain alone cannot catch an
    attacker who recomputes every hash after the change, nor one who deletes the newest
    events and rewinds the head: the signed checkpoints (``risk.checkpoints``) do.
    """
    prev = GENESIS
    for index, event in enumerate(events):
        expected = index + 1
        if event.seq != expected:
            if any(e.seq == expected for e in events[index + 1 :]):
                return ChainProblem(expected, f"event {expected} is out of order")
            return ChainProblem(expected, f"event {expected} is missing (deleted)")
        if event.prev_hash != prev:
            return _broken_link(events, index)
        if event_hash(prev, event.seq, _hashed_fields(event)) != event.hash:
            return ChainProblem(expected, f"event {expected} was edited: its hash does not match")
        prev = event.hash
    count = len(events)
    if count > head_seq:
        return ChainProblem(
            head_seq + 1, f"event {head_seq + 1} lies beyond the recorded head (inserted)"
        )
    if count < head_seq:
        return ChainProblem(
            count + 1,
            f"events {count + 1}..{head_seq} are missing: the chain ends before the recorded "
            "head (deleted)",
        )
    if prev != head_hash:
        return ChainProblem(count, f"event {count} does not match the recorded head (rewritten)")
    return None


_RENUMBER_SEARCH = 1000


def _broken_link(events: Sequence[AuditEvent], index: int) -> ChainProblem:
    """Explain why ``events[index]`` does not link to the event before it."""
    event = events[index]
    seq = index + 1
    linked = next((e.seq for e in events if e.hash == event.prev_hash), None)
    if linked is not None and linked > seq:
        return ChainProblem(seq, f"event {seq} is out of order: it comes after event {linked}")
    if linked is not None and linked < seq - 1:
        return ChainProblem(
            linked + 1,
            f"event {linked + 1} was inserted: event {seq} links to event {linked}",
        )
    fields = _hashed_fields(event)
    if event_hash(event.prev_hash, event.seq, fields) == event.hash:
        return ChainProblem(
            seq - 1,
            f"event {seq - 1} was rewritten: event {seq} links to a different event {seq - 1}",
        )
    for shift in range(1, _RENUMBER_SEARCH):
        if event_hash(event.prev_hash, event.seq + shift, fields) == event.hash:
            return ChainProblem(
                seq,
                f"event {seq} is missing: {shift} event(s) deleted and the later ones renumbered",
            )
    return ChainProblem(seq, f"event {seq} was edited: its links and hash do not match")
