"""Value types of the masking engine: entity kinds, detected spans and masked results."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class EntityType(StrEnum):
    """The kinds of personal data the engine detects (names are the CLI contract)."""

    PHONE = "PHONE"
    EMAIL = "EMAIL"
    CREDIT_CARD = "CREDIT_CARD"
    IBAN = "IBAN"
    BANK_ACCOUNT = "BANK_ACCOUNT"
    CN_ID = "CN_ID"
    NATIONAL_ID = "NATIONAL_ID"
    PASSPORT = "PASSPORT"
    CRYPTO = "CRYPTO"
    IP = "IP"
    HANDLE = "HANDLE"
    URL = "URL"
    ADDRESS = "ADDRESS"
    PERSON = "PERSON"


# Tie-break for overlapping spans of equal length: lower rank wins. Checksummed formats
# first (a valid check digit is stronger evidence than a pattern), heuristics last.
SPECIFICITY: dict[EntityType, int] = {
    t: i
    for i, t in enumerate(
        (
            EntityType.CN_ID,
            EntityType.CREDIT_CARD,
            EntityType.IBAN,
            EntityType.CRYPTO,
            EntityType.NATIONAL_ID,
            EntityType.EMAIL,
            EntityType.IP,
            EntityType.PASSPORT,
            EntityType.BANK_ACCOUNT,
            EntityType.URL,
            EntityType.PHONE,
            EntityType.HANDLE,
            EntityType.ADDRESS,
            EntityType.PERSON,
        )
    )
}


@dataclass(frozen=True, slots=True)
class PiiSpan:
    """One detected item of personal data.

    Attributes:
        type: The entity kind.
        start: Start offset (Python str index) into the original text.
        end: End offset, exclusive.
        score: Confidence in [0, 1].
        sub: Finer kind when known: phone region, card issuer, ID scheme ("US_SSN") ...
        recognizer: Name of the recognizer that produced it, for diagnostics.
    """

    type: EntityType
    start: int
    end: int
    score: float
    sub: str | None = None
    recognizer: str = ""

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ValueError(f"invalid span offsets {self.start}..{self.end}")

    @property
    def length(self) -> int:
        """Number of characters covered."""
        return self.end - self.start

    def overlaps(self, other: PiiSpan) -> bool:
        """Whether the two spans share at least one character."""
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True, slots=True)
class MaskedSpan:
    """Where one span ended up in the masked text.

    Attributes:
        span: The detected span (offsets into the original text).
        start: Start offset of the replacement in the masked text.
        end: End offset of the replacement in the masked text, exclusive.
        operator: Name of the operator that produced the replacement.
        token: The token standing for the raw value when the operator was ``tokenize``.
    """

    span: PiiSpan
    start: int
    end: int
    operator: str
    token: str | None = None


@dataclass(frozen=True, slots=True)
class TokenEntry:
    """A reversible token: the caller stores ``value`` encrypted, keyed by ``token``."""

    token: str
    type: EntityType
    value: str


@dataclass(frozen=True, slots=True)
class MaskedText:
    """The result of applying operators to a text.

    Attributes:
        text: The masked text, safe to show to agents and to send to third parties.
        spans: For each applied span, its place in the masked text, in text order.
        new_tokens: Tokens minted by this call (tokenize operator); persist their values
            encrypted. Tokens that already existed in the conversation are not repeated.
    """

    text: str
    spans: tuple[MaskedSpan, ...]
    new_tokens: tuple[TokenEntry, ...] = ()
