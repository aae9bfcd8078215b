"""PASSPORT: passport numbers, only after a passport label.

Passport numbers have no public check digit outside the machine-readable zone, and their
shapes (one or two letters and 6-9 digits) match SKUs and invoices, so the label is required.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from crossdesk.masking.document import Document
from crossdesk.masking.types import EntityType, PiiSpan

LABEL_RE = re.compile(
    r"(?:\b(?:passport|passeport|pasaporte|passaporte|passaporto|paspoort|reisepass\w*|pass-?nr"
    r"|паспорт\w*|pasaport\w*|paspor|hộ chiếu|pasport\w*)"
    r"|护照|護照|パスポート|旅券|여권|جواز|الجواز)"
)
# Every match of LABEL_RE holds one of these ("pas" starts or ends every Latin-script label:
# passport, pasaporte, paspoort, reisepass, pass-nr, pasaport, paspor...). Substring tests are
# much cheaper than the label pattern, and most messages have none.
_LABEL_WORDS = ("pas", "паспорт", "hộ chiếu", "护照", "護照", "パスポート", "旅券", "여권", "جواز")
TOKEN_RE = re.compile(r"(?<![0-9A-Za-z])(?=[A-Z0-9]*\d)[A-Z0-9]{6,10}(?![0-9A-Za-z])")
# Russian internal passport: series (4 digits) and number (6 digits).
RU_INTERNAL_RE = re.compile(r"(?<![0-9])\d{2} ?\d{2} ?(?:№ ?)?\d{6}(?![0-9])")
_WINDOW = 40


class PassportRecognizer:
    """Passport numbers following a passport label within a few words."""

    name = "passport"
    entities = frozenset({EntityType.PASSPORT})

    def analyze(self, doc: Document) -> Iterator[PiiSpan]:
        """Yield PASSPORT spans."""
        if not doc.has_digit:
            return
        low = doc.lower
        if not any(word in low for word in _LABEL_WORDS):
            return
        text = doc.folded
        for label in LABEL_RE.finditer(low):
            window = text[label.end() : label.end() + _WINDOW]
            found = RU_INTERNAL_RE.search(window) or TOKEN_RE.search(window)
            if found is None:
                continue
            # Stop at a sentence break between the label and the value only if another label
            # intervenes; "passport number. It's P8894272" is still the same statement.
            start = label.end() + found.start()
            end = label.end() + found.end()
            digits = sum(ch.isdigit() for ch in found.group())
            if digits < 5 and not found.group()[:1].isalpha():
                continue
            yield PiiSpan(EntityType.PASSPORT, start, end, 0.85, None, self.name)
