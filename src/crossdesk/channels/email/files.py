"""The files of an outbound mail: read from the attachment store, checked, named.

``Attachment.local_path`` is the absolute path of the stored bytes (filled by the composer
upload). A file that is gone, is not a regular file, or takes the mail over the size limit
is a permanent error: retrying would not bring it back or make it smaller.

The limit is on the raw bytes of all files together. Base64 adds a third, so 20 MiB of
files make a mail of about 27 MB: what the large hosted providers accept (Gmail, Microsoft
365: 25 MB of attachments, 35 MB per mail); a smaller limit advertised by the server (SMTP
``SIZE``, RFC 1870) is checked again in smtp.py against the encoded mail.
"""

import mimetypes
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from crossdesk.domain import Attachment
from crossdesk.errors import PermanentSendError

MAX_TOTAL_BYTES = 20 * 1024 * 1024
MAX_FILES = 20
MAX_FILENAME = 180  # characters; RFC 2231 encoding makes the header longer, folded
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")


@dataclass(frozen=True, slots=True)
class OutgoingFile:
    filename: str
    content_type: str
    data: bytes

    def __repr__(self) -> str:  # the bytes are not for logs
        return f"OutgoingFile({self.filename!r}, {self.content_type}, {len(self.data)} bytes)"


def safe_filename(name: str | None, fallback: str) -> str:
    """A file name fit for a MIME parameter: no directory, no control characters."""
    base = _CONTROL.sub(" ", (name or "").replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")
    if not base:
        base = fallback
    if len(base) > MAX_FILENAME:  # keep the extension a mail client opens the file by
        _, dot, extension = base.rpartition(".")
        keep = extension if dot and len(extension) <= 10 else ""
        base = base[: MAX_FILENAME - len(keep) - 1].rstrip() + ("." + keep if keep else "")
    return base


def content_type_of(attachment: Attachment, filename: str) -> str:
    """The declared type when it is a well-formed one, else guessed from the name."""
    declared = (attachment.content_type or "").split(";", 1)[0].strip().lower()
    if _CONTENT_TYPE.match(declared):
        return declared
    guessed, _ = mimetypes.guess_type(filename, strict=False)
    return guessed or "application/octet-stream"


def read_files(attachments: tuple[Attachment, ...]) -> list[OutgoingFile]:
    """Every attachment's bytes, or PermanentSendError (blocking: run it in a thread)."""
    if len(attachments) > MAX_FILES:
        raise PermanentSendError(
            f"a mail can carry at most {MAX_FILES} files", reason="attachment_too_large"
        )
    files: list[OutgoingFile] = []
    total = 0
    for number, attachment in enumerate(attachments, start=1):
        if not attachment.local_path:
            raise PermanentSendError(
                "an e-mail attachment needs the stored file (no local path)",
                reason="attachment_missing",
            )
        path = Path(attachment.local_path)
        filename = safe_filename(attachment.filename or path.name, f"attachment-{number}")
        data = _read(path, filename, MAX_TOTAL_BYTES - total)
        total += len(data)
        files.append(OutgoingFile(filename, content_type_of(attachment, filename), data))
    return files


def _read(path: Path, filename: str, budget: int) -> bytes:
    try:
        # O_NOFOLLOW: the store holds regular files; a link swapped in is not followed.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        raise PermanentSendError(
            f"the attached file {filename!r} is no longer in the attachment store",
            reason="attachment_missing",
        ) from None
    except OSError as exc:
        raise PermanentSendError(
            f"the attached file {filename!r} cannot be read ({type(exc).__name__})",
            reason="attachment_missing",
        ) from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise PermanentSendError(
                f"the attached file {filename!r} is not a regular file",
                reason="attachment_missing",
            )
        if info.st_size > budget:
            raise _too_large()
        data = handle.read(budget + 1)  # the file may have grown since fstat
    if len(data) > budget:
        raise _too_large()
    return data


def _too_large() -> PermanentSendError:
    return PermanentSendError(
        f"the attachments exceed {MAX_TOTAL_BYTES // (1024 * 1024)} MB in total, "
        "the limit for one mail; send them in separate replies",
        reason="attachment_too_large",
    )
