"""Stored files no attachment row refers to are removed once old; referenced ones never."""

import os
import time
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import update
from tests.factories import build_world, inbound, receive

from crossdesk.db.models import Attachment
from crossdesk.db.session import transaction
from crossdesk.domain import Attachment as AttachmentMeta
from crossdesk.services import Services
from crossdesk.workers.attachment_sweep import sweep_orphans
from crossdesk.workers.attachments import attachments_root

DAY = 24 * 3600.0


def _write(path: os.PathLike[str], age_seconds: float, now: float) -> None:
    with open(path, "wb") as handle:
        handle.write(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    os.utime(path, (now - age_seconds, now - age_seconds))


async def test_old_unreferenced_files_and_stale_parts_go_referenced_and_young_ones_stay(
    services: Services,
) -> None:
    world = await build_world(services)
    event = replace(
        inbound("photo"), attachments=(AttachmentMeta(kind="image", platform_file_id="p1"),)
    )
    await receive(services, world.account_a, event)
    root = attachments_root(services)
    workspace = root / world.workspace_id
    workspace.mkdir(parents=True)
    now = time.time()
    async with transaction(services.sessionmaker) as session:
        await session.execute(
            update(Attachment).values(storage_path=f"{world.workspace_id}/kept.png")
        )
    _write(workspace / "kept.png", 3 * DAY, now)  # referenced: stays however old
    _write(workspace / "orphan.png", 3 * DAY, now)  # a crash between write and commit
    _write(workspace / "young.png", 60, now)  # a write whose commit may still come
    _write(workspace / "dead.png.part", 2 * 3600, now)  # half written, long ago
    _write(workspace / "busy.png.part", 10, now)  # being written right now

    result = await sweep_orphans(services, root, older_than=timedelta(days=1), now=now)

    assert sorted(p.name for p in workspace.iterdir()) == ["busy.png.part", "kept.png", "young.png"]
    assert (result.removed, result.kept) == (2, 3)
    # nothing left to do on a second pass
    again = await sweep_orphans(services, root, older_than=timedelta(days=1), now=now)
    assert (again.removed, again.kept) == (0, 3)


async def test_a_missing_store_is_nothing_to_sweep(services: Services) -> None:
    result = await sweep_orphans(services, attachments_root(services) / "absent")
    assert (result.removed, result.kept) == (0, 0)
