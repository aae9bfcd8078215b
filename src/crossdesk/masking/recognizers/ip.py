"""IP: IPv4 and IPv6 addresses, validated by the standard library's parser."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from crossdesk.masking.document import Document
from crossdesk.masking.types import EntityType, PiiSpan

IPV4_RE = re.compile(r"(?<![0-9.])(?:\d{1,3}\.){3}\d{1,3}(?![0-9]|\.\d)")
IPV6_RE = re.compile(
    r"(?<![0-9A-Za-z:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?:%\w+)?(?![0-9A-Za-z:])"
)


class IpRecognizer:
    """Public and private IP addresses (they identify a customer's connection)."""

    name = "ip"
    entities = frozenset({EntityType.IP})

    def analyze(self, doc: Document) -> Iterator[PiiSpan]:
        """Yield IP spans."""
        text = doc.folded
        if "." in text and doc.has_digit:
            for match in IPV4_RE.finditer(text):
                try:
                    ipaddress.IPv4Address(match.group())
                except ValueError:
                    continue
                yield PiiSpan(EntityType.IP, match.start(), match.end(), 0.9, "v4", self.name)
        if text.count(":") >= 2:
            for match in IPV6_RE.finditer(text):
                value = match.group()
                if value.count(":") < 2 or sum(ch.isalnum() for ch in value) < 4:
                    continue
                try:
                    ipaddress.IPv6Address(value)
                except ValueError:
                    continue
                yield PiiSpan(EntityType.IP, match.start(), match.end(), 0.9, "v6", self.name)
