"""PHONE: numbers in national and international formats, validated by ``phonenumbers``.

Candidates are digit runs with the separators people type between digits (spaces, dots,
dashes, slashes, parentheses, commas), found in the folded text so full-width and
Arabic-Indic digits and the letter O typed for zero count too. Each candidate is validated
with Google's libphonenumber metadata: international forms on their own, national forms
against the contact's region hint first, then the regions of the message's language.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache, lru_cache

import phonenumbers
from phonenumbers import re_util
from phonenumbers.phonemetadata import PhoneMetadata

from crossdesk.masking.context import is_trap
from crossdesk.masking.document import FALLBACK_REGIONS, LANG_REGIONS, Document
from crossdesk.masking.types import EntityType, PiiSpan

_SEP = r"(?:[ .\-/()ー]{1,3}|[ ]?[,、][ ]?)"
_EXT = r",? ?(?:ext\.?|x|доб\.?|内线|分机) ?\d{1,5}"
CANDIDATE_RE = re.compile(
    rf"(?:\+ ?|\(\+?)?\d(?:\d|{_SEP}(?=[\d(]))*\d(?:\)|{_EXT})?", re.IGNORECASE
)
_EXT_RE = re.compile(_EXT + "$", re.IGNORECASE)
_DATE_RE = re.compile(
    r"^(?:\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\d{1,2}[./-]\d{1,2}|\d{1,2}:\d{2})(?:\s|$)"
)
_IPV4_RE = re.compile(r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$")
_SPLIT_RE = re.compile(r" ?[,、/] ?| {2,}")

PHONE_CUES = re.compile(
    r"(?:\b(?:tel|tél|phone|mobile|mob|cell|call|whatsapp|whats|wa|zap|zapzap|celular|telefone"
    r"|teléfono|telefono|móvil|movil|fijo|numéro|número|numero|number|nummer|handy|rufnummer"
    r"|ruf|telefon|телефон|тел|номер|мобильный|nomor|hp|sđt|llám\w*|ligue|appelez|joindre)\b"
    r"|电话|電話|手机|号码|手機|番号|携帯|연락처|번호|전화|هاتف|رقم|جوال|واتساب|الجوال|เบอร์|โทร)"
)


_NUMBER_DESCS = (
    "general_desc",
    "fixed_line",
    "mobile",
    "toll_free",
    "premium_rate",
    "shared_cost",
    "personal_number",
    "voip",
    "pager",
    "uan",
    "voicemail",
    "no_international_dialling",
)


@cache
def _warm_metadata() -> None:
    """Load and compile, once per process, the metadata of the regions validation tries.

    libphonenumber loads a region's metadata and compiles its patterns on first use; left
    lazy, the first messages from each region pay for it (a compile is worth dozens of
    validations). Covers the regions of ``LANG_REGIONS`` and ``FALLBACK_REGIONS`` and the
    regions sharing their calling codes (+1 alone has 25); about 0.1-0.2 s once.
    """
    regions: set[str] = set(FALLBACK_REGIONS)
    for langs in LANG_REGIONS.values():
        regions.update(langs)
    for region in list(regions):
        code = phonenumbers.country_code_for_region(region)
        regions.update(phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code, ()))
    for region in sorted(regions):
        metadata = PhoneMetadata.metadata_for_region(region)
        if metadata is None:
            continue
        patterns = [
            metadata.national_prefix_for_parsing,
            metadata.international_prefix,
            metadata.leading_digits,
        ]
        for name in _NUMBER_DESCS:
            desc = getattr(metadata, name)
            if desc is not None:
                patterns.append(desc.national_number_pattern)
        for pattern in patterns:
            if pattern:
                re_util.re_compile(pattern)


@lru_cache(maxsize=4096)
def _validate(candidate: str, regions: tuple[str, ...]) -> tuple[str, float] | None:
    """Return (region, score) if ``candidate`` is a valid number, else None."""
    compact = candidate.strip()
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    try:
        if compact.lstrip("(").startswith("+"):
            number = phonenumbers.parse(compact, None)
            # is_valid_number(n) is is_valid_number_for_region(n, region_code_for_number(n));
            # spelled out, the region lookup (a loop over the regions sharing the calling
            # code, +1 has 25) runs once instead of twice.
            found = phonenumbers.region_code_for_number(number)
            if found is not None and phonenumbers.is_valid_number_for_region(number, found):
                return found or "", 0.95
            return None
        # Far-away regions are tried only when nothing says where the customer is: with a
        # hint or a language, a number valid only in some other country is more likely an id.
        for region in regions or FALLBACK_REGIONS:
            number = phonenumbers.parse(compact, region)
            if phonenumbers.is_valid_number(number):
                return region, (0.85 if regions else 0.55)
    except phonenumbers.NumberParseException:
        return None
    return None


class PhoneRecognizer:
    """Phone numbers written with digits (any script's digits)."""

    name = "phone"
    entities = frozenset({EntityType.PHONE})

    def __init__(self) -> None:
        """Create the recognizer.

        Turns on phonenumbers' own cache of compiled metadata patterns: trying several
        regions per candidate needs more patterns than the ``re`` module's 512-entry cache
        holds, and recompiling them was half of this recognizer's time. The cache is bounded
        by the metadata, so it cannot grow without limit. The first recognizer built in a
        process also loads and compiles the metadata of the likely regions up front
        (``_warm_metadata``), so no message pays for it.
        """
        re_util.enable_pattern_cache()
        _warm_metadata()

    def analyze(self, doc: Document) -> Iterator[PiiSpan]:
        """Yield PHONE spans."""
        if not doc.has_digit:
            return
        text = doc.numeric
        for match in CANDIDATE_RE.finditer(text):
            start, end = match.start(), match.end()
            before = text[start - 1] if start else " "
            before2 = text[max(0, start - 2) : start]
            if before.isascii() and (before.isalnum() or before in "#@_"):
                continue
            if before == "." and start >= 2 and text[start - 2].isdigit():
                continue  # "1.299": a decimal, not the start of a number
            if len(before2) == 2 and before2[1] in "-/" and before2[0].isalnum():
                continue  # "KD-1314440", "PO-211-988...": tail of a code
            if end < len(text) and text[end].isascii() and text[end].isalnum():
                continue
            yield from self._check(doc, start, match.group())

    def _check(self, doc: Document, start: int, raw: str) -> Iterator[PiiSpan]:
        found = self._one(doc, start, raw)
        if found is not None:
            yield found
            return
        # Two numbers typed in one run ("617 936 397, 91 122 71 36"): try the pieces.
        offset = 0
        for piece in _SPLIT_RE.split(raw):
            at = raw.index(piece, offset)
            offset = at + len(piece)
            if piece and piece != raw:
                part = self._one(doc, start + at, piece)
                if part is not None:
                    yield part

    def _one(self, doc: Document, start: int, raw: str) -> PiiSpan | None:
        stripped = raw.rstrip(" .-/,、(")
        lead = len(stripped) - len(stripped.lstrip(" .-/,、)"))
        stripped = stripped[lead:]
        if stripped.startswith("(") and ")" not in stripped:
            stripped, lead = stripped[1:], lead + 1
        if stripped.endswith(")") and "(" not in stripped:
            stripped = stripped[:-1]
        start += lead
        end = start + len(stripped)
        body = _EXT_RE.sub("", stripped)
        digits = sum(map(str.isdigit, body))
        if not 7 <= digits <= 15 or _DATE_RE.match(body) or _IPV4_RE.match(body):
            return None
        if digits > 12 and body.isdigit():
            return None  # a bare run this long is an order or tracking number
        if is_trap(doc, start, end):
            return None
        result = _validate(body.replace("、", " ").replace(",", " "), doc.regions)
        if result is None:
            return None
        region, score = result
        if score < 0.6 and body.isdigit():
            score = 0.45  # unformatted and only valid far from the expected regions
        lo = max(0, start - 40)
        if PHONE_CUES.search(doc.lower[lo:start]):
            score = min(1.0, score + 0.15)
        return PiiSpan(EntityType.PHONE, start, end, score, region or None, "phone")
