"""The sensitive-word guard engine: strings in, hits with original offsets out.

Build a :class:`Guard` from :class:`Lexicon` word lists (files via :func:`load_lexicon`, the
shipped starter packs via :func:`starter_packs`) and call :meth:`Guard.scan`. No database, no
web, no settings: the pipeline owns those and passes lists in.
"""

from crossdesk.guard.engine import ContactPolicy, Guard
from crossdesk.guard.lexicon import (
    Action,
    Category,
    Lexicon,
    ListDirection,
    RegexRule,
    Term,
    load_lexicon,
    parse_csv_terms,
    parse_terms,
    read_phrases,
    read_terms,
)
from crossdesk.guard.normalize import ALL_NORMS, Norm, Normalized, normalize
from crossdesk.guard.packs_loader import PACKS, load_pack, starter_packs
from crossdesk.guard.prefilter import warm_up
from crossdesk.guard.result import GuardResult, Hit

__all__ = [
    "ALL_NORMS",
    "PACKS",
    "Action",
    "Category",
    "ContactPolicy",
    "Guard",
    "GuardResult",
    "Hit",
    "Lexicon",
    "ListDirection",
    "Norm",
    "Normalized",
    "RegexRule",
    "Term",
    "load_lexicon",
    "load_pack",
    "normalize",
    "parse_csv_terms",
    "parse_terms",
    "read_phrases",
    "read_terms",
    "starter_packs",
    "warm_up",
]
