"""``hash``: a keyed HMAC-SHA256 of the canonical value.

The same value gives the same tag under one key (agents can see that two messages share a
phone number) and nothing can be recovered without the key; rotate the key to unlink.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from crossdesk.masking.canonical import canonical
from crossdesk.masking.operators.base import Replacement
from crossdesk.masking.operators.tokens import TokenMap
from crossdesk.masking.types import PiiSpan


@dataclass(frozen=True, slots=True)
class Hash:
    """Replace with ``[TYPE:<first hex chars of HMAC-SHA256(key, type|canonical)>]``."""

    key: bytes = field(repr=False)
    length: int = 12
    name: str = "hash"

    def __post_init__(self) -> None:
        if len(self.key) < 16:
            raise ValueError("the HMAC key must be at least 16 bytes")
        if not 8 <= self.length <= 64:
            raise ValueError("length must be between 8 and 64 hex characters")

    def replace(self, span: PiiSpan, raw: str, tokens: TokenMap) -> Replacement:
        """See ``Operator.replace``."""
        message = f"{span.type.value}|{canonical(span, raw)}".encode()
        digest = hmac.new(self.key, message, hashlib.sha256).hexdigest()
        return Replacement(f"[{span.type.value}:{digest[: self.length]}]")
