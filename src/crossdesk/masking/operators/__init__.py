"""Operators: what replaces a detected value (mask, redact, hash, tokenize)."""

from crossdesk.masking.operators.base import Operator, Replacement
from crossdesk.masking.operators.hash import Hash
from crossdesk.masking.operators.mask import DEFAULT_STYLES, MaskStyle, PartialMask
from crossdesk.masking.operators.redact import Redact
from crossdesk.masking.operators.set import Operators
from crossdesk.masking.operators.tokenize import Tokenize
from crossdesk.masking.operators.tokens import TokenMap

__all__ = [
    "DEFAULT_STYLES",
    "Hash",
    "MaskStyle",
    "Operator",
    "Operators",
    "PartialMask",
    "Redact",
    "Replacement",
    "TokenMap",
    "Tokenize",
]
