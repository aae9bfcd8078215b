"""What an outbound file is taken for, from its bytes (actions/outbound_file_checks.py)."""

import io
import zipfile

import pytest

from crossdesk.actions.outbound_file_checks import (
    FileRefused,
    FileTooLarge,
    check_file,
    safe_filename,
    sniff_file,
)
from crossdesk.channels.registry import get_adapter
from crossdesk.domain import ChannelKind

MB = 1024 * 1024
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _zip(*members: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def _type(data: bytes, name: str = "file") -> str:
    return sniff_file(io.BytesIO(data), name)


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (b"\xff\xd8\xff\xe0" + bytes(64), "x.png", "image/jpeg"),  # the bytes win over the name
        (b"%PDF-1.7\n", "x.docx", "application/pdf"),
        (b"\x00\x00\x00\x18ftypmp42" + bytes(64), "clip", "video/mp4"),
        (b"\x00\x00\x00\x14ftypqt  " + bytes(64), "clip", "video/quicktime"),
        (b"\x00\x00\x00\x18ftypM4A " + bytes(64), "voice", "audio/mp4"),
        (b"OggS\x00\x02" + bytes(64), "voice", "audio/ogg"),
        (b"ID3\x04\x00" + bytes(64), "song", "audio/mpeg"),
        ("Pedido 45821: 2 × zapatos\n".encode(), "notes.txt", "text/plain"),
        (_zip(("[Content_Types].xml", b"<x/>"), ("word/document.xml", b"<w/>")), "a", DOCX_TYPE),
        (_zip(("photos/a.jpg", b"\xff\xd8\xff")), "photos.zip", "application/zip"),
        (
            _zip(
                ("[Content_Types].xml", b"<x/>"),
                ("xl/workbook.xml", b"<w/>"),
                ("xl/printerSettings/printerSettings1.bin", b"\x00"),
            ),
            "sheet.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "old.xls", "application/vnd.ms-excel"),
    ],
)
def test_types_come_from_the_bytes(data: bytes, name: str, expected: str) -> None:
    assert _type(data, name) == expected


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"MZ\x90\x00" + bytes(64), "invoice.pdf"),
        (b"\x7fELF\x02" + bytes(64), "photo.jpg"),
        (b"\xcf\xfa\xed\xfe" + bytes(64), "app"),
        (b"#!/bin/sh\nrm -rf ~\n", "notes.txt"),
        (b"<html><script>alert(1)</script>", "page.txt"),
        (b"<svg onload='x()'/>", "logo.txt"),
        (_zip(("setup.exe", b"MZ")), "bundle.zip"),
        (_zip(("docs/readme.txt", b"hi"), ("docs/install.ps1", b"iex")), "docs.zip"),
        (_zip(("META-INF/MANIFEST.MF", b"Main-Class: X")), "tool.zip"),
        (
            _zip(
                ("[Content_Types].xml", b"<x/>"),
                ("word/document.xml", b"<w/>"),
                ("word/vbaProject.bin", b"macro"),
            ),
            "letter.docx",
        ),
        (bytes([0x90, 0x01, 0xFE, 0x00]) * 100, "photo.png"),  # unknown bytes
        (b"", "empty.pdf"),
    ],
)
def test_programs_active_content_and_unknown_bytes_are_refused(data: bytes, name: str) -> None:
    with pytest.raises(FileRefused):
        _type(data, name)


def test_names_of_programs_are_refused_whatever_the_bytes() -> None:
    adapter = get_adapter(ChannelKind.TELEGRAM_BOT)
    for name in ("run.bat", "x.ps1", "doc.pdf.exe", "app.APK", "script.js"):
        with pytest.raises(FileRefused):
            check_file(io.BytesIO(b"plain text\n"), 11, name, adapter, global_cap=25 * MB)


def test_kind_and_platform_limits() -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(64)
    whatsapp = get_adapter(ChannelKind.WHATSAPP)
    with pytest.raises(FileTooLarge, match=r"5\.0 MB"):
        check_file(io.BytesIO(png), 6 * MB, "a.png", whatsapp, global_cap=200 * MB)
    ok = check_file(io.BytesIO(png), 4 * MB, "a.png", whatsapp, global_cap=200 * MB)
    assert (ok.kind, ok.content_type, ok.filename) == ("image", "image/png", "a.png")
    # Telegram takes 50 MB documents, Messenger 25 MB.
    pdf = b"%PDF-1.4\n"
    telegram = get_adapter(ChannelKind.TELEGRAM_BOT)
    assert check_file(io.BytesIO(pdf), 40 * MB, "a.pdf", telegram, global_cap=200 * MB).kind == (
        "document"
    )
    with pytest.raises(FileTooLarge):
        check_file(
            io.BytesIO(pdf),
            40 * MB,
            "a.pdf",
            get_adapter(ChannelKind.MESSENGER),
            global_cap=200 * MB,
        )
    # The global cap applies first.
    with pytest.raises(FileTooLarge):
        check_file(io.BytesIO(pdf), 2 * MB, "a.pdf", telegram, global_cap=1 * MB)
    # LINE has no video message for files without a preview: the video goes as a document.
    mp4 = b"\x00\x00\x00\x18ftypmp42" + bytes(64)
    line = get_adapter(ChannelKind.LINE)
    assert check_file(io.BytesIO(mp4), 1 * MB, "v.mp4", line, global_cap=200 * MB).kind == (
        "document"
    )


def test_file_names_lose_directories_and_control_characters() -> None:
    assert safe_filename("../../etc/passwd", "text/plain") == "passwd"
    assert safe_filename("C:\\Users\\a\\factura\x00.pdf", "application/pdf") == "factura.pdf"
    assert safe_filename("", "image/png") == "file.png"
    assert safe_filename("  ..  ", "application/pdf") == "file.pdf"
