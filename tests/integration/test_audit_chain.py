"""Tampering with the audit log is detected and the first bad event named, on both databases.

Each test tampers the way a person with database access would (SQL, not the action code),
then runs the same verification as ``crossdesk audit verify``.
"""

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, update
from tests.factories import DemoWorld

from crossdesk.db.base import utcnow
from crossdesk.db.models import AuditEvent, Workspace
from crossdesk.db.session import transaction
from crossdesk.domain import new_id
from crossdesk.risk import audit
from crossdesk.risk.checkpoints import (
    CHECKPOINT_FILE,
    Verification,
    verify_all,
    write_checkpoints,
)
from crossdesk.services import Services


async def _verify(services: Services, world: DemoWorld) -> Verification:
    results, file_problems = await verify_all(services, world.workspace_id)
    assert file_problems == []
    return results[0]


async def _event(services: Services, world: DemoWorld, seq: int) -> AuditEvent:
    async with services.read_sessionmaker() as session:
        event = await session.scalar(
            select(AuditEvent).where(
                AuditEvent.workspace_id == world.workspace_id, AuditEvent.seq == seq
            )
        )
    assert event is not None
    return event


def _rehash(event: AuditEvent, prev_hash: str, seq: int) -> str:
    event.prev_hash, event.seq = prev_hash, seq
    return audit.event_hash(prev_hash, seq, audit._hashed_fields(event))


async def _set(services: Services, world: DemoWorld, at_seq: int, /, **values: Any) -> None:
    async with transaction(services.sessionmaker) as session:
        await session.execute(
            update(AuditEvent)
            .where(AuditEvent.workspace_id == world.workspace_id, AuditEvent.seq == at_seq)
            .values(**values)
        )


async def _set_head(services: Services, world: DemoWorld, seq: int, head: str) -> None:
    async with transaction(services.sessionmaker) as session:
        await session.execute(
            update(Workspace)
            .where(Workspace.id == world.workspace_id)
            .values(audit_seq=seq, audit_head=head)
        )


async def _head(services: Services, world: DemoWorld) -> tuple[int, str]:
    async with services.read_sessionmaker() as session:
        row = (
            await session.execute(
                select(Workspace.audit_seq, Workspace.audit_head).where(
                    Workspace.id == world.workspace_id
                )
            )
        ).one()
    return row[0], row[1]


async def test_an_untouched_chain_verifies(services: Services, world: DemoWorld) -> None:
    await write_checkpoints(services)
    result = await _verify(services, world)
    assert result.problem is None and result.events > 10 and result.checkpoints == 1


async def test_edited_event_is_named(services: Services, world: DemoWorld) -> None:
    await _set(services, world, 3, data={"role": "owner"})
    problem = (await _verify(services, world)).problem
    assert problem is not None and problem.seq == 3 and "edited" in problem.reason


async def test_edited_event_with_recomputed_hash_is_named(
    services: Services, world: DemoWorld
) -> None:
    event = await _event(services, world, 4)
    event.data = {"role": "owner"}
    await _set(services, world, 4, data=event.data, hash=_rehash(event, event.prev_hash, 4))
    problem = (await _verify(services, world)).problem
    assert problem is not None and problem.seq == 4 and "rewritten" in problem.reason


async def test_deleted_event_is_named(services: Services, world: DemoWorld) -> None:
    async with transaction(services.sessionmaker) as session:
        await session.execute(
            delete(AuditEvent).where(
                AuditEvent.workspace_id == world.workspace_id, AuditEvent.seq == 5
            )
        )
    problem = (await _verify(services, world)).problem
    assert problem is not None and problem.seq == 5 and "missing" in problem.reason


async def test_deleted_event_with_renumbering_is_named(
    services: Services, world: DemoWorld
) -> None:
    head_seq, head_hash = await _head(services, world)
    async with transaction(services.sessionmaker) as session:
        await session.execute(
            delete(AuditEvent).where(
                AuditEvent.workspace_id == world.workspace_id, AuditEvent.seq == 5
            )
        )
    for seq in range(6, head_seq + 1):  # ascending: each number below is free
        await _set(services, world, seq, seq=seq - 1)
    await _set_head(services, world, head_seq - 1, head_hash)
    problem = (await _verify(services, world)).problem
    assert problem is not None and problem.seq == 5 and "deleted" in problem.reason


async def test_inserted_event_is_named(services: Services, world: DemoWorld) -> None:
    head_seq, head_hash = await _head(services, world)
    for seq in range(head_seq, 5, -1):  # descending: make room at 6
        await _set(services, world, seq, seq=seq + 1)
    before = await _event(services, world, 5)
    forged = AuditEvent(
        id=new_id(),
        workspace_id=world.workspace_id,
        seq=6,
        at=before.at,
        actor_id=None,
        action="user.create",
        target_type="user",
        target_id="someone",
        ip=None,
        user_agent=None,
        data={"role": "owner"},
        prev_hash=before.hash,
    )
    forged.hash = _rehash(forged, before.hash, 6)  # a well-formed forgery
    async with transaction(services.sessionmaker) as session:
        session.add(forged)
    await _set_head(services, world, head_seq + 1, head_hash)
    problem = (await _verify(services, world)).problem
    assert problem is not None and problem.seq == 6 and "inserted" in problem.reason


async def test_event_appended_behind_the_head_is_named(
    services: Services, world: DemoWorld
) -> None:
    head_seq, head_hash = await _head(services, world)
    forged = AuditEvent(
        id=new_id(),
        workspace_id=world.workspace_id,
        seq=head_seq + 1,
        at=utcnow(),
        actor_id=None,
        action="auth.login",
        target_type=None,
        target_id=None,
        ip=None,
        user_agent=None,
        data={},
        prev_hash=head_hash,
    )
    forged.hash = _rehash(forged, head_hash, head_seq + 1)
    async with transaction(services.sessionmaker) as session:
        session.add(forged)
    problem = (await _verify(services, world)).problem
    assert problem is not None and problem.seq == head_seq + 1 and "inserted" in problem.reason


async def test_reordered_events_are_named(services: Services, world: DemoWorld) -> None:
    await _set(services, world, 7, seq=-7)
    await _set(services, world, 8, seq=7)
    await _set(services, world, -7, seq=8)
    problem = (await _verify(services, world)).problem
    assert problem is not None and problem.seq == 7 and "out of order" in problem.reason


async def test_deleting_the_newest_events_is_caught_by_the_checkpoint(
    services: Services, world: DemoWorld
) -> None:
    await write_checkpoints(services)
    head_seq, _ = await _head(services, world)
    async with transaction(services.sessionmaker) as session:
        await session.execute(
            delete(AuditEvent).where(
                AuditEvent.workspace_id == world.workspace_id, AuditEvent.seq >= head_seq - 1
            )
        )
    kept = await _event(services, world, head_seq - 2)
    await _set_head(services, world, head_seq - 2, kept.hash)  # a careful intruder
    problem = (await _verify(services, world)).problem
    assert problem is not None and problem.seq == head_seq - 1
    assert "checkpoint" in problem.reason and "deleted" in problem.reason


async def test_a_fully_recomputed_chain_is_caught_by_the_checkpoint(
    services: Services, world: DemoWorld
) -> None:
    await write_checkpoints(services)
    head_seq, _ = await _head(services, world)
    prev = (await _event(services, world, 2)).hash
    for seq in range(3, head_seq + 1):  # rewrite event 3 and rehash everything after it
        event = await _event(services, world, seq)
        if seq == 3:
            event.data = {"role": "owner"}
        new_hash = _rehash(event, prev, seq)
        await _set(services, world, seq, data=event.data, prev_hash=prev, hash=new_hash)
        prev = new_hash
    await _set_head(services, world, head_seq, prev)
    problem = (await _verify(services, world)).problem
    assert problem is not None and problem.seq == 1 and "rewritten" in problem.reason


async def test_checkpoints_only_record_moves_and_survive_restarts(
    services: Services, world: DemoWorld
) -> None:
    assert len(await write_checkpoints(services)) == 1
    assert await write_checkpoints(services) == []  # head unchanged: nothing appended
    async with transaction(services.sessionmaker) as session:
        await audit.record(session, world.workspace_id, "test.event", audit.SYSTEM)
    assert len(await write_checkpoints(services)) == 1
    assert (await _verify(services, world)).checkpoints == 2
    path = services.settings.data_dir / CHECKPOINT_FILE
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("tamper", ["edit", "drop"])
async def test_a_tampered_checkpoint_file_is_reported(
    services: Services, world: DemoWorld, tamper: str
) -> None:
    await write_checkpoints(services)
    async with transaction(services.sessionmaker) as session:
        await audit.record(session, world.workspace_id, "test.event", audit.SYSTEM)
    await write_checkpoints(services)
    _tamper_file(services.settings.data_dir / CHECKPOINT_FILE, tamper)
    _, file_problems = await verify_all(services, world.workspace_id)
    expected = "bad signature" if tamper == "edit" else "lines removed"
    assert file_problems and expected in file_problems[0]


def _tamper_file(path: Path, tamper: str) -> None:
    lines = path.read_text().splitlines()
    if tamper == "edit":
        first = json.loads(lines[0])
        first["seq"] -= 1
        lines[0] = json.dumps(first)
    else:
        del lines[0]
    path.write_text("\n".join(lines) + "\n")
