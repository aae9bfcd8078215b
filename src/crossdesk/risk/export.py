"""Signed JSON Lines exports of a workspace's audit log, for an outside auditor.

Format (``crossdesk-audit-export/1``), one JSON object per line:

1. ``{"type": "header", ...}``: workspace, time range, who exported, the chain head.
2. ``{"type": "event", ...}``: every event with ``seq``, ``prev_hash`` and ``hash``, so the
   reader can recompute the chain: ``sha256`` of the compact, key-sorted JSON of
   ``{"prev", "seq", "workspace_id", "at", "actor_id", "action", "target_type",
   "target_id", "ip", "user_agent", "data"}`` (see ``risk.audit.event_hash``).
3. ``{"type": "signature", ...}``: the SHA-256 of every byte above it, signed with
   Ed25519. The signing key is derived from the installation secret, so the auditor
   needs only the public key (``crossdesk audit public-key``) to check the file.

The export is itself an audit event (``audit.export``), recorded before reading, so the
file contains the record of its own making.
"""

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import func, select

from crossdesk.db.base import utcnow
from crossdesk.db.models import AuditEvent, Workspace
from crossdesk.db.session import transaction
from crossdesk.errors import NotFound
from crossdesk.risk import audit
from crossdesk.services import Services

FORMAT = "crossdesk-audit-export/1"
BATCH = 1000

Progress = Callable[[int, int], None]


def signing_key(secret: bytes) -> Ed25519PrivateKey:
    """The installation's export signing key, derived from its secret."""
    hkdf = HKDF(algorithm=SHA256(), length=32, salt=b"crossdesk", info=b"audit export signing")
    return Ed25519PrivateKey.from_private_bytes(hkdf.derive(secret))


def public_key_text(key: Ed25519PublicKey) -> str:
    return base64.b64encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def event_line(event: AuditEvent) -> dict[str, Any]:
    return {
        "type": "event",
        "seq": event.seq,
        "workspace_id": event.workspace_id,
        "at": event.at.isoformat(),
        "actor_id": event.actor_id,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "ip": event.ip,
        "user_agent": event.user_agent,
        "data": event.data,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


@dataclass(frozen=True, slots=True)
class ExportSummary:
    workspace_id: str
    events: int
    sha256: str
    public_key: str


class _SigningWriter:
    """Writes lines and hashes every byte written, for the closing signature."""

    def __init__(self, out: IO[str]) -> None:
        self._out = out
        self.digest = hashlib.sha256()

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        self.digest.update(line.encode())
        self._out.write(line)


async def export_audit(
    services: Services,
    workspace_id: str,
    out: IO[str],
    actor: audit.Actor,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    progress: Progress | None = None,
) -> ExportSummary:
    """Write the signed export of one workspace's events (optionally an ``at`` range).

    Reads in batches, each in a short session of its own, so a long export never holds
    the database (ADR 0002)."""
    async with transaction(services.sessionmaker) as session:
        workspace = await session.get(Workspace, workspace_id)
        if workspace is None:
            raise NotFound(f"no workspace {workspace_id!r}")
        name = workspace.name
        record = await audit.record(
            session,
            workspace_id,
            "audit.export",
            actor,
            target_type="workspace",
            target_id=workspace_id,
            data={
                "since": since.isoformat() if since else None,
                "until": until.isoformat() if until else None,
            },
        )
        head_seq, head_hash = record.seq, record.hash
    conditions = [AuditEvent.workspace_id == workspace_id, AuditEvent.seq <= head_seq]
    if since is not None:
        conditions.append(AuditEvent.at >= since)
    if until is not None:
        conditions.append(AuditEvent.at < until)
    async with services.read_sessionmaker() as session:
        total = await session.scalar(select(func.count()).where(*conditions)) or 0
    key = signing_key(services.settings.resolved_secret_key())
    writer = _SigningWriter(out)
    writer.write(
        {
            "type": "header",
            "format": FORMAT,
            "workspace_id": workspace_id,
            "workspace_name": name,
            "exported_at": utcnow().isoformat(),
            "exported_by": actor.user_id,
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
            "head_seq": head_seq,
            "head_hash": head_hash,
            "events": total,
        }
    )
    done, after = 0, 0
    while True:
        async with services.read_sessionmaker() as session:
            batch = (
                await session.scalars(
                    select(AuditEvent)
                    .where(*conditions, AuditEvent.seq > after)
                    .order_by(AuditEvent.seq)
                    .limit(BATCH)
                )
            ).all()
        if not batch:
            break
        for event in batch:
            writer.write(event_line(event))
        done += len(batch)
        after = batch[-1].seq
        if progress is not None:
            progress(done, total)
    digest = writer.digest.hexdigest()
    public = public_key_text(key.public_key())
    writer.write(
        {
            "type": "signature",
            "algorithm": "ed25519",
            "events": done,
            "sha256": digest,
            "public_key": public,
            "signature": base64.b64encode(key.sign(digest.encode())).decode(),
        }
    )
    return ExportSummary(workspace_id, done, digest, public)


def verify_export(path: Path, public_key: str | None = None) -> list[str]:
    """Check an export's signature and the chain links inside it. Returns the problems.

    Without ``public_key`` the key written in the file is trusted, which proves only that
    the file is intact; pass the installation's published key to prove its origin."""
    problems: list[str] = []
    digest = hashlib.sha256()
    signature: dict[str, Any] | None = None
    previous: dict[str, Any] | None = None
    events = 0
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if signature is not None:
                problems.append(f"line {number} follows the signature")
                break
            record = json.loads(raw)
            if record.get("type") == "signature":
                signature = record
                continue
            digest.update(raw)
            if record.get("type") != "event":
                continue
            events += 1
            problem = _check_event(record, previous)
            if problem:
                problems.append(f"line {number}: {problem}")
            previous = record
    if signature is None:
        return [*problems, "the signature line is missing (the file was cut short)"]
    if signature.get("sha256") != digest.hexdigest() or signature.get("events") != events:
        problems.append("the content does not match the signed digest (the file was changed)")
    key_text = public_key or str(signature.get("public_key", ""))
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(key_text))
        key.verify(
            base64.b64decode(str(signature.get("signature", ""))), digest.hexdigest().encode()
        )
    except (InvalidSignature, ValueError):
        problems.append("the signature is not valid for this public key")
    return problems


def _check_event(record: dict[str, Any], previous: dict[str, Any] | None) -> str | None:
    fields = {
        key: record.get(key)
        for key in (
            "workspace_id",
            "at",
            "actor_id",
            "action",
            "target_type",
            "target_id",
            "ip",
            "user_agent",
            "data",
        )
    }
    seq = int(record["seq"])
    if audit.event_hash(str(record["prev_hash"]), seq, fields) != record.get("hash"):
        return f"event {seq} does not match its hash"
    consecutive = previous is not None and int(previous["seq"]) == seq - 1
    if consecutive and previous is not None and previous["hash"] != record["prev_hash"]:
        return f"event {seq} does not link to event {seq - 1}"
    return None
