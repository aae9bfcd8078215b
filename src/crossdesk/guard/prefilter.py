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

import bisect
import functools
import itertools
import re
import unicodedata
from array import array
from collections.abc import Callable

from crossdesk.guard.folding import _ARABIC, LEET, _t2s_table, pinyin_of
from crossdesk.guard.matcher import Automaton, KeyAutomaton

try:
    from crossdesk.guard._fastview import FastPrefilter, free_keys
except ImportError:  # not compiled: the Python passes below answer alone, only slower
    FastPrefilter = free_keys = None  # type: ignore[assignment,misc]

_RUNS = re.compile(r"([^\W\d_\u3400-\u9fff\uf900-\ufaff])\1+")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Messages the fast path cannot judge alone go straight to the exact path: a word mixing Latin
# with Cyrillic/Greek letters (look-alikes), letters drawn as symbols, masked letters ("a**").
_NON_LATIN_LETTERS = re.compile(r"[\u0370-\u04ff\U0001f130-\U0001f189]")
# A Latin letter and a Cyrillic/Greek one in the same word (for the exact path a word runs
# over Hanzi and zero-width characters too: "yo线下а交易", and over leet digits, which it may
# read as Latin letters when they stand between two letters: "a1а", "私1下а"). Searched from
# the Latin letters only, forwards and (on the reversed text) backwards: Latin letters are
# rare in the texts where the Cyrillic/Greek gate lets this run, so the lazy scans stay short.
_LATIN_THEN_OTHER = re.compile(
    r"(?:[a-z]|(?<=[^\W\d_])[013457]+(?=[^\W\d_]))"
    r"(?:[^\W\d_]|[013457\u200b-\u200f\u2060\ufeff])*?[\u0370-\u03ff\u0400-\u04ff]"
)
_STYLED = re.compile(r"[\U0001f130-\U0001f189]")
_MASK = re.compile(r"\w\*")


def _suspect(s: str) -> bool:
    # each regex pass costs microseconds: test the rare ingredients with plain searches first
    if "*" in s and _MASK.search(s):
        return True
    if s.isascii() or _NON_LATIN_LETTERS.search(s) is None:
        return False
    if _STYLED.search(s) is not None:
        return True
    return _LATIN_THEN_OTHER.search(s) is not None or (
        _LATIN_THEN_OTHER.search(s[::-1]) is not None
    )


# Leetspeak symbols that are gaps as often as letters: a second view reads them as letters.
_LEET_SYMBOLS = "@$!|€"
_LEET_SYM = re.compile(r"[^\W_][@$!|€]+[^\W_]|[@$€][^\W\d_]|[^\W\d_][@$€]")
_SYMBOL_LETTERS = str.maketrans({k: v for k, v in LEET.items() if k in _LEET_SYMBOLS})
_LATIN_TOKEN = re.compile(r"[a-z]{2,8}")
# a Latin letter touching a Hanzi: part-pinyin spellings ("wei信", "gou东西")
_MIXED_HAN = re.compile(r"[a-z][\u3400-\u9fff\uf900-\ufaff]|[\u3400-\u9fff\uf900-\ufaff][a-z]")
# repeated letters collapse to one: ASCII and two-byte (Latin, Greek, Cyrillic, Arabic...)
# letters, like the view's byte-level passes below; Hanzi and digits stay
_REPEATS = re.compile(r"([a-z\u0080-\u07ff])\1+")
# one or two leet digits with a letter on both sides: the exact path may read them as letters
# (the character class first: the regex engine then skips ahead to the digits)
_LEET_DIGIT_RUN = re.compile(
    r"[013457]{2}(?<=[^\W\d_][013457]{2})(?=[^\W\d_])"
    r"|[013457](?<=[^\W\d_][013457])(?=[^\W\d_])"
)
_DIGIT_LETTERS = str.maketrans({k: v for k, v in LEET.items() if k.isdigit()})


def _leet_letters(m: re.Match[str]) -> str:
    return m.group().translate(_DIGIT_LETTERS)


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
    table[1] = 1  # the barrier byte (see _BARRIER), never in a text that gets here
    return bytes(table)


_SPACED = _byte_table(True, False)
_SPACED_LEET = _byte_table(True, True)
_SPACED_RAW = _byte_table(False, False)
_LITERAL = {_SPACED: _SPACED_RAW, _SPACED_LEET: _byte_table(False, True)}
# the same word split with digits as written, for the word checks (the view reading leet
# symbols as letters has none: any position counts as a word start there)
_SPLIT = bytes(0x20 if 0x30 <= b <= 0x39 else c for b, c in enumerate(_SPACED_RAW))
_WORD_LITERAL = {_SPACED: _SPACED_RAW, _SPACED_RAW: _SPACED_RAW, _SPLIT: _SPLIT}
# a Latin letter touching a digit: the exact path sees a word edge there ("qq4" holds "qq")
# (a Latin letter or a two-byte letter: Cyrillic, Greek, Arabic...; next to a Hanzi a short
# key is found by the Hanzi view's word-start keys)
_LETTER_DIGIT = re.compile(rb"(?:[a-z]|[\xc2-\xdf][\x80-\xbf])[0-9]|[0-9](?:[a-z]|[\xc2-\xdf])")
# punctuation and symbols between two word characters: the exact path joins the word there
# ("غ-بي", "w.a", "q😊q"), so whole-word keys are also looked for with them removed
_IN_WORD = bytes(b for b in range(128) if not chr(b).isalnum() and not chr(b).isspace())
_WORD_PIECE = rb"(?:[a-z0-9]|[\xc2-\xdf][\x80-\xbf])+"
# (from word starts only, pieces possessive: linear in the text)
_JOINED_WORDS = re.compile(
    rb"(?<![a-z0-9\x80-\xbf])" + _WORD_PIECE + rb"+(?:[!-/:-@\[-`{-\x7f]+" + _WORD_PIECE + rb"+)+"
)
_IN_WORD_GAPS = re.compile(rb"[!-/:-@\[-`{-\x7f]+")
_MAX_PIECES = 8


def _joined_spans(raw: bytes) -> list[bytes]:
    """Each run of pieces of a punctuated word, joined ("yo😊ه.ييي": "ه" + "ييي" too).

    The exact path may bridge the punctuation or start a word after it, so every run of up
    to eight consecutive pieces is a candidate whole word.
    """
    out = []
    for word in _JOINED_WORDS.findall(raw):
        pieces = _IN_WORD_GAPS.split(word)
        for i in range(len(pieces)):
            for j in range(i + 1, min(len(pieces), i + _MAX_PIECES) + 1):
                out.append(b"".join(pieces[i:j]))
    return out


_JOINED = re.compile(
    rb"(?:[a-z0-9]|[\xc2-\xdf][\x80-\xbf])[!-/:-@\[-`{-\x7f]+(?:[a-z0-9]|[\xc2-\xdf])"
)
_DIGITS = b"0123456789"
_ASCII_LETTER = re.compile(r"[a-z]")
_ASCII_GAPS = bytes(b for b in range(128) if not chr(b).isalnum())
# gaps a Hanzi match may bridge (sentence punctuation and line breaks it may not)
_SOFT_GAPS = bytes(b for b in _ASCII_GAPS if chr(b) not in ",;:!?\n")
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


def _fix_repl(m: re.Match[str]) -> str:
    return _fix_table()[ord(m.group())]


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

    Loads the t2s, pinyin, syllable and confusables tables, the compiled passes' character
    tables and jieba's dictionary (a few seconds), so that the first message and the first
    Chinese hit do not pay for them.
    """
    from crossdesk.guard.contacts import build_gate_tables
    from crossdesk.guard.folding import confusables
    from crossdesk.guard.segment import word_frequency
    from crossdesk.guard.view_tables import view_tables

    _fix_re()
    syllable_table()
    confusables()
    word_frequency("微信")
    view_tables()
    build_gate_tables()


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


# two or more one-letter words in a row: a short term spelled out ("s e x", "v x", "х у й")
_SPELLED = re.compile(r" [^\W\d_] [^\W\d_] ")


def _spelled_out(words: list[str]) -> list[str]:
    """Each maximal run of two or more one-letter words, joined ("s e x" → "sex").

    The exact path bridges the spaces of a term spelled letter by letter; whole-word keys of
    three letters or fewer are looked for in the spaced view only, so the run is added there
    as a word of its own (the whole run only: "w a t e r" is not "wa").
    """
    runs: list[str] = []
    run: list[str] = []
    for word in [*words, ""]:
        if len(word) == 1 and word.isalpha():
            run.append(word)
            continue
        if len(run) >= 2:
            runs.append("".join(run))
        run = []
    return runs


def _merge_singles(words: list[str]) -> list[int]:
    """Letters spelled out one by one ("s a p p") collapse across the gap, like the exact path.

    Returns the indexes of the words kept.
    """
    out: list[int] = []
    last = ""
    for i, w in enumerate(words):
        if len(w) == 1 and w == last:
            continue
        out.append(i)
        last = w if len(w) == 1 else ""
    return out


# How a pre-filter key may match (see Prefilter._keys_hit): anywhere, only where a word starts
# (Latin, Cyrillic and Greek spellings: the exact path wants a word start), or, for values
# above ANCHORED, as a whole word of at least that many characters (a short key collapsed
# from a longer spelling: "هييي" is the key "هي" but needs four letters)
SKIP, FREE, ANCHORED = -1, 0, 1
ANCHOR_SCRIPTS = frozenset(("latin", "cyrillic", "greek"))


class _View:
    """One message's spaced and gapless views, with what word checks need (built lazily)."""

    __slots__ = (
        "_literal",
        "_spelled_from",
        "_spelled_len",
        "_starts",
        "gapless",
        "kept",
        "raw",
        "spaced",
        "table",
        "words",
    )

    def __init__(
        self,
        spaced: str,
        gapless: str,
        words: list[str],
        kept: list[int] | None,
        raw: bytes,
        table: bytes,
    ) -> None:
        self.spaced = spaced
        self.gapless = gapless
        self.words = words  # the folded words joined into ``gapless``
        self.kept = kept  # their indexes among all words (None: all kept)
        self.raw = raw
        self.table = table
        self._starts: list[int] | None = None
        self._literal: list[str] | None = None
        self._spelled_from = len(spaced)  # where the spelled-out runs begin (see add_spelled)
        self._spelled_len: list[int] = []

    @property
    def spelled_from(self) -> int:
        """Where the spelled-out runs begin in ``spaced``."""
        return self._spelled_from

    @property
    def has_spelled(self) -> bool:
        """The spaced view ends with spelled-out runs."""
        return bool(self._spelled_len)

    def add_spelled(self, runs: list[str], fold: Callable[[str], str]) -> None:
        """Append spelled-out runs to the spaced view as words of their own."""
        self.spaced += " ".join(map(fold, runs)) + " "
        self._spelled_len = [len(r) for r in runs]

    def _literal_words(self) -> list[str] | None:
        """Every word unfolded, digits as written (aligned with the spaced view's words)."""
        if self._literal is None:
            literal = _WORD_LITERAL.get(self.table)
            if literal is None:
                return None
            self._literal = self.raw.translate(literal).decode().split()
        return self._literal

    def starts_word(self, pos: int) -> bool:
        """The exact path could see a word start at ``pos`` of the gapless view.

        True at the first letter of a word, and anywhere inside a word holding a digit, a
        Hanzi or another non-letter (the exact path only refuses a letter right before).
        """
        if self._starts is None:
            self._starts = list(itertools.accumulate(map(len, self.words), initial=0))
        i = bisect.bisect_right(self._starts, pos) - 1
        if self._starts[i] == pos:
            return True
        literal = self._literal_words()
        if literal is None:
            return True  # unknown: say yes
        word = literal[self.kept[i] if self.kept is not None else i]
        return not word.isalpha() or _HAN.search(word) is not None

    def word_length(self, pos: int) -> int:
        """Characters of the spaced view's word starting after the space at ``pos``."""
        if pos >= self._spelled_from - 1:  # a spelled-out run: one letter per word
            return self._spelled_len[self.spaced.count(" ", self._spelled_from - 1, pos)]
        literal = self._literal_words()
        if literal is None:
            return 1 << 30
        word = literal[self.spaced.count(" ", 0, pos)]
        # a one-letter word may be the first of letters spelled out ("q-q" holds "qq")
        return len(word) if len(word) > 1 else 1 << 30


# Digits in a run of three or more are never leetspeak for the exact path (a leet digit needs
# a letter on both sides inside its token, and a token's digit runs are at most two long):
# the views reading digits as letters drop them (order and tracking numbers would otherwise
# read as random letters); keys with digits are looked for in the literal view.
_LONG_DIGITS = re.compile(rb"[0-9]{3,}")
_ANY_DIGITS = re.compile(rb"[0-9]+")
_ASCII_DIGIT = re.compile(r"[0-9]")
# what they become: a word of its own that no key holds, so nothing joins across it
# (an ASCII byte: a non-ASCII one would make every view a wide string, slower to search)
_BARRIER = b" \x01 "


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
_EXT_HAN = re.compile(r"[\U00020000-\U0002fa1f]")


_CJK_HARD = "。、"


@functools.cache
def _odd_char(ch: str) -> str:
    """How the view spells an unusual character: itself (a letter), "" (invisible), a gap."""
    if re.match(r"\w", ch) and ch != "\u0640":
        return ch
    if ch in _CJK_HARD:
        return "\n"  # a sentence break (the other CJK marks fold to ASCII ones under NFKD)
    if unicodedata.category(ch) in ("Mn", "Me", "Cf") or ch == "\u0640":
        return ""  # invisible: "غَبِي" and "wh\u200bats" stay one word, as in the exact path
    # a space, or another visible gap (emoji, symbol: "\x7f", removed in the joined view)
    return " " if ch.isspace() else "\x7f"


def _odd_repl(m: re.Match[str]) -> str:
    return _odd_char(m.group())


def _gaps_to_spaces(s: str) -> str:
    return _ODD.sub(_odd_repl, s) if _ODD.search(s) else s


class Prefilter:
    """Answers "may this text hold a hit?" cheaply.

    Args:
        keys: automaton over the views (shared with the exact path, whose keys it also
            holds): gapless keys, and " key" / " key " for keys that must start (and, for
            short keys and pinyin, also end) a word.
        modes: per key, where it may match: SKIP (not a pre-filter key), FREE, ANCHORED (at
            a word start of the gapless view) or, above ANCHORED, the fewest characters of a
            whole-word match.
        han_modes: per key, how it matches in the gapless view of Chinese text: the
            word-start keys without their space (Latin words touch Hanzi: "加我qq", "你VX多少"),
            SKIP for the others.
        homophones: automaton over pinyin-spelled keys, for part-pinyin spellings ("wei信").
        initials: pinyin initials checked on whole Latin tokens in Chinese text.
    """

    def __init__(
        self,
        keys: Automaton,
        modes: list[int],
        han_modes: list[int],
        syllables: dict[str, list[str]],
        homophones: Automaton | None,
        initials: frozenset[str],
    ) -> None:
        self._keys = keys
        self._modes = modes
        self._han_modes = han_modes
        self._syllable_terms = list(syllables.values())
        self._syllables = Automaton(list(syllables)) if syllables else None
        self.syllables = self._syllables  # the exact path's homophone gate shares it
        self._homophones = homophones
        self._initials = initials
        self._words = _WordCache()
        self._around: dict[str, bool] = {}  # part-pinyin windows seen (chat repeats "XL码")
        self._digits = self._digit_keys(modes, han_modes)
        self._fast = self._compiled(modes, han_modes)

    def _compiled(self, modes: list[int], han_modes: list[int]) -> FastPrefilter | None:
        """The compiled twin of :meth:`may_match_python`, when the extension is built."""
        if FastPrefilter is None or self._keys.compiled is None:
            return None
        from crossdesk.guard.view_tables import folded_info, view_tables

        mode_of, han_mode_of = array("i", modes), array("i", han_modes)
        return FastPrefilter(
            view_tables(),
            self._keys.compiled,
            self._free_keys(mode_of, han_mode_of),
            self._digits.compiled if self._digits is not None else None,
            mode_of,
            han_mode_of,
            "".join(LEET.get(d, d) for d in "0123456789"),
            self._syllables.compiled if self._syllables else None,
            self._syllable_terms,
            self._homophones.compiled if self._homophones else None,
            self._initials,
            folded_info,
            self.may_match_python,
        )

    def _free_keys(self, modes: array[int], han_modes: array[int]) -> KeyAutomaton:
        """An automaton over the keys that may match anywhere, for the compiled pre-filter.

        It finds the keys in three ways (``FastPrefilter._views_hit``): descents through the
        trie of all keys from each space of the spaced views reach every key beginning with
        a space (the whole-word keys, which the gapless views never hold); descents from the
        places of the gapless views where the exact path could see a word begin reach the
        ANCHORED keys; this automaton's walk over the gapless views and the spelled-out runs
        reaches the FREE keys (in either view), since a key without a space that occurs in a
        word of the spaced view also occurs in that word of the gapless view (ADR 0006).
        """
        keys, order = self._keys.keys, self._keys.order
        return KeyAutomaton(keys, free_keys(keys, order, modes, han_modes))

    def _digit_keys(self, modes: list[int], han_modes: list[int]) -> Automaton | None:
        """An automaton over the keys holding an ASCII digit (handles such as "ab12"), the
        only keys searched in the views reading digits as written; None when there are none.

        Every other key that occurs there lies in a stretch without digits, which the view
        reading digits as letters holds too, with word starts where this one has them: a run
        of one or two digits reads as letters in a word that (as written) holds a digit, so
        any place of it may begin a key in both views; a longer run becomes a word of its
        own there, which only makes the words after it begin sooner. Except in the letters
        spelled out one by one: a digit alone between them ends a run here ("buy 3 v x"
        spells "vx") and extends it there ("evx"), so the runs are searched for every key
        (:meth:`_spelled_hit`).
        """
        keys = self._keys.keys
        share = [
            i
            for i in self._keys.order
            if (modes[i] != SKIP or han_modes[i] != SKIP) and _ASCII_DIGIT.search(keys[i])
        ]
        return Automaton(keys, share) if share else None

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

    def _part_pinyin(self, around: str) -> bool:
        cached = self._around.get(around)
        if cached is None:
            if len(self._around) >= _WordCache.MAX:
                self._around.clear()
            cached = self._around[around] = self._part_pinyin_uncached(around)
        return cached

    def _part_pinyin_uncached(self, around: str) -> bool:
        """A homophone key spelled by whole characters, Latin letters and Hanzi both in it.

        Spells ``around`` like the exact path's pinyin view (runs collapsed across
        characters) and keeps only matches that begin and end on a character's spelling.
        """
        assert self._homophones is not None
        if _EXT_HAN.search(around):
            return True  # a Hanzi outside the pinyin table: let the exact path read it
        table = pinyin_table()
        # cheap first: any key at all in the spelled text, runs collapsed
        if not self._homophones.any(_RUNS.sub(r"\1", around.translate(table))):
            return False
        chars: list[str] = []
        units: list[int] = []
        first: list[bool] = []
        for idx, ch in enumerate(around):
            for pos, part in enumerate(table.get(ord(ch)) or ch):
                if chars and chars[-1] == part and part.isalpha():
                    continue
                chars.append(part)
                units.append(idx)
                first.append(pos == 0)
        n = len(chars)
        for _, ps, pe in self._homophones.find("".join(chars)):
            if first[ps] and (pe == n or first[pe]):
                window = around[units[ps] : units[pe - 1] + 1]
                if _HAN.search(window) and _ASCII_LETTER.search(window):
                    return True
        return False

    def _views(self, raw: bytes, table: bytes, joined: bytes | None = None) -> _View:
        """(spaced, gapless) views of the folded words (see the module docstring).

        ``joined``: ASCII gaps removed inside words instead of splitting there.
        """
        if table in _LITERAL and _LONG_DIGITS.search(raw) is not None:
            raw = _LONG_DIGITS.sub(_BARRIER, raw)
        if joined is not None:
            raw = raw.translate(None, joined)
        words = raw.translate(table).decode().split()
        try:
            folded = list(map(self._words.__getitem__, words))
        except KeyError:
            folded = [self._words.fold(w) for w in words]
        spaced = " " + " ".join(folded) + " "
        spelled = None
        if _SPELLED.search(spaced):
            # a digit read as a break still ends letters spelled out one by one, as in the
            # exact path ("غ ب ي 3 x" spells "غبي", not "غبيx")
            spelled = _spelled_out(
                _ANY_DIGITS.sub(_BARRIER, raw).translate(table).decode().split()
                if table is _SPLIT
                else words
            )
        kept = None
        if _SINGLES.search(spaced):
            kept = _merge_singles(folded)
            folded = [folded[i] for i in kept]
        view = _View(spaced, "".join(folded), folded, kept, raw, table)
        if spelled:
            view.add_spelled(spelled, self._words.fold)
        return view

    def _keys_hit(self, view: _View, han: bool = False, keys: Automaton | None = None) -> bool:
        """A key occurs where the exact path could accept it (word starts, letter counts).

        ``han``: also the Hanzi-view keys, in the gapless view (Chinese text only).
        ``keys``: a share of the keys to look for (all of them when omitted).
        """
        spaced = view.spaced
        cut = len(spaced) + 1
        modes = self._modes
        han_modes = self._han_modes
        searched = self._keys if keys is None else keys
        for ki, start, _ in searched.find(spaced + "\x00" + view.gapless):
            mode = modes[ki]
            if mode == FREE:
                return True
            if start < cut:
                if mode > ANCHORED and view.word_length(start) >= mode:
                    return True  # a whole-word key spelled with at least its letters
                continue
            if mode == ANCHORED and view.starts_word(start - cut):
                return True
            if han:
                mode = han_modes[ki]
                if mode == FREE or (mode == ANCHORED and view.starts_word(start - cut)):
                    return True
        return False

    def _spelled_hit(self, view: _View) -> bool:
        """A key in the spelled-out runs of ``view`` (any key: see :meth:`_digit_keys`)."""
        if not view.has_spelled:
            return False
        at = view.spelled_from - 1  # (the space before the first run)
        modes = self._modes
        for ki, start, _ in self._keys.find(view.spaced[at:]):
            mode = modes[ki]
            if mode == FREE or (mode > ANCHORED and view.word_length(at + start) >= mode):
                return True
        return False

    def _hit(self, raw: bytes, table: bytes, han: bool) -> bool:
        view = self._views(raw, table)
        if self._keys_hit(view, han):
            return True
        digits = len(raw.translate(None, _DIGITS)) != len(raw)
        if digits:
            # keys with digits (handles such as "ab12") match the digits as written
            literal = self._views(raw, _LITERAL[table])
            if self._digits is not None and self._keys_hit(literal, han, self._digits):
                return True
            if self._spelled_hit(literal):
                return True
            if _LETTER_DIGIT.search(_LONG_DIGITS.sub(_BARRIER, raw)) and self._keys_hit(
                self._views(raw, _SPLIT)
            ):
                return True
        if _JOINED.search(raw) and self._joined_hit(raw, table, digits):
            return True
        if not han:
            return False
        # Hanzi and digits as written, gaps removed; all-Hanzi homophones never cross a
        # sentence break (the exact path refuses a hard gap inside a Hanzi match)
        if self._syllables and self._homophone(raw.translate(None, _SOFT_GAPS).decode()):
            return True
        return self._han_latin(raw.translate(_SPACED_RAW, _ASCII_GAPS).decode())

    def _joined_hit(self, raw: bytes, table: bytes, digits: bool) -> bool:
        """Whole-word keys in the words with punctuation inside, joined ("غ-بي", "w.a")."""
        words = b" ".join(_joined_spans(raw))
        if self._keys_hit(self._views(words, table, _IN_WORD)):
            return True
        return digits and self._keys_hit(self._views(words, _SPLIT, _IN_WORD))

    def _han_latin(self, written: str) -> bool:
        """Latin letters and leet digits in Chinese text (``written``: ASCII gaps removed)."""
        return self._pinyin_hit(written) or self._leet_pinyin_hit(written)

    def _leet_pinyin_hit(self, written: str) -> bool:
        """A leet digit inside a word of Hanzi reads as a letter ("私1聊" is "私i聊").

        Only the Latin runs holding such a digit are new (see :meth:`_pinyin_hit`).
        """
        starts = [m.start() for m in _LEET_DIGIT_RUN.finditer(written)]
        return bool(starts) and self._pinyin_runs(
            _LEET_DIGIT_RUN.sub(_leet_letters, written), starts
        )

    def _pinyin_runs(self, written: str, positions: list[int]) -> bool:
        """:meth:`_pinyin_hit` for the Latin runs at ``positions`` only."""
        seen = set()
        for pos in positions:
            lo, hi = _latin_run(written, pos, pos + 1)
            if lo in seen:
                continue
            seen.add(lo)
            if self._homophones is not None and self._part_pinyin(
                written[max(0, lo - _HOMOPHONE_REACH) : hi + _HOMOPHONE_REACH]
            ):
                return True
            if self._initials:
                for tok in _LATIN_TOKEN.findall(written[lo:hi]):
                    if tok in self._initials or _RUNS.sub(r"\1", tok) in self._initials:
                        return True
        return False

    def _pinyin_hit(self, written: str) -> bool:
        """Part-pinyin spellings ("wei信") and pinyin initials in Chinese text."""
        if _ASCII_LETTER.search(written) is None:
            return False  # part-pinyin spellings and initials need Latin letters
        if self._homophones is not None:
            # part-pinyin spellings: spell the Hanzi around each Latin run touching one
            for m in _MIXED_HAN.finditer(written):
                lo, hi = _latin_run(written, m.start(), m.end())
                around = written[max(0, lo - _HOMOPHONE_REACH) : hi + _HOMOPHONE_REACH]
                if self._part_pinyin(around):
                    return True
        if self._initials:
            for tok in _LATIN_TOKEN.findall(written):
                if tok in self._initials or _RUNS.sub(r"\1", tok) in self._initials:
                    return True
        return False

    @property
    def gate(self) -> Callable[[str], bool]:
        """:meth:`may_match` as the cheapest callable: the compiled pass's own (no Python
        frame per message) when it is built."""
        return self._fast.may_match if self._fast is not None else self.may_match_python

    def may_match(self, text: str) -> bool:
        """False only when no term, variant or homophone can match ``text``."""
        if self._fast is not None:
            answer = self._fast.check(text)
            if answer >= 0:
                return answer == 1
        return self.may_match_python(text)

    def may_match_python(self, text: str) -> bool:
        """:meth:`may_match` without the compiled pass (the reference it is tested against)."""
        if "\x01" in text:
            text = text.replace("\x01", " ")  # a gap like any other; the views use it
        s = text.casefold()
        han = False
        if not s.isascii():
            if not unicodedata.is_normalized("NFKD", s):
                s = unicodedata.normalize("NFKD", s)
            han = _HAN.search(s) is not None
            if _fix_re().search(s):
                # traditional Hanzi and Arabic letter variants, as the exact path folds them
                s = _fix_re().sub(_fix_repl, s)
            if _suspect(s) or _EXT_HAN.search(s):
                return True  # (Hanzi outside the basic blocks: the tables here lack them)
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
