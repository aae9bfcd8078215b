"""Personal-data masking engine: detect -> resolve overlaps -> apply operators.

A plain library (no database, no web, no settings object). Strings in, typed results out,
offsets are Python str indices into the original text.

Example:
    >>> from crossdesk.masking import MaskingEngine
    >>> engine = MaskingEngine()
    >>> spans = engine.analyze("call +1 415 555 0167", region="US")
    >>> engine.apply("call +1 415 555 0167", spans).text
    'call +1 415 *** **67'
"""

from crossdesk.masking.config import MaskingConfig
from crossdesk.masking.engine import MaskingEngine
from crossdesk.masking.logfilter import PersonalDataFilter
from crossdesk.masking.operators import (
    DEFAULT_STYLES,
    Hash,
    MaskStyle,
    Operator,
    Operators,
    PartialMask,
    Redact,
    Tokenize,
    TokenMap,
)
from crossdesk.masking.recognizers import Recognizer, default_recognizers
from crossdesk.masking.types import EntityType, MaskedSpan, MaskedText, PiiSpan, TokenEntry

__all__ = [
    "DEFAULT_STYLES",
    "EntityType",
    "Hash",
    "MaskStyle",
    "MaskedSpan",
    "MaskedText",
    "MaskingConfig",
    "MaskingEngine",
    "Operator",
    "Operators",
    "PartialMask",
    "PersonalDataFilter",
    "PiiSpan",
    "Recognizer",
    "Redact",
    "TokenEntry",
    "TokenMap",
    "Tokenize",
    "default_recognizers",
]
