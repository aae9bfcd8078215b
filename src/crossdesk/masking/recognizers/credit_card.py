"""CREDIT_CARD: payment card numbers, validated by issuer range, length and Luhn.

A Luhn-valid number outside every issuer range (order numbers often are) is not a card, and
neither is one labelled as an order, IMEI or gift-card number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from crossdesk.masking.checksums import luhn
from crossdesk.masking.context import cue_before, is_trap
from crossdesk.masking.document import Document
from crossdesk.masking.types import EntityType, PiiSpan

# 12-19 digits in groups separated by single spaces or dashes.
CANDIDATE_RE = re.compile(r"(?<![0-9A-Za-z])\d(?:[ -]?\d){11,18}(?![0-9A-Za-z])")

# (issuer, prefix range low, prefix range high, allowed lengths); ISO/IEC 7812 IIN ranges.
_RANGES: tuple[tuple[str, int, int, tuple[int, ...]], ...] = (
    ("amex", 34, 34, (15,)),
    ("amex", 37, 37, (15,)),
    ("visa", 4, 4, (13, 16, 19)),
    ("mastercard", 51, 55, (16,)),
    ("mastercard", 2221, 2720, (16,)),
    ("mir", 2200, 2204, (16, 17, 18, 19)),
    ("discover", 6011, 6011, (16, 17, 18, 19)),
    ("discover", 644, 649, (16, 17, 18, 19)),
    ("discover", 65, 65, (16, 17, 18, 19)),
    ("unionpay", 62, 62, (16, 17, 18, 19)),
    ("jcb", 3528, 3589, (16, 17, 18, 19)),
    ("diners", 300, 305, (14, 16, 17, 18, 19)),
    ("diners", 36, 36, (14, 15, 16, 17, 18, 19)),
    ("diners", 38, 39, (16, 17, 18, 19)),
    ("maestro", 5018, 5018, (12, 13, 14, 15, 16, 17, 18, 19)),
    ("maestro", 5020, 5020, (12, 13, 14, 15, 16, 17, 18, 19)),
    ("maestro", 5038, 5038, (12, 13, 14, 15, 16, 17, 18, 19)),
    ("maestro", 5893, 5893, (12, 13, 14, 15, 16, 17, 18, 19)),
    ("maestro", 6304, 6304, (12, 13, 14, 15, 16, 17, 18, 19)),
    ("maestro", 6759, 6759, (12, 13, 14, 15, 16, 17, 18, 19)),
    ("maestro", 6761, 6763, (12, 13, 14, 15, 16, 17, 18, 19)),
    ("elo", 5067, 5067, (16,)),
    ("elo", 509, 509, (16,)),
    ("elo", 6277, 6277, (16,)),
    ("elo", 6362, 6363, (16,)),
    ("elo", 650, 650, (16,)),
    ("verve", 5060, 5061, (16, 18, 19)),
    ("rupay", 60, 60, (16,)),
    ("rupay", 508, 508, (16,)),
    ("troy", 9792, 9792, (16,)),
    ("uatp", 1, 1, (15,)),
)

CARD_CUES = re.compile(
    r"(?:\b(?:card|credit|debit|visa|mastercard|amex|tarjeta|cartão|cartao|carte|karte|"
    r"kreditkarte|карта|карты|карту|kart|kartu|thẻ)\b|卡号|银行卡|信用卡|卡|カード|카드|بطاق)"
)
# Labels of cards that are not payment cards (digits, not the customer's money).
_NON_PAYMENT = re.compile(
    r"(?:gift|vale|regalo|cadeau|geschenk|подарочн|会员|积分|member|loyalty|fidelidad|ポイント)"
)


def issuer(digits: str) -> str | None:
    """The card scheme whose IIN range and length fit ``digits``, if any."""
    for name, low, high, lengths in _RANGES:
        if len(digits) not in lengths:
            continue
        width = len(str(low))
        if low <= int(digits[:width]) <= high:
            return name
    return None


class CreditCardRecognizer:
    """Payment card numbers (PAN)."""

    name = "credit_card"
    entities = frozenset({EntityType.CREDIT_CARD})

    def analyze(self, doc: Document) -> Iterator[PiiSpan]:
        """Yield CREDIT_CARD spans."""
        if not doc.has_digit:
            return
        for match in CANDIDATE_RE.finditer(doc.folded):
            raw = match.group()
            digits = raw.replace(" ", "").replace("-", "")
            scheme = issuer(digits)
            if scheme is None or not luhn(digits):
                continue
            start, end = match.start(), match.end()
            if is_trap(doc, start, end) or cue_before(doc, start, _NON_PAYMENT, 25):
                continue
            score = 1.0 if cue_before(doc, start, CARD_CUES, 30) else 0.9
            yield PiiSpan(EntityType.CREDIT_CARD, start, end, score, scheme, self.name)
