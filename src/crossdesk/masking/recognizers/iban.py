"""IBAN: international bank account numbers, by country length and the mod-97 check."""

from __future__ import annotations

import re
from collections.abc import Iterator

from crossdesk.masking.checksums import iban_mod97
from crossdesk.masking.document import Document
from crossdesk.masking.types import EntityType, PiiSpan

# Registered IBAN lengths per country (SWIFT IBAN registry).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip

CANDIDATE_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ -]?[A-Za-z0-9]){10,30}")


class IbanRecognizer:
    """IBANs, compact or printed in groups of four."""

    name = "iban"
    entities = frozenset({EntityType.IBAN})

    def analyze(self, doc: Document) -> Iterator[PiiSpan]:
        """Yield IBAN spans."""
        if not doc.has_digit:
            return
        text = doc.folded
        for match in CANDIDATE_RE.finditer(text):
            country = match.group()[:2].upper()
            length = IBAN_LENGTHS.get(country)
            if length is None:
                continue
            # Walk the match until ``length`` alphanumerics: the regex may run into the next
            # word ("...7436 43 account"), the registry length says where the IBAN stops.
            count, end = 0, match.start()
            for i in range(match.start(), match.end()):
                if text[i].isalnum():
                    count += 1
                    if count == length:
                        end = i + 1
                        break
            if count != length:
                continue
            if end < len(text) and text[end].isascii() and text[end].isalnum():
                continue
            compact = "".join(ch for ch in text[match.start() : end] if ch.isalnum()).upper()
            if iban_mod97(compact):
                yield PiiSpan(EntityType.IBAN, match.start(), end, 1.0, country, self.name)
