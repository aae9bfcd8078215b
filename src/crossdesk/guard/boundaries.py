"""Matching semantics: word starts, inflections, and which gaps a match may bridge.

Latin, Cyrillic and Arabic spellings must start a word and may only be followed by a regular
inflection ("fucking", "сукой", "يلعنك"), so "Scunthorpe", "cockapoo" and "retardant" stay
clean. A match may bridge zero-width characters and in-word punctuation ("f.u.c.k", "tele-gram")
anywhere, spaces only where splitting does not leave a function word ("we chat" is English,
"Snap chat" is an evasion), and never sentence punctuation followed by a space ("snap, chat").
Hanzi spellings match inside text.
"""

from __future__ import annotations

import functools

from crossdesk.guard.folding import fold_char, gap_kind, is_han, script_of
from crossdesk.guard.normalize import Normalized, _Table
from crossdesk.guard.patterns import Kind, Pattern

MAX_GAP = 3  # visible characters a gap may hold ("微 信", "微😊信", "f . u")

# Regular inflections that may follow a term (folded). Derivations ("retarder") are not here.
SUFFIXES = {
    "latin": ("s", "es", "ed", "d", "ing", "in", "ings", "y", "ies", "as", "os", "a", "o"),
    "cyrillic": (
        "а",
        "у",
        "е",
        "ом",
        "ой",
        "ою",
        "ы",
        "и",
        "ам",
        "ами",
        "ах",
        "ов",
        "ей",
        "ю",
        "я",
        "ем",
        "ь",
        "ья",
        "ку",
        "ке",
        "ки",
        "кой",
        "чка",
        "чку",
        "чки",
        "ю",
        "ям",
        "ях",
    ),
    "arabic": ("ك", "ه", "ها", "هم", "ي", "ات", "ين", "ون", "كم", "نا", "وا", "ني"),
    "greek": ("ς", "ες", "οι"),
}
# Endings that replace the final vowel of a term matched through its stem ("сука" → "суки").
STEM_ENDINGS = {
    "latin": ("o", "a", "os", "as", "e", "es"),
    "cyrillic": (
        "а",
        "у",
        "е",
        "ы",
        "и",
        "ой",
        "ою",
        "ам",
        "ами",
        "ах",
        "ей",
        "ю",
        "я",
        "ям",
        "ях",
    ),
}
# Arabic proclitics that may precede a word ("الحمار", "والواتساب").
PROCLITICS = ("ال", "و", "ف", "ب", "ل", "ك", "وال", "بال", "فال", "لل", "كال")

# Function words: a split leaving one of these on either side is a real word boundary.
FUNCTION_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "i",
        "we",
        "you",
        "he",
        "she",
        "it",
        "they",
        "me",
        "us",
        "my",
        "our",
        "your",
        "his",
        "her",
        "its",
        "them",
        "to",
        "of",
        "in",
        "on",
        "at",
        "by",
        "for",
        "and",
        "or",
        "but",
        "so",
        "no",
        "is",
        "are",
        "be",
        "do",
        "if",
        "oh",
        "up",
        "as",
        "am",
        "was",
        "can",
        "will",
        "with",
        "from",
        "this",
        "that",
        "el",
        "la",
        "los",
        "las",
        "un",
        "una",
        "de",
        "del",
        "y",
        "o",
        "que",
        "en",
        "por",
        "con",
        "se",
        "te",
        "me",
        "mi",
        "lo",
        "le",
        "es",
        "al",
        "o",
        "os",
        "as",
        "um",
        "uma",
        "do",
        "da",
        "em",
        "no",
        "na",
        "com",
        "por",
        "para",
        "eu",
        "ele",
        "ela",
        "и",
        "в",
        "во",
        "на",
        "не",
        "я",
        "ты",
        "мы",
        "вы",
        "он",
        "она",
        "с",
        "со",
        "по",
        "за",
        "от",
        "до",
        "к",
        "у",
        "о",
        "об",
        "из",
        "و",
        "في",
        "من",
        "على",
        "يا",
        "هل",
        "لا",
        "ما",
    ]
)


# spellings this short (folded) must be a whole word: endings would make them ordinary words
# ("wa" + "s", "qq" + "s"); the pre-filter looks for them as whole words too
SHORT_KEY = 3


def _folded(text: str) -> str:
    return "".join(fold_char(ch) for ch in text)


@functools.cache
def _folded_set(words: tuple[str, ...]) -> frozenset[str]:
    return frozenset(_folded(w) for w in words)


@functools.cache  # per character: called for every letter around every candidate hit
def _is_letter(ch: str) -> bool:
    return bool(fold_char(ch)) and fold_char(ch)[0].isalpha() and not is_han(fold_char(ch)[0])


def _invisible(ch: str) -> bool:
    return not fold_char(ch) and gap_kind(ch) == "invisible"


def _visible_gap(ch: str) -> bool:
    return not fold_char(ch) and gap_kind(ch) != "invisible"


def _prev_visible(text: str, pos: int) -> int:
    """Index of the nearest character before ``pos`` that is not invisible (or -1)."""
    i = pos - 1
    while i >= 0 and _invisible(text[i]):
        i -= 1
    return i


def _next_visible(text: str, pos: int) -> int:
    """Index of the nearest character after ``pos`` that is not invisible (or len)."""
    i = pos + 1
    while i < len(text) and _invisible(text[i]):
        i += 1
    return i


def word_start_ok(text: str, start: int, pattern: Pattern) -> bool:
    """A non-Hanzi spelling must begin a word (Arabic proclitics allowed)."""
    if pattern.head in ("han", "other"):
        return True
    i = _prev_visible(text, start)
    if i < 0 or not _is_letter(text[i]):
        return True
    if pattern.head != "arabic":
        return False
    j = i
    while j >= 0 and _is_letter(text[j]):
        j -= 1
    return _folded(text[j + 1 : start]) in _folded_set(PROCLITICS)


def tail_of(text: str, end: int) -> str:
    """The folded letters that continue the word after ``end``."""
    j = end
    while j < len(text) and (_is_letter(text[j]) or (gap_kind(text[j]) == "invisible")):
        j += 1
    return _folded(text[end:j])


def word_end_ok(text: str, end: int, pattern: Pattern, last_key_char: str) -> bool:
    """The word may only go on with an inflection of the spelling's script."""
    if pattern.tail in ("han", "other"):
        return True
    tail = tail_of(text, end)
    if pattern.kind is Kind.STEM:
        return tail in _folded_set(STEM_ENDINGS.get(pattern.tail, ()))
    if not tail:
        return True
    if pattern.kind in (Kind.PINYIN, Kind.INITIALS, Kind.VARIANT) and pattern.tail == "latin":
        return tail == "s" and pattern.kind is Kind.VARIANT and len(pattern.key) > SHORT_KEY
    if tail[0] == last_key_char:
        tail = tail.lstrip(last_key_char)  # "telegramm": the run already collapsed
        if not tail:
            return True
    if len(pattern.key) <= SHORT_KEY:
        return False  # "wa" takes no ending: "was" is a word of its own (as in the pre-filter)
    return tail in _folded_set(SUFFIXES.get(pattern.tail, ()))


def spelled_run_ok(text: str, start: int, end: int, pattern: Pattern) -> bool:
    """A short or pinyin spelling spelled out one letter at a time is the whole run.

    "w a t e r" holds no "wa", "b v x" no "vx": such spellings are whole words, and letters
    spelled out one by one make one word (as the pre-filter reads them). A digit or a longer
    word next to the run ends it ("buy 3 v x" holds "vx").
    """
    if pattern.head == "han" or pattern.tail == "han" or pattern.kind is Kind.STEM:
        return True
    if pattern.kind is not Kind.PINYIN and len(pattern.key) > SHORT_KEY:
        return True
    if _lone_letter(text, start) and _lone_letter(text, _piece_before(text, start)):
        return False
    return not (_lone_letter(text, end - 1) and _lone_letter(text, _piece_after(text, end)))


def _lone_letter(text: str, i: int) -> bool:
    """text[i] is one letter with a visible gap (or the text's edge) on both sides."""
    if not 0 <= i < len(text):
        return False
    folded = fold_char(text[i])
    if len(folded) != 1 or not folded.isalpha():
        return False
    before, after = _prev_visible(text, i), _next_visible(text, i)
    return (before < 0 or _visible_gap(text[before])) and (
        after >= len(text) or _visible_gap(text[after])
    )


def _piece_before(text: str, start: int) -> int:
    """The last character of the piece before the gap ending at ``start`` (or -1)."""
    i = start - 1
    while i >= 0 and not fold_char(text[i]):
        i -= 1
    return i


def _piece_after(text: str, end: int) -> int:
    """The first character of the piece after the gap beginning at ``end`` (or len)."""
    i = end
    while i < len(text) and not fold_char(text[i]):
        i += 1
    return i


def gaps_ok(text: str, norm: Normalized, start: int, end: int, pattern: Pattern) -> bool:
    """Check every gap bridged by the normalized match [start, end)."""
    hanzi = pattern.head == "han" and pattern.tail == "han"
    for k in range(start + 1, end):
        g0, g1 = norm.ends[k - 1], norm.starts[k]
        if g0 >= g1:
            continue
        gap = text[g0:g1]
        visible = [ch for ch in gap if gap_kind(ch) != "invisible"]
        if not visible:
            continue
        if len(visible) > MAX_GAP or "\n" in gap:
            return False
        kinds = {gap_kind(ch) for ch in visible}
        if hanzi:
            if "hard" in kinds:
                return False  # "的，什么": a sentence break, not an evasion
            continue
        if "space" not in kinds:
            continue  # in-word punctuation or emoji: "f.u.c.k", "tele-gram"
        if "hard" in kinds:
            return False  # "snap, chat"
        if (k - start) in pattern.breaks:
            continue  # the term itself has a space here
        if _splits_off_function_word(text, g0, g1):
            return False
    return True


def _splits_off_function_word(text: str, g0: int, g1: int) -> bool:
    """True when the words on either side of a space gap include a function word."""
    i = g0
    while i > 0 and _is_letter(text[i - 1]):
        i -= 1
    j = g1
    while j < len(text) and _is_letter(text[j]):
        j += 1
    left, right = _folded(text[i:g0]), _folded(text[g1:j])
    words = _folded_set(tuple(FUNCTION_WORDS))
    return (len(left) > 1 and left in words) or (len(right) > 1 and right in words)


def scripts_ok(text: str, start: int, end: int, pattern: Pattern) -> bool:
    """Refuse a Latin spelling matched by letters all of another script, and vice versa.

    Homoglyph evasions mix scripts ("bіtch"); a word written wholly in another script that
    merely folds to the same skeleton is a different word.
    """
    head = _SCRIPT_CODES.get(pattern.head)
    if head is None:
        return True
    scripts = set(text[start:end].translate(_LETTER_SCRIPTS))
    return not scripts or head in scripts or len(scripts) > 1


# scripts_ok's alphabets as one character each, so that one str.translate pass (C) gives the
# scripts of a match's letters ("" for non-letters and letters of script "other")
_SCRIPT_CODES = {"latin": "l", "cyrillic": "c", "greek": "g"}
_ALL_SCRIPT_CODES = {**_SCRIPT_CODES, "arabic": "a", "han": "h"}


def _letter_script(ch: str) -> str:
    return _ALL_SCRIPT_CODES.get(script_of(ch), "") if ch.isalpha() else ""


_LETTER_SCRIPTS = _Table(_letter_script)
