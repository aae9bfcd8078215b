"""Canonical form of a detected value, so that two spellings of one value hash and tokenize
alike ("+86 138 1234 5678" and "13812345678"; "a at b dot com" and "a@b.com")."""

from __future__ import annotations

import phonenumbers

from crossdesk.masking.digitwords import spelled_digits
from crossdesk.masking.recognizers.email import normalize_email
from crossdesk.masking.text import fold, fold_letter_o
from crossdesk.masking.types import EntityType, PiiSpan

_ALNUM_TYPES = frozenset(
    {
        EntityType.CREDIT_CARD,
        EntityType.IBAN,
        EntityType.BANK_ACCOUNT,
        EntityType.CN_ID,
        EntityType.NATIONAL_ID,
        EntityType.PASSPORT,
    }
)


def phone_digits(raw: str) -> str:
    """The digits of a phone span, whether typed, full-width, O-for-zero or spelled out."""
    folded = fold_letter_o(fold(raw))
    digits = "".join(ch for ch in folded if ch.isascii() and ch.isdigit())
    spelled = spelled_digits(folded)
    return spelled if len(spelled) > len(digits) else digits


def canonical(span: PiiSpan, raw: str) -> str:
    """Canonical text of ``raw`` (the original slice for ``span``)."""
    if span.type is EntityType.PHONE:
        digits = phone_digits(raw)
        plus = fold(raw).lstrip().startswith(("+", "00"))
        try:
            number = phonenumbers.parse(
                ("+" + digits.removeprefix("00")) if plus else digits,
                None if plus else (span.sub if span.sub and len(span.sub) == 2 else "US"),
            )
            if phonenumbers.is_valid_number(number):
                return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            pass
        return digits
    if span.type is EntityType.EMAIL:
        return normalize_email(fold(raw)).lower()
    if span.type in _ALNUM_TYPES:
        return "".join(ch for ch in fold(raw) if ch.isalnum()).upper()
    if span.type is EntityType.CRYPTO:
        return raw.strip()
    return " ".join(fold(raw).split()).casefold()
