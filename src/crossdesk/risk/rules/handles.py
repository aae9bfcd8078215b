"""Fingerprints of the contact handles (phone, email, messaging handle, link) an outbound
message carries, so a rule can see "the same handle sent to several customers" while the
audit log never holds the handle itself.

A fingerprint is a keyed hash (HMAC-SHA256 under a key derived from the installation
secret): equal handles give equal fingerprints within a workspace, and a phone number
cannot be recovered by hashing every possible number without the key.
"""

import functools
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from typing import Any

from crossdesk.guard.contacts import EMAIL, PHONE, URL

# Masker span types and guard contact terms → the handle kind they carry.
_SPAN_KINDS = {"PHONE": "phone", "EMAIL": "email", "HANDLE": "handle", "URL": "link"}
_GUARD_KINDS = {PHONE: "phone", EMAIL: "email", URL: "link"}
MAX_HANDLES = 8
PHONE_DIGITS = 10  # national significant part: "+86 138 0013 8000" == "13800138000"


@functools.lru_cache(maxsize=8)
def handle_key(secret: bytes) -> bytes:
    return hmac.new(secret, b"crossdesk risk handle fingerprints", hashlib.sha256).digest()


def normalize(kind: str, raw: str) -> str | None:
    """One spelling per handle; None when nothing identifying is left."""
    if kind == "phone":
        digits = "".join(ch for ch in raw if ch.isdigit())
        return digits[-PHONE_DIGITS:] if len(digits) >= 7 else None
    text = "".join(raw.split()).casefold()
    if kind == "link":
        for prefix in ("https://", "http://", "www."):
            text = text.removeprefix(prefix)
        text = text.rstrip("/")
    if kind == "handle":
        text = text.lstrip("@")
    return text or None


def fingerprint(key: bytes, workspace_id: str, kind: str, raw: str) -> str | None:
    value = normalize(kind, raw)
    if value is None:
        return None
    message = f"{workspace_id}\x1f{kind}\x1f{value}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def message_handles(
    key: bytes,
    workspace_id: str,
    text: str,
    pii_spans: Iterable[Mapping[str, Any]],
    guard_findings: Iterable[Mapping[str, Any]],
) -> list[str]:
    """The sorted fingerprints of the handles the masker or the guard found in ``text``."""
    found: set[str] = set()
    for span in pii_spans:
        kind = _SPAN_KINDS.get(str(span.get("type")))
        start, end = span.get("start"), span.get("end")
        if kind and isinstance(start, int) and isinstance(end, int):
            value = fingerprint(key, workspace_id, kind, text[start:end])
            if value:
                found.add(value)
    for finding in guard_findings:
        kind = _GUARD_KINDS.get(str(finding.get("term")))
        matched = finding.get("matched")
        if kind and isinstance(matched, str) and finding.get("on", "text") == "text":
            value = fingerprint(key, workspace_id, kind, matched)
            if value:
                found.add(value)
    return sorted(found)[:MAX_HANDLES]
