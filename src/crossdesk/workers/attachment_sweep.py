"""Removing stored files that no attachment row points at.

Files are written before the row that names them is committed (an outbound upload is checked
and stored before the send transaction; an inbound download is written, then recorded), so
a crash in between leaves a file nobody will ever serve. Such a file is removed once it is
older than ``older_than`` (a day by default: far longer than any write-then-commit takes),
and so is a ``.part`` file a crash left half written. Only files are removed, never a row.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from crossdesk.db.models import Attachment
from crossdesk.services import Services

logger = logging.getLogger(__name__)

BATCH = 500  # storage paths looked up per query
PART_AGE = timedelta(hours=1)  # a .part file this old belongs to a write that died


@dataclass(frozen=True, slots=True)
class SweepResult:
    removed: int
    kept: int


def _files(root: Path) -> Iterator[tuple[str, Path, float]]:
    """(path relative to root with "/", absolute path, mtime) of every regular file."""
    for directory, _, names in os.walk(root):
        for name in names:
            path = Path(directory) / name
            try:
                stat = path.lstat()
            except FileNotFoundError:
                continue
            if path.is_symlink() or not path.is_file():
                continue
            yield path.relative_to(root).as_posix(), path, stat.st_mtime


def _scan(
    root: Path, clock: float, older_than: timedelta
) -> tuple[int, int, list[tuple[str, Path]]]:
    """(stale .part files removed, young files kept, old files to look up); blocking."""
    removed = kept = 0
    if not root.is_dir():
        return removed, kept, []
    candidates: list[tuple[str, Path]] = []
    for relative, path, mtime in _files(root):
        age = clock - mtime
        if relative.endswith(".part"):
            if age > PART_AGE.total_seconds():
                removed += _remove(path)
            else:
                kept += 1
        elif age > older_than.total_seconds():
            candidates.append((relative, path))
        else:
            kept += 1
    return removed, kept, candidates


async def sweep_orphans(
    services: Services,
    root: Path,
    older_than: timedelta = timedelta(days=1),
    now: float | None = None,
) -> SweepResult:
    """Remove the unreferenced files under ``root`` older than ``older_than``.

    The directory walk and the removals run in a thread; no database session is held
    while they do (ADR 0002).
    """
    clock = time.time() if now is None else now
    removed, kept, candidates = await asyncio.to_thread(_scan, root, clock, older_than)
    for start in range(0, len(candidates), BATCH):
        chunk = candidates[start : start + BATCH]
        async with services.read_sessionmaker() as session:
            known = set(
                (
                    await session.scalars(
                        select(Attachment.storage_path).where(
                            Attachment.storage_path.in_([relative for relative, _ in chunk])
                        )
                    )
                ).all()
            )
        orphans = [path for relative, path in chunk if relative not in known]
        kept += len(chunk) - len(orphans)
        removed += await asyncio.to_thread(_remove_all, orphans)
    if removed:
        logger.info("removed %d stored files no attachment refers to", removed)
    return SweepResult(removed, kept)


def _remove_all(paths: list[Path]) -> int:
    return sum(_remove(path) for path in paths)


def _remove(path: Path) -> int:
    try:
        path.unlink()
    except FileNotFoundError:
        return 0
    return 1
