"""Signed checkpoints of each workspace's audit chain head, kept outside the database.

The hash chain (``risk.audit``) shows edits, gaps, insertions and reordering, but a person
who can write to the database can also delete the newest events and rewind the head on
the workspace row, or rewrite the chain and recompute every hash. Checkpoints close that
gap: every few minutes the head (sequence number and hash) of each workspace is appended
to a JSON Lines file in the data directory, each line authenticated with an HMAC-SHA256
key derived from the installation secret and linked to the workspace's previous line.
Verification then requires the database to still hold, at every checkpointed number, the
very event the checkpoint saw.

What it does not cover: events written after the newest checkpoint, and an attacker who
holds both the database and the installation secret (see docs/security.md).
"""

import asyncio
import fcntl
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select

from crossdesk.db.models import AuditEvent, Workspace
from crossdesk.risk.audit import ChainProblem, verify_chain
from crossdesk.services import Services

logger = logging.getLogger(__name__)

CHECKPOINT_FILE = "audit-checkpoints.jsonl"
CHECKPOINT_INTERVAL_SECONDS = 300.0
_FORMAT_VERSION = 1


def checkpoint_key(secret: bytes) -> bytes:
    """The HMAC key of checkpoint lines, derived from the installation secret."""
    hkdf = HKDF(algorithm=SHA256(), length=32, salt=b"crossdesk", info=b"audit checkpoint")
    return hkdf.derive(secret)


def _canonical(fields: Mapping[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The head of one workspace's chain as seen at ``at``."""

    workspace_id: str
    seq: int
    head: str
    at: str
    prev_mac: str
    mac: str

    def fields(self) -> dict[str, Any]:
        return {
            "v": _FORMAT_VERSION,
            "workspace_id": self.workspace_id,
            "seq": self.seq,
            "head": self.head,
            "at": self.at,
            "prev_mac": self.prev_mac,
        }


@dataclass(slots=True)
class CheckpointLog:
    """What the file says, after checking every line's MAC and per-workspace link."""

    by_workspace: dict[str, list[Checkpoint]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def latest(self, workspace_id: str) -> Checkpoint | None:
        found = self.by_workspace.get(workspace_id)
        return found[-1] if found else None


class CheckpointFile:
    """An append-only JSON Lines file of MAC'd checkpoints.

    Appends hold an exclusive ``flock`` so the server's periodic task and a CLI run from
    cron never interleave lines. Operators can make the file append-only at the OS level
    (``chattr +a``) or ship it to a log host; the format is one self-contained line each.
    """

    def __init__(self, path: Path, key: bytes) -> None:
        self.path = path
        self._key = key

    @classmethod
    def for_services(cls, services: Services) -> "CheckpointFile":
        settings = services.settings
        return cls(
            settings.data_dir / CHECKPOINT_FILE, checkpoint_key(settings.resolved_secret_key())
        )

    def _mac(self, fields: Mapping[str, Any]) -> str:
        return hmac.new(self._key, _canonical(fields), hashlib.sha256).hexdigest()

    def read(self) -> CheckpointLog:
        log = CheckpointLog()
        if not self.path.exists():
            return log
        with self.path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                self._read_line(log, number, line)
        return log

    def _read_line(self, log: CheckpointLog, number: int, line: str) -> None:
        if not line.strip():
            return
        try:
            raw = json.loads(line)
            checkpoint = Checkpoint(
                workspace_id=str(raw["workspace_id"]),
                seq=int(raw["seq"]),
                head=str(raw["head"]),
                at=str(raw["at"]),
                prev_mac=str(raw["prev_mac"]),
                mac=str(raw["mac"]),
            )
        except (ValueError, KeyError, TypeError):
            log.problems.append(f"checkpoint line {number} is not a checkpoint")
            return
        if not hmac.compare_digest(self._mac(checkpoint.fields()), checkpoint.mac):
            log.problems.append(
                f"checkpoint line {number} has a bad signature (edited, or another secret)"
            )
            return
        previous = log.latest(checkpoint.workspace_id)
        if checkpoint.prev_mac != (previous.mac if previous else ""):
            log.problems.append(
                f"checkpoint line {number} does not follow the workspace's previous checkpoint "
                "(lines removed from the file)"
            )
        log.by_workspace.setdefault(checkpoint.workspace_id, []).append(checkpoint)

    def append_heads(self, heads: Mapping[str, tuple[int, str]]) -> list[Checkpoint]:
        """Append a checkpoint for every workspace whose head moved since its last one."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        written: list[Checkpoint] = []
        with os.fdopen(descriptor, "a+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                log = self.read()
                now = datetime.now(UTC).isoformat()
                for workspace_id, (seq, head) in sorted(heads.items()):
                    latest = log.latest(workspace_id)
                    if latest is not None and (latest.seq, latest.head) == (seq, head):
                        continue
                    unsigned = Checkpoint(
                        workspace_id, seq, head, now, latest.mac if latest else "", ""
                    )
                    checkpoint = Checkpoint(
                        workspace_id,
                        seq,
                        head,
                        now,
                        unsigned.prev_mac,
                        self._mac(unsigned.fields()),
                    )
                    handle.write(json.dumps({**checkpoint.fields(), "mac": checkpoint.mac}) + "\n")
                    log.by_workspace.setdefault(workspace_id, []).append(checkpoint)
                    written.append(checkpoint)
                handle.flush()
                os.fsync(handle.fileno())
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return written


async def chain_heads(
    services: Services, workspace_id: str | None = None
) -> dict[str, tuple[int, str]]:
    """Every workspace's (seq, head hash), read in a short session of its own."""
    statement = select(Workspace.id, Workspace.audit_seq, Workspace.audit_head)
    if workspace_id is not None:
        statement = statement.where(Workspace.id == workspace_id)
    async with services.read_sessionmaker() as session:
        rows = (await session.execute(statement)).all()
    return {row[0]: (row[1], row[2]) for row in rows}


async def write_checkpoints(
    services: Services, workspace_id: str | None = None
) -> list[Checkpoint]:
    """Checkpoint the current heads (only those that moved). No session is held while
    the file is written."""
    heads = await chain_heads(services, workspace_id)
    store = CheckpointFile.for_services(services)
    return await asyncio.to_thread(store.append_heads, heads)


async def checkpoint_forever(
    services: Services, interval: float = CHECKPOINT_INTERVAL_SECONDS
) -> None:
    """The periodic task the server runs (see ``web/app.py``)."""
    while True:
        try:
            written = await write_checkpoints(services)
            if written:
                logger.debug("wrote %d audit checkpoint(s)", len(written))
        except Exception:  # a full disk or a database hiccup must not end the task: log, retry
            logger.exception("could not write audit checkpoints; retrying in %.0f s", interval)
        await asyncio.sleep(interval)


def check_against_checkpoints(
    hashes: Sequence[str], checkpoints: Sequence[Checkpoint]
) -> ChainProblem | None:
    """Compare the stored chain (``hashes[i]`` is event i+1's hash) with the checkpoints.

    A checkpoint beyond the end of the chain means the newest events were deleted (and
    the head rewound); a different hash at a checkpointed number means the chain was
    rewritten since, somewhere after the last checkpoint that still matches.
    """
    matched = 0
    for checkpoint in sorted(checkpoints, key=lambda c: c.seq):
        if checkpoint.seq == 0:
            continue
        if checkpoint.seq > len(hashes):
            first = len(hashes) + 1
            return ChainProblem(
                first,
                f"events {first}..{checkpoint.seq} are missing (deleted): the signed checkpoint "
                f"of {checkpoint.at} saw {checkpoint.seq} events, the database holds "
                f"{len(hashes)}",
            )
        if hashes[checkpoint.seq - 1] != checkpoint.head:
            return ChainProblem(
                matched + 1,
                f"the chain was rewritten between events {matched + 1} and {checkpoint.seq}: "
                f"event {checkpoint.seq} differs from the signed checkpoint of {checkpoint.at}",
            )
        matched = checkpoint.seq
    return None


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome for one workspace: ``problem`` names the first bad event, if any."""

    workspace_id: str
    events: int
    checkpoints: int
    problem: ChainProblem | None


async def verify_workspace(
    services: Services, workspace_id: str, log: CheckpointLog
) -> Verification:
    """Check one workspace's chain on its own and against its signed checkpoints."""
    async with services.read_sessionmaker() as session:
        head = (
            await session.execute(
                select(Workspace.audit_seq, Workspace.audit_head).where(
                    Workspace.id == workspace_id
                )
            )
        ).one_or_none()
        events = (
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.workspace_id == workspace_id)
                .order_by(AuditEvent.seq)
            )
        ).all()
    checkpoints = log.by_workspace.get(workspace_id, [])
    if head is None:
        problem = ChainProblem(1, "the workspace is in the checkpoints but not in the database")
        return Verification(workspace_id, len(events), len(checkpoints), problem)
    found = [
        p
        for p in (
            verify_chain(events, head.audit_seq, head.audit_head),
            check_against_checkpoints([e.hash for e in events], checkpoints),
        )
        if p is not None
    ]
    first = min(found, key=lambda p: p.seq) if found else None
    return Verification(workspace_id, len(events), len(checkpoints), first)


async def verify_all(
    services: Services, workspace_id: str | None = None
) -> tuple[list[Verification], list[str]]:
    """Verify one or every workspace (those in the database and those in the checkpoint
    file); the second item lists problems of the checkpoint file itself."""
    log = await asyncio.to_thread(CheckpointFile.for_services(services).read)
    if workspace_id is not None:
        ids = [workspace_id]
    else:
        ids = sorted(set(await chain_heads(services)) | set(log.by_workspace))
    return [await verify_workspace(services, w, log) for w in ids], log.problems
