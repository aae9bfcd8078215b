"""CN_ID: the 18-character Chinese resident identity number (GB 11643-1999)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from crossdesk.masking.checksums import cn_resident_id
from crossdesk.masking.document import Document
from crossdesk.masking.types import EntityType, PiiSpan

CANDIDATE_RE = re.compile(r"(?<![0-9A-Za-z])\d{6} ?\d{8} ?\d{3}[0-9Xx](?![0-9A-Za-z])")


class CnIdRecognizer:
    """Chinese resident IDs: region code, birth date and the mod 11-2 check character."""

    name = "cn_id"
    entities = frozenset({EntityType.CN_ID})

    def analyze(self, doc: Document) -> Iterator[PiiSpan]:
        """Yield CN_ID spans; the check character makes context unnecessary."""
        if not doc.has_digit:
            return
        for match in CANDIDATE_RE.finditer(doc.folded):
            if cn_resident_id(match.group().replace(" ", "")):
                yield PiiSpan(EntityType.CN_ID, match.start(), match.end(), 1.0, None, self.name)
