"""The fast path: can this message contain a hit at all?

Most chat messages are clean. For them the guard must cost no more than a naive filter, so it
folds the whole message with C-level string operations into the key space of one automaton
and asks ahocorasick-rs once (twice for Chinese text). Only messages that may hold a hit (a
few percent) pay for the exact, offset-keeping normalizer and the boundary checks. The
pre-filter may say yes too often, never too rarely: it folds at least as aggressively as the
exact path, and its keys are folded by the same function as the text (:func:`fold_view`).

The view, built once per message:

1. case fold, NFKD (only when the text is not already NFKD), one ``str.translate`` for
   traditional characters and Arabic letter variants (only when one occurs);
2. every gap (space, punctuation, emoji, zero-width and combining marks) becomes a space:
   a ``bytes.translate`` for ASCII, one regex substitution for the few non-ASCII gaps;
3. each word is folded (leetspeak digits to letters, repeated letters collapsed) through a
   bounded per-word cache, so the per-character work runs once per distinct word;
4. the words are searched joined by spaces (keys that must start a word) and joined without
   them (every other key, so "w.e.c.h.a.t" and "微 信" still match) in ONE automaton call.

Chinese text adds one ``str.translate`` that spells each Hanzi (and digit) as one private-use
character per pinyin syllable: homophones (威信, 薇信 for 微信) are then plain occurrences.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from crossdesk.guard.folding import _ARABIC, LEET, _t2s_table, is_han, pinyin_of
from crossdesk.guard.matcher import Automaton

_GAPS = re.compile(r"[\W_\u0640]+")
_RUNS = re.compile(r"([^\W\d_\u3400-\u9fff\uf900-\ufaff])\1+")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Messages the fast path cannot judge alone go straight to the exact path: a word mixing Latin
# with Cyrillic/Greek letters (look-alikes), letters drawn as symbols, masked letters ("a**").
_NON_LATIN_LETTERS = re.compile(r"[\u0370-\u04ff\U0001f130-\U0001f189]")
_SUSPECT = re.compile(
    r"[a-z][\u0370-\u03ff\u0400-\u04ff]|[\u0370-\u03ff\u0400-\u04ff][a-z]|[\U0001f130-\U0001f189]"
)
_MASK = re.compile(r"\w\*")

def _suspect(s: str) -> bool:
    # each regex pass costs microseconds: test the rare ingredients with plain searches first
    if "*" in s and _MASK.search(s):
        return True
    return (
        not s.isascii()
        and _NON_LATIN_LETTERS.search(s) is not None
        and (_SUSPECT.search(s) is not None)
    )


# Leetspeak symbols that are gaps as often as letters: a second view reads them as letters.
_LEET_SYMBOLS = "@$!|€"
_LEET_SYM = re.compile(r"[^\W_][@$!|€]+[^\W_]|[@$€][^\W\d_]|[^\W\d_][@$€]")
_LATIN_TOKEN = re.compile(r"[a-z]{2,8}")
# non-ASCII characters that are gaps (emoji, CJK punctuation, marks, zero-width, tatweel)
_NA_GAP = re.compile(r"[^\w\x00-\x7f]|\u0640")
# a Latin letter touching a Hanzi: part-pinyin spellings ("wei信", "gou东西")
_MIXED_HAN = re.compile(
    r"[a-z][\u3400-\u9fff\uf900-\ufaff]|[\u3400-\u9fff\uf900-\ufaff][a-z]"
)
# repeated letters (not Hanzi, which the exact path keeps) collapse to one
_REPEATS = re.compile(r"([^\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])\1+")
_DIGIT_LEET = str.maketrans({k: v for k, v in LEET.items() if k.isdigit()})
_HAS_DIGIT = re.compile(r"\d")


def _byte_table(symbols_as_letters: bool) -> bytes:
    """ASCII folding for ``bytes.translate``: letters and digits kept, every gap a space."""
    table = bytearray(range(256))
    for b in range(128):
        ch = chr(b)
        if ch.isalnum():
            table[b] = ord(ch.lower())
        elif symbols_as_letters and ch in LEET:
            table[b] = ord(LEET[ch])
        else:
            table[b] = 0x20
    return bytes(table)


_SPACED = _byte_table(False)
_SPACED_LEET = _byte_table(True)


@functools.cache
def _fix_table() -> dict[int, str]:
    table = {ord(k): v for k, v in _t2s_table().items()}
    table.update({ord(k): v for k, v in _ARABIC.items()})
    return table


@functools.cache
def _fix_re() -> re.Pattern[str]:
    return re.compile("[" + re.escape("".join(chr(c) for c in _fix_table())) + "]")


@functools.cache
def _leet_table() -> dict[int, str]:
    return {ord(k): v for k, v in LEET.items()}


@functools.cache
def pinyin_table() -> dict[int, str]:
    """Han character (and ASCII digit) → toneless pinyin, for ``str.translate``."""
    table: dict[int, str] = {}
    for lo, hi in ((0x3400, 0x4DBF), (0x4E00, 0x9FFF)):
        for cp in range(lo, hi + 1):
            reading = pinyin_of(chr(cp))
            if reading:
                table[cp] = reading
    for d in "0123456789":
        table[ord(d)] = pinyin_of(d)
    return table


_SYLLABLE_BASE = 0xF0000  # supplementary private use area: never in real keys or text


@functools.cache
def syllable_table() -> dict[int, str]:
    """Han character and ASCII digit → one private-use character per pinyin syllable.

    Characters with the same reading map to the same character, so a homophone spelling of a
    term is an ordinary occurrence of the term's syllable key. Every ASCII character maps to
    itself so that ``str.translate`` never misses on the common characters.
    """
    ids: dict[str, str] = {}
    table: dict[int, str] = {cp: chr(cp) for cp in range(128)}
    for cp, reading in pinyin_table().items():
        if reading not in ids:
            ids[reading] = chr(_SYLLABLE_BASE + len(ids))
        table[cp] = ids[reading]
    return table


def syllable_key(text: str) -> str:
    """The syllable spelling of an all-Hanzi key (see :func:`syllable_table`)."""
    return text.translate(syllable_table())


def warm_up() -> None:
    """Build the lazily computed tables now (a server calls this at start-up).

    Loads the t2s, leetspeak, pinyin and syllable tables and jieba's dictionary (about a
    second), so that the first Chinese hit does not pay for them.
    """
    from crossdesk.guard.folding import confusables
    from crossdesk.guard.segment import word_frequency

    _fix_re()
    _leet_table()
    syllable_table()
    confusables()
    word_frequency("微信")


def needs_word_start(key: str, weak: bool, pinyin: bool) -> bool:
    """Keys the pre-filter looks for only at a word start (in the spaced view).

    Short Latin/Cyrillic/Arabic keys ("wa", "tg", "qq" folded to "q") and weak variants would
    occur inside almost any gapless text; pinyin spellings must also end their word.
    """
    if any("\u3400" <= ch <= "\u9fff" for ch in key):
        return False
    return weak or pinyin or len(key) <= 3


def fold_word(word: str) -> str:
    """One word of the view: leetspeak digits read as letters, repeated letters collapsed."""
    if _HAS_DIGIT.search(word):
        word = word.translate(_DIGIT_LEET)
    return _REPEATS.sub(r"\1", word)


def fold_view(key: str) -> str:
    """A folded dictionary key as the pre-filter's view spells it (keys have no gaps)."""
    return fold_word(key)


_WORD_CACHE_SIZE = 1 << 16


class Prefilter:
    """Answers "may this text hold a hit?" cheaply.

    Args:
        keys: automaton over the view: gapless keys, and " key" / " key " for keys that must
            start (and, for short keys and pinyin, also end) a word.
        han_keys: automaton searched in Chinese text only: the word-start keys without their
            space (Latin words touch Hanzi: "加我qq", "你VX多少") and the syllable keys of
            homophones.
        homophones: automaton over pinyin-spelled keys, for part-pinyin spellings ("wei信").
        initials: pinyin initials checked on whole Latin tokens in Chinese text.
    """

    def __init__(
        self,
        keys: Automaton,
        han_keys: Automaton,
        homophones: Automaton | None,
        initials: frozenset[str],
    ) -> None:
        self._keys = keys
        self._han_keys = han_keys
        self._homophones = homophones
        self._initials = initials
        self._words: dict[str, str] = {}

    def _fold_words(self, words: list[str]) -> list[str]:
        cache = self._words
        out = []
        for word in words:
            folded = cache.get(word)
            if folded is None:
                if len(cache) >= _WORD_CACHE_SIZE:
                    cache.clear()
                folded = cache[word] = fold_word(word)
            out.append(folded)
        return out

    def _hit(self, spaced: str, han: bool) -> bool:
        words = spaced.split()
        folded = self._fold_words(words)
        gapless = "".join(folded)
        if any(len(w) == 1 for w in folded):
            # single letters spelled out ("s a p p") collapse across the gap like the exact path
            gapless = _REPEATS.sub(r"\1", gapless)
        if self._keys.any(" " + " ".join(folded) + " " + gapless):
            return True
        if not han:
            return False
        raw = "".join(words)  # Hanzi and digits as written: homophones read the digits
        if self._han_keys.any(gapless + "\x00" + raw.translate(syllable_table())):
            return True
        if self._homophones is not None and _MIXED_HAN.search(raw):
            spelled = _RUNS.sub(r"\1", raw.translate(pinyin_table()))
            if self._homophones.any(spelled):
                return True
        return bool(self._initials) and any(
            tok in self._initials for tok in _LATIN_TOKEN.findall(spaced)
        )

    def may_match(self, text: str) -> bool:
        """False only when no term, variant or homophone can match ``text``."""
        s = text.casefold()
        han = False
        if not s.isascii():
            if not unicodedata.is_normalized("NFKD", s):
                s = unicodedata.normalize("NFKD", s)
            if _fix_re().search(s):
                s = s.translate(_fix_table())
            if _suspect(s):
                return True
            s = _NA_GAP.sub(" ", s)
            han = _HAN.search(s) is not None
        elif "*" in s and _MASK.search(s):
            return True
        raw = s.encode()
        if self._hit(raw.translate(_SPACED).decode(), han):
            return True
        if _LEET_SYM.search(s):
            return self._hit(raw.translate(_SPACED_LEET).decode(), han)
        return False
