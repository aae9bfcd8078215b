"""Files land whole under their final name, or not at all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crossdesk.workers.attachments import write_atomically


def test_writes_the_chunks_and_leaves_no_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "ws" / "a.bin"
    write_atomically(target, (b"ab", b"", b"cd"))
    assert target.read_bytes() == b"abcd"
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.bin"]


def test_a_failure_midway_leaves_neither_the_file_nor_its_part(tmp_path: Path) -> None:
    target = tmp_path / "a.bin"
    target.write_bytes(b"old")

    def chunks() -> Iterator[bytes]:
        yield b"new"
        raise OSError("the upload broke off")

    with pytest.raises(OSError, match="broke off"):
        write_atomically(target, chunks())
    assert target.read_bytes() == b"old"  # the previous file is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin"]
