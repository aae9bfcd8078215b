"""What the user typed → validated search terms, and the engine query strings built from them.

User input is never spliced into query syntax as it is: terms reach PostgreSQL only as bound
arguments of ``plainto_tsquery``/``phraseto_tsquery`` (which have no operators), and reach
SQLite FTS5 only inside double-quoted string literals (quotes doubled), so any string is a
safe query (tests/unit/search/test_query.py checks this with hypothesis on both engines).
"""

import re
import unicodedata
from dataclasses import dataclass

from crossdesk.errors import InvalidInput

MAX_QUERY_CHARS = 200
MAX_TERMS = 8
# The SQLite trigram tokenizer indexes 3-character substrings: shorter terms cannot use it.
TRIGRAM = 3

# Scripts written without spaces between words (see the 0011 migration, same ranges).
CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{CJK}]+")
_WORDISH = re.compile(r"\w", re.UNICODE)


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """Terms the user asked for, all of which must occur (AND)."""

    text: str
    terms: tuple[str, ...]


def _clean(raw: str) -> str:
    # Control and format characters (NUL, bidi overrides) are never part of a message word.
    return "".join(
        " " if unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp", "Cs"} else ch for ch in raw
    )


def parse_query(raw: str) -> SearchQuery:
    """Split ``raw`` on white space into terms; a term without any letter or digit
    (``***``, ``&|!``) cannot be matched by either engine and is dropped."""
    if len(raw) > MAX_QUERY_CHARS:
        raise InvalidInput(
            f"the search text is {len(raw)} characters long; at most {MAX_QUERY_CHARS} allowed",
            field="q",
        )
    text = " ".join(_clean(raw).split())
    terms: list[str] = []
    for word in text.split(" "):
        if word and _WORDISH.search(word) and word.casefold() not in {t.casefold() for t in terms}:
            terms.append(word)
    if not terms:
        raise InvalidInput("type a word to search for (letters or digits)", field="q")
    if len(terms) > MAX_TERMS:
        raise InvalidInput(
            f"the search has {len(terms)} words; at most {MAX_TERMS} allowed", field="q"
        )
    return SearchQuery(text, tuple(terms))


# --- PostgreSQL ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PgParts:
    """Arguments for the tsquery: ``words`` for ``plainto_tsquery('simple', ...)``, each of
    ``phrases`` (CJK bigrams) for ``phraseto_tsquery``, each of ``prefixes`` (a single CJK
    character, which is only ever part of a bigram) for a prefix match ``'x':*``."""

    words: str
    phrases: tuple[str, ...]
    prefixes: tuple[str, ...]


def bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def pg_parts(query: SearchQuery) -> PgParts:
    words: list[str] = []
    phrases: list[str] = []
    prefixes: list[str] = []
    for term in query.terms:
        # The index splits CJK runs from neighbouring letters and digits, so must the query.
        words.append(_CJK_RUN.sub(" ", term))
        for run in _CJK_RUN.findall(term):
            if len(run) == 1:
                prefixes.append(run)
            else:
                phrases.append(" ".join(bigrams(run)))
    return PgParts(" ".join(" ".join(words).split()), tuple(phrases), tuple(prefixes))


def pg_prefix(char: str) -> str:
    """A tsquery text for one CJK character; safe because the character is one of the
    CJK ranges (checked), never a quote or an operator."""
    if len(char) != 1 or not _CJK_RUN.fullmatch(char):
        raise ValueError("a prefix query takes exactly one CJK character")
    return f"'{char}':*"


# --- SQLite FTS5 ----------------------------------------------------------------------------


def fts5_literal(term: str) -> str:
    """``term`` as an FTS5 string: inside double quotes nothing is an operator."""
    return '"' + term.replace('"', '""') + '"'


def fts5_split(query: SearchQuery, tokenizer: str) -> tuple[str | None, tuple[str, ...]]:
    """The MATCH expression for the terms the index can answer, and the terms it cannot
    (shorter than a trigram) that must be checked by substring on the row itself."""
    indexed: list[str] = []
    scanned: list[str] = []
    for term in query.terms:
        if tokenizer == "trigram" and len(term) < TRIGRAM:
            scanned.append(term)
        else:
            indexed.append(fts5_literal(term))
    return (" AND ".join(indexed) or None), tuple(scanned)
