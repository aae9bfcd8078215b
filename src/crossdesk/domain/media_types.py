"""The file extension a stored or named file gets from its content type (one map for the
inbound attachment store, mail parts and outbound uploads)."""

from __future__ import annotations

import mimetypes

_OOXML_TYPE = "application/vnd.openxmlformats-officedocument."

# preferred over mimetypes' guesses, which vary by platform (".jpe" for JPEG on some)
EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
    "text/plain": ".txt",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/3gpp": ".3gp",
    "video/webm": ".webm",
    "audio/mpeg": ".mp3",
    "audio/ogg": ".ogg",
    "audio/mp4": ".m4a",
    "audio/amr": ".amr",
    "audio/aac": ".aac",
    "application/zip": ".zip",
    "application/msword": ".doc",
    "application/vnd.ms-excel": ".xls",
    _OOXML_TYPE + "wordprocessingml.document": ".docx",
    _OOXML_TYPE + "spreadsheetml.sheet": ".xlsx",
    _OOXML_TYPE + "presentationml.presentation": ".pptx",
    "application/octet-stream": ".bin",
}


def extension_for(content_type: str) -> str:
    """ ".jpg" for "image/jpeg"; mimetypes' guess for types not listed; "" when unknown."""
    return EXTENSIONS.get(content_type) or mimetypes.guess_extension(content_type) or ""
