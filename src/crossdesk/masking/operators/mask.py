"""``mask``: partial masking that keeps the value recognisable to the customer and the agent
but useless to copy: "+1 415-***-**67", "j***@gmail.com", "**** **** **** 4242", "138****5678".

Styles are per type and configurable. Separators and punctuation are kept so the shape stays
readable; letters and digits outside the kept head and tail become ``mask_char``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import phonenumbers

from crossdesk.masking.canonical import phone_digits
from crossdesk.masking.operators.base import Replacement
from crossdesk.masking.operators.tokens import TokenMap
from crossdesk.masking.recognizers.email import normalize_email
from crossdesk.masking.text import fold, fold_letter_o
from crossdesk.masking.types import EntityType, PiiSpan


@dataclass(frozen=True, slots=True)
class MaskStyle:
    """How much of a value stays visible.

    Attributes:
        keep_first: Letters/digits kept at the start (for phones: after the country code).
        keep_last: Letters/digits kept at the end.
        keep_last_long: ``keep_last`` for values with at least ``long_from`` significant
            characters (the Chinese "138****5678" convention keeps four).
        long_from: Threshold for ``keep_last_long``.
    """

    keep_first: int = 0
    keep_last: int = 0
    keep_last_long: int | None = None
    long_from: int = 11

    def tail(self, significant: int) -> int:
        """The number of trailing characters kept for a value of that size."""
        if self.keep_last_long is not None and significant >= self.long_from:
            return self.keep_last_long
        return self.keep_last


DEFAULT_STYLES: Mapping[EntityType, MaskStyle] = MappingProxyType(
    {
        EntityType.PHONE: MaskStyle(keep_first=3, keep_last=2, keep_last_long=4, long_from=11),
        EntityType.CREDIT_CARD: MaskStyle(keep_last=4),
        EntityType.IBAN: MaskStyle(keep_first=2, keep_last=4),
        EntityType.BANK_ACCOUNT: MaskStyle(keep_last=4),
        EntityType.CN_ID: MaskStyle(keep_first=3, keep_last=2),
        EntityType.NATIONAL_ID: MaskStyle(keep_last=2),
        EntityType.PASSPORT: MaskStyle(keep_first=1, keep_last=2),
        EntityType.CRYPTO: MaskStyle(keep_first=4, keep_last=4),
        EntityType.IP: MaskStyle(keep_first=3),
        EntityType.HANDLE: MaskStyle(keep_first=1, keep_last=1),
        EntityType.URL: MaskStyle(keep_last=2),
        EntityType.ADDRESS: MaskStyle(),
        EntityType.PERSON: MaskStyle(keep_first=1),
        EntityType.EMAIL: MaskStyle(keep_first=1),
    }
)


def mask_middle(raw: str, keep_first: int, keep_last: int, mask_char: str = "*") -> str:
    """Mask the letters and digits of ``raw`` except the first and last few; keep the rest."""
    folded = fold_letter_o(fold(raw))
    significant = [i for i, ch in enumerate(folded) if ch.isalnum()]
    if keep_first + keep_last >= len(significant):
        # Too short to show anything safely: hide it all rather than show it whole.
        keep_first, keep_last = 0, 0
    hidden = set(significant[keep_first : len(significant) - keep_last])
    return "".join(mask_char if i in hidden else ch for i, ch in enumerate(raw))


def _country_code_len(digits: str) -> int:
    for size in (1, 2, 3):
        if phonenumbers.region_code_for_country_code(int(digits[:size])) != "ZZ":
            return size
    return 0


def mask_phone(raw: str, style: MaskStyle, mask_char: str = "*") -> str:
    """Keep the country code, the first national digits and the last ones."""
    folded = fold_letter_o(fold(raw))
    digit_count = sum(ch.isascii() and ch.isdigit() for ch in folded)
    spelled = phone_digits(raw)
    if len(spelled) > digit_count:
        # Spelled out ("six four six..."): render the masked digits, not the words.
        raw = folded = spelled
    international = folded.lstrip().startswith(("+", "00"))
    digits = [i for i, ch in enumerate(folded) if ch.isascii() and ch.isdigit()]
    all_digits = "".join(folded[i] for i in digits)
    lead = 0
    if international:
        lead = 2 if all_digits.startswith("00") else 0
        lead += _country_code_len(all_digits[lead:])
    national = len(digits) - lead
    head, tail = lead + style.keep_first, style.tail(national)
    if style.keep_first + tail >= national:
        head, tail = lead, 0
    hidden = set(digits[head : len(digits) - tail])
    return "".join(mask_char if i in hidden else ch for i, ch in enumerate(raw))


def mask_email(raw: str, style: MaskStyle, mask_char: str = "*") -> str:
    """``j***@gmail.com``: the first character(s) of the local part, the whole domain."""
    address = normalize_email(fold(raw)) if "@" not in raw else raw
    local, _, domain = address.rpartition("@")
    return f"{local[: style.keep_first]}{mask_char * 3}@{domain}"


def mask_words(raw: str, style: MaskStyle, mask_char: str = "*") -> str:
    """``M**** F*****``: each word keeps its first characters (names)."""
    out: list[str] = []
    position = 0
    for ch in raw:
        if ch.isspace() or ch in "-'’":
            position = 0
            out.append(ch)
            continue
        out.append(ch if position < style.keep_first else mask_char)
        position += 1
    return "".join(out)


def mask_url(raw: str, style: MaskStyle, mask_char: str = "*") -> str:
    """Keep the scheme and host, mask the path (which carries ids and phone numbers)."""
    scheme_end = raw.find("://")
    host_start = scheme_end + 3 if scheme_end >= 0 else 0
    slash = raw.find("/", host_start)
    if slash < 0:
        return raw
    return raw[: slash + 1] + mask_middle(raw[slash + 1 :], 0, style.keep_last, mask_char)


def mask_ip(raw: str, style: MaskStyle, mask_char: str = "*") -> str:
    """Keep the first group ("185.***.***.***"), which names the network, not the user."""
    for i, ch in enumerate(raw):
        if ch in ".:":
            return raw[: i + 1] + mask_middle(raw[i + 1 :], 0, 0, mask_char)
    return mask_middle(raw, 0, 0, mask_char)


@dataclass(frozen=True, slots=True)
class PartialMask:
    """Readable partial masking with a style per type.

    Attributes:
        styles: Overrides of ``DEFAULT_STYLES`` by type.
        mask_char: The character that replaces hidden letters and digits.
    """

    styles: Mapping[EntityType, MaskStyle] = field(default_factory=dict)
    mask_char: str = "*"
    name: str = "mask"

    def style(self, type_: EntityType) -> MaskStyle:
        """The effective style for ``type_``."""
        return self.styles.get(type_) or DEFAULT_STYLES[type_]

    def replace(self, span: PiiSpan, raw: str, tokens: TokenMap) -> Replacement:
        """See ``Operator.replace``."""
        style, char = self.style(span.type), self.mask_char
        if span.type is EntityType.PHONE:
            return Replacement(mask_phone(raw, style, char))
        if span.type is EntityType.EMAIL:
            return Replacement(mask_email(raw, style, char))
        if span.type is EntityType.PERSON:
            return Replacement(mask_words(raw, style, char))
        if span.type is EntityType.URL:
            return Replacement(mask_url(raw, style, char))
        if span.type is EntityType.IP:
            return Replacement(mask_ip(raw, style, char))
        if span.type is EntityType.HANDLE and raw.startswith("@"):
            return Replacement("@" + mask_middle(raw[1:], style.keep_first, style.keep_last, char))
        folded = fold(raw)
        significant = sum(ch.isalnum() for ch in folded)
        return Replacement(mask_middle(raw, style.keep_first, style.tail(significant), char))
