"""PHONE written out as words or CJK numerals, to get around digit filters.

"six four six, nine zero four, three five zero one", "null eins sieben sechs / null acht",
"一八七八九三一六四五一", "幺八五 九三九幺 拐四三五". Seven digit units in a row (with the
separators people type between them) is already a strong signal; the digit string must still
have a plausible phone length.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from crossdesk.masking.digitwords import CJK_DIGITS, UNIT, WORD_DIGITS, spelled_digits
from crossdesk.masking.document import Document
from crossdesk.masking.types import EntityType, PiiSpan

_SEP = r"(?:[\s,.\-/、，]{0,4}|\s?(?:y|e|und|and|et|и)\s)"
RUN_RE = re.compile(rf"{UNIT}(?:{_SEP}{UNIT}){{6,}}", re.IGNORECASE)
_CJK_SET = frozenset(CJK_DIGITS)
_CJK_DIGIT = re.compile("[" + "".join(sorted(_CJK_SET)) + "]")
_WORD = re.compile(r"[^\W\d_]{2,}")
_LETTERS = re.compile(r"[^\W\d_]+")
_MIN_SPELLED = 3


class SpelledPhoneRecognizer:
    """Phone numbers spelled as number words or written with CJK numerals."""

    name = "phone_words"
    entities = frozenset({EntityType.PHONE})

    def analyze(self, doc: Document) -> Iterator[PiiSpan]:
        """Yield PHONE spans for spelled-out numbers."""
        text = doc.folded
        # Cheap gate before the big alternation: are there spelled digits at all?
        spelled = 0 if text.isascii() else len(_CJK_DIGIT.findall(text))
        if spelled < _MIN_SPELLED:
            spelled += sum(map(WORD_DIGITS.__contains__, _LETTERS.findall(doc.lower)))
        if spelled < _MIN_SPELLED:
            return
        for match in RUN_RE.finditer(text):
            raw = match.group()
            digits = spelled_digits(raw)
            if not 7 <= len(digits) <= 15:
                continue
            if raw.isdigit() or raw.replace(" ", "").isdigit():
                continue  # plain digits are the numeric recognizer's job
            in_run = sum(1 for ch in raw if ch in _CJK_SET) + len(_WORD.findall(raw))
            if in_run < _MIN_SPELLED:
                continue  # mostly digits: a CJK-adjacent numeric run, not a spelled number
            yield PiiSpan(EntityType.PHONE, match.start(), match.end(), 0.8, "spelled", self.name)
