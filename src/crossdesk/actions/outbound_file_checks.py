"""What a file an agent sends really is, and whether the platform takes it.

The client's content type is never trusted: the type comes from the bytes (the inbound
rules of ``workers/attachments.py``: its ``sniff`` and allow-list, plus the containers and
media formats agents send), executables are refused by their bytes and by their name, and
the size is checked against the global cap and the platform's own limit for that kind.
"""

import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import BinaryIO

from crossdesk.channels.base import ChannelAdapter
from crossdesk.domain.media_types import extension_for
from crossdesk.errors import InvalidInput, PayloadTooLarge
from crossdesk.workers.attachments import ALLOWED_TYPES, sniff

HEAD_BYTES = 4096
TEXT_SAMPLE = 64 * 1024
MB = 1024 * 1024
# Names that run code when opened, whatever their bytes (scripts are plain text).
EXECUTABLE_SUFFIXES = frozenset(
    {
        ".exe", ".com", ".bat", ".cmd", ".msi", ".msp", ".scr", ".pif", ".cpl", ".dll",
        ".sys", ".ps1", ".psm1", ".vbs", ".vbe", ".js", ".jse", ".mjs", ".wsf", ".wsh",
        ".hta", ".jar", ".apk", ".aab", ".ipa", ".app", ".dmg", ".pkg", ".deb", ".rpm",
        ".sh", ".bash", ".zsh", ".csh", ".run", ".bin", ".elf", ".so", ".dylib", ".lnk",
        ".reg", ".inf", ".gadget", ".appx", ".msix", ".xbap", ".py", ".pyw", ".pl", ".rb",
        ".php", ".html", ".htm", ".xhtml", ".svg", ".svgz", ".xml", ".docm", ".xlsm",
        ".pptm", ".iso", ".img", ".vhd", ".vhdx", ".chm",
    }
)  # fmt: skip
_EXECUTABLE_MAGIC = (
    b"MZ",  # Windows PE
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",  # Mach-O
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # Mach-O fat binary / Java class
    b"#!",  # scripts with an interpreter line
    b"dex\n",  # Android
    b"\x00asm",  # WebAssembly
)
# Inside archives only programs count: documents themselves hold .xml, .bin, ... parts.
_ARCHIVE_PROGRAM_SUFFIXES = EXECUTABLE_SUFFIXES - {
    ".xml", ".bin", ".html", ".htm", ".xhtml", ".svg", ".svgz", ".img", ".iso", ".so",
    ".docm", ".xlsm", ".pptm", ".py", ".pl", ".rb", ".php",
}  # fmt: skip
_ZIP_EXECUTABLE_MEMBERS = ("META-INF/MANIFEST.MF", "AndroidManifest.xml", "classes.dex")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OLE_TYPES = {
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
}
_OOXML = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
_ACTIVE_TEXT = (b"<html", b"<!doctype html", b"<script", b"<svg", b"<?xml")
# What each sniffed type is sent as (platforms have photo/video/audio/file messages).
_KINDS = {
    "image/jpeg": "image",
    "image/png": "image",
    "video/mp4": "video",
    "video/3gpp": "video",
    "audio/mpeg": "audio",
    "audio/ogg": "audio",
    "audio/mp4": "audio",
    "audio/amr": "audio",
    "audio/aac": "audio",
}


class FileRefused(InvalidInput):
    """The file may not be sent (type, name or size)."""

    code = "file_refused"


class FileTooLarge(PayloadTooLarge):
    code = "file_too_large"


@dataclass(frozen=True, slots=True)
class CheckedFile:
    content_type: str  # from the bytes
    kind: str  # image, video, audio, document
    size: int
    filename: str


def safe_filename(name: str | None, content_type: str) -> str:
    """The client's file name without any directory part or control characters; only for
    display and the platform's ``filename`` field, never for the stored path."""
    base = PurePath((name or "").replace("\\", "/")).name
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"/|?*').strip(" .")
    if not base:
        base = "file" + extension_for(content_type)
    return base[:200]


def _suffixes(name: str) -> list[str]:
    return [s.lower() for s in PurePath(name).suffixes]


def _is_executable_name(name: str) -> bool:
    return any(suffix in EXECUTABLE_SUFFIXES for suffix in _suffixes(name))


def _zip_type(stream: BinaryIO) -> str:
    """docx/xlsx/pptx or a plain zip; refuses archives that are programs or carry them."""
    stream.seek(0)
    try:
        with zipfile.ZipFile(stream) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise FileRefused("the file looks like a zip archive but cannot be read") from None
    if any(n in _ZIP_EXECUTABLE_MEMBERS or n.endswith(".class") for n in names):
        raise FileRefused("programs (Java or Android packages) cannot be sent")
    if any(suffix in _ARCHIVE_PROGRAM_SUFFIXES for n in names for suffix in _suffixes(n)):
        raise FileRefused("the archive contains a program or script, which cannot be sent")
    for prefix, content_type in _OOXML.items():
        if "[Content_Types].xml" in names and any(n.startswith(prefix) for n in names):
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                raise FileRefused("documents with macros cannot be sent")
            return content_type
    return "application/zip"


def _media_type(head: bytes) -> str | None:
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return "video/quicktime"
        if brand.startswith(b"3g"):
            return "video/3gpp"
        if brand in (b"M4A ", b"M4B "):
            return "audio/mp4"
        return "video/mp4"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio/mpeg"
    if head[:2] in (b"\xff\xf1", b"\xff\xf9"):
        return "audio/aac"
    if head.startswith(b"#!AMR"):
        return "audio/amr"
    if head.startswith(b"\x1aE\xdf\xa3"):
        return "video/webm"
    return None


def _plain_text(sample: bytes) -> bool:
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:  # a character cut at the sample's end is fine
            return False
    lowered = sample.lstrip()[:200].lower()
    return not lowered.startswith(_ACTIVE_TEXT)


def sniff_file(stream: BinaryIO, filename: str) -> str:
    """The content type the bytes prove, or FileRefused (executables, unknown bytes)."""
    stream.seek(0)
    head = stream.read(HEAD_BYTES)
    if not head:
        raise FileRefused("the file is empty")
    if head.startswith(_EXECUTABLE_MAGIC):
        raise FileRefused("programs and scripts cannot be sent")
    content_type = sniff(head) or _media_type(head)
    if content_type is None and head.startswith(b"PK\x03\x04"):
        content_type = _zip_type(stream)
    if content_type is None and head.startswith(_OLE):
        # Word or Excel 97; the name only picks between the two (both are documents).
        suffix = (_suffixes(filename) or [""])[-1]
        content_type = _OLE_TYPES.get(suffix, "application/msword")
    if content_type is None:
        stream.seek(0)
        if _plain_text(stream.read(TEXT_SAMPLE)):
            content_type = "text/plain"
    if content_type is None:
        raise FileRefused("the type of this file could not be recognised from its contents")
    if content_type not in ALLOWED_TYPES:
        raise FileRefused(f"files of type {content_type} cannot be sent")
    return content_type


def platform_limits(adapter: ChannelAdapter) -> Mapping[str, int] | None:
    """Largest file per kind the platform takes (adapters declare ``outbound_media``);
    None when the adapter sends files but declares no limits (only the global cap)."""
    limits: Mapping[str, int] | None = getattr(adapter, "outbound_media", None)
    return limits


def check_file(
    stream: BinaryIO,
    size: int,
    claimed_name: str | None,
    adapter: ChannelAdapter,
    *,
    global_cap: int,
) -> CheckedFile:
    """Everything decided about an upload before it is stored (raises FileRefused or
    FileTooLarge with a message the agent can act on)."""
    if not adapter.capabilities.attachments:
        raise FileRefused("this channel cannot send files")
    if size > global_cap:
        raise FileTooLarge(f"the file has {_mb(size)}; files are limited to {_mb(global_cap)}")
    name = claimed_name or ""
    if _is_executable_name(name):
        raise FileRefused("programs and scripts cannot be sent")
    content_type = sniff_file(stream, name)
    filename = safe_filename(name, content_type)
    kind = _KINDS.get(content_type, "document")
    limits = platform_limits(adapter)
    if limits is not None:
        if kind not in limits:
            kind = "document"  # e.g. LINE sends videos as a download link
        if kind not in limits:
            raise FileRefused("this channel cannot send files of this kind")
        if size > limits[kind]:
            raise FileTooLarge(
                f"the file has {_mb(size)}; {adapter.kind.value} accepts {kind} files up to "
                f"{_mb(limits[kind])}"
            )
    return CheckedFile(content_type, kind, size, filename)


def _mb(size: int) -> str:
    return f"{size / MB:.1f} MB"


def stream_size(stream: BinaryIO) -> int:
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size
