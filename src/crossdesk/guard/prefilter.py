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

from crossdesk.guard.folding import _ARABIC, LEET, _t2s_table, pinyin_of
from crossdesk.guard.matcher import Automaton

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
_SYMBOL_LETTERS = str.maketrans({k: v for k, v in LEET.items() if k in _LEET_SYMBOLS})
_LATIN_TOKEN = re.compile(r"[a-z]{2,8}")
_ARABIC_VARIANT = re.compile("[" + "".join(_ARABIC) + "]")
# a Latin letter touching a Hanzi: part-pinyin spellings ("wei信", "gou东西")
_MIXED_HAN = re.compile(r"[a-z][\u3400-\u9fff\uf900-\ufaff]|[\u3400-\u9fff\uf900-\ufaff][a-z]")
# repeated letters collapse to one: ASCII and two-byte (Latin, Greek, Cyrillic, Arabic...)
# letters, like the view's byte-level passes below; Hanzi and digits stay
_REPEATS = re.compile(r"([a-z\u0080-\u07ff])\1+")


def _byte_table(digits_as_letters: bool, symbols_as_letters: bool) -> bytes:
    """ASCII folding for ``bytes.translate``: letters kept, every gap a space.

    Digits read as the letters they imitate in the main view (a key's digits are read the same
    way by :func:`fold_view`, so "74bx" still finds "74bx"); the Hanzi view keeps them.
    """
    table = bytearray(range(256))
    for b in range(128):
        ch = chr(b)
        if ch.isdigit() and digits_as_letters and ch in LEET:
            table[b] = ord(LEET[ch])
        elif ch.isalnum():
            table[b] = ord(ch.lower())
        elif symbols_as_letters and ch in LEET:
            table[b] = ord(LEET[ch])
        else:
            table[b] = 0x20
    return bytes(table)


_SPACED = _byte_table(True, False)
_SPACED_LEET = _byte_table(True, True)
_SPACED_RAW = _byte_table(False, False)
_LITERAL = {_SPACED: _SPACED_RAW, _SPACED_LEET: _byte_table(False, True)}
_DIGITS = b"0123456789"
_ASCII_LETTER = re.compile(r"[a-z]")
_ASCII_GAPS = bytes(b for b in range(128) if not chr(b).isalnum())
# a single letter spelled out twice in a row ("s a p p")
_SINGLES = re.compile(r" ([^ ]) \1 ")


@functools.cache
def _fix_table() -> dict[int, str]:
    table = {ord(k): v for k, v in _t2s_table().items()}
    table.update({ord(k): v for k, v in _ARABIC.items()})
    return table


@functools.cache
def _fix_re() -> re.Pattern[str]:
    return re.compile("[" + re.escape("".join(chr(c) for c in _fix_table())) + "]")


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

    Loads the t2s, pinyin, syllable and confusables tables and jieba's dictionary (about a
    second), so that the first Chinese hit does not pay for them.
    """
    from crossdesk.guard.folding import confusables
    from crossdesk.guard.segment import word_frequency

    _fix_re()
    syllable_table()
    confusables()
    word_frequency("微信")


def needs_word_start(key: str, weak: bool, pinyin: bool) -> bool:
    """Keys the pre-filter looks for only at a word start (in the spaced view).

    Short Latin/Cyrillic/Arabic keys ("wa", "tg", "qq" folded to "q") and weak variants would
    occur inside almost any gapless text; pinyin spellings must also end their word.
    """
    if not (weak or pinyin or len(key) <= 3):
        return False
    return _HAN.search(key) is None


def fold_word(word: str) -> str:
    """One word as the view spells it: repeated letters collapsed."""
    return _REPEATS.sub(r"\1", word)


def fold_view(key: str) -> str:
    """A folded dictionary key as the pre-filter's view spells it.

    Folded keys already have their letter runs collapsed word by word (a multi-word term
    keeps a double letter across its word join, like the joined words of the view). A key
    with digits is searched in the view that keeps digits as written, every other key in the
    view that reads leetspeak digits as letters; either way the key is unchanged.
    """
    return key


_HOMOPHONE_REACH = 8  # Hanzi either side of a Latin run spelled for part-pinyin spellings


def _latin_run(text: str, start: int, end: int) -> tuple[int, int]:
    """The whole run of Latin letters around text[start:end]."""
    lo, hi = start, end
    while lo > 0 and "a" <= text[lo - 1] <= "z":
        lo -= 1
    while hi < len(text) and "a" <= text[hi] <= "z":
        hi += 1
    return lo, hi


def _merge_singles(words: list[str]) -> list[str]:
    """Letters spelled out one by one ("s a p p") collapse across the gap, like the exact path."""
    out: list[str] = []
    last = ""
    for w in words:
        if len(w) == 1 and w == last:
            continue
        out.append(w)
        last = w if len(w) == 1 else ""
    return out


class _WordCache(dict[str, str]):
    """word → :func:`fold_word` of it, bounded.

    Chat vocabulary repeats, so the regex work runs once per distinct word and a message
    costs one C-level ``map`` over its words.
    """

    MAX = 1 << 16

    def fold(self, word: str) -> str:
        folded = self.get(word)
        if folded is None:
            if len(self) >= self.MAX:
                self.clear()
            folded = self[word] = fold_word(word)
        return folded


# Non-ASCII characters outside the common letter blocks (Latin-1 letters, Latin Extended,
# Greek, Cyrillic, Arabic letters, Hanzi): emoji, CJK punctuation, marks, zero-width, rarer
# scripts. Found with one cheap character-class search, then judged one by one.
_ODD = re.compile(
    r"[^\x00-\x7f\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02af\u0370-\u03ff\u0400-\u0482"
    r"\u048a-\u052f\u0621-\u063f\u0641-\u064a\u0660-\u0669\u066e-\u06d3"
    r"\u3400-\u4dbf\u4e00-\u9fff]"
)


@functools.cache
def _odd_char(ch: str) -> str:
    """How the view spells an unusual character: itself (a letter), "" (invisible) or " "."""
    if re.match(r"\w", ch) and ch != "\u0640":
        return ch
    if unicodedata.category(ch) in ("Mn", "Me", "Cf") or ch == "\u0640":
        return ""  # invisible: "غَبِي" and "wh\u200bats" stay one word, as in the exact path
    return " "


def _odd_repl(m: re.Match[str]) -> str:
    return _odd_char(m.group())


def _gaps_to_spaces(s: str) -> str:
    return _ODD.sub(_odd_repl, s) if _ODD.search(s) else s


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
        syllables: dict[str, list[str]],
        homophones: Automaton | None,
        initials: frozenset[str],
    ) -> None:
        self._keys = keys
        self._han_keys = han_keys
        self._syllable_terms = list(syllables.values())
        self._syllables = Automaton(list(syllables)) if syllables else None
        self.syllables = self._syllables  # the exact path's homophone gate shares it
        self._homophones = homophones
        self._initials = initials
        self._words = _WordCache()

    def _homophone(self, written: str) -> bool:
        """A Hanzi window that reads like a term and keeps enough of its characters."""
        assert self._syllables is not None
        for ki, start, end in self._syllables.find(written.translate(syllable_table())):
            window = written[start:end]
            for term in self._syllable_terms[ki]:
                kept = sum(1 for a, b in zip(window, term, strict=True) if a == b)
                if kept and len(term) - kept <= max(1, len(term) // 2):
                    return True
        return False

    def _views(self, raw: bytes, table: bytes) -> tuple[str, str]:
        """(spaced, gapless) views of the folded words (see the module docstring)."""
        words = raw.translate(table).decode().split()
        try:
            folded = list(map(self._words.__getitem__, words))
        except KeyError:
            folded = [self._words.fold(w) for w in words]
        gapless = "".join(folded)
        spaced = " " + " ".join(folded) + " "
        if _SINGLES.search(spaced):
            gapless = "".join(_merge_singles(folded))
        return spaced, gapless

    def _hit(self, raw: bytes, table: bytes, han: bool) -> bool:
        spaced, gapless = self._views(raw, table)
        if len(raw.translate(None, _DIGITS)) != len(raw):
            # keys with digits (handles such as "ab12") match the digits as written
            lit_spaced, lit_gapless = self._views(raw, _LITERAL[table])
            spaced += "\x00" + lit_spaced
            gapless += "\x00" + lit_gapless
        if self._keys.any(spaced + gapless):
            return True
        if not han:
            return False
        # Hanzi and digits as written (homophones read the digits), gaps removed
        written = raw.translate(_SPACED_RAW, _ASCII_GAPS).decode()
        if self._han_keys.any(gapless) or (self._syllables and self._homophone(written)):
            return True
        if _ASCII_LETTER.search(written) is None:
            return False  # part-pinyin spellings and initials need Latin letters
        if self._homophones is not None:
            # part-pinyin spellings ("wei信"): spell the Hanzi around each Latin run touching one
            for m in _MIXED_HAN.finditer(written):
                lo, hi = _latin_run(written, m.start(), m.end())
                around = written[max(0, lo - _HOMOPHONE_REACH) : hi + _HOMOPHONE_REACH]
                if self._homophones.any(_RUNS.sub(r"\1", around.translate(pinyin_table()))):
                    return True
        if self._initials:
            for tok in _LATIN_TOKEN.findall(written):
                if tok in self._initials or _RUNS.sub(r"\1", tok) in self._initials:
                    return True
        return False

    def may_match(self, text: str) -> bool:
        """False only when no term, variant or homophone can match ``text``."""
        s = text.casefold()
        han = False
        if not s.isascii():
            if not unicodedata.is_normalized("NFKD", s):
                s = unicodedata.normalize("NFKD", s)
            han = _HAN.search(s) is not None
            if (han and _fix_re().search(s)) or (not han and _ARABIC_VARIANT.search(s)):
                s = s.translate(_fix_table())
            if _suspect(s):
                return True
            pre = s
            s = _gaps_to_spaces(s)
        else:
            if "*" in s and _MASK.search(s):
                return True
            pre = s
        raw = s.encode()
        if self._hit(raw, _SPACED, han):
            return True
        if any(sym in pre for sym in _LEET_SYMBOLS) and _LEET_SYM.search(pre):
            # "wh@ts@pp", "put@", "€": the symbols read as letters this time; read as Latin
            # letters inside a Cyrillic word ("к@рта") they are look-alikes for the exact path
            if not pre.isascii() and _suspect(pre.translate(_SYMBOL_LETTERS)):
                return True
            if "€" in pre:
                s = _gaps_to_spaces(pre.replace("€", "e"))
                raw = s.encode()
            return self._hit(raw, _SPACED_LEET, han)
        return False
