"""Text → normalized text plus a map back to original character offsets.

The normalizer undoes the usual evasions (full-width and styled letters, case, accents and
combining marks, zero-width characters, separators and emoji between letters, look-alike
letters from another script, leetspeak inside words, traditional characters, repeated letters)
and records, for every normalized character, the span of ORIGINAL characters it came from.
Each change also sets a flag on the unit so that a word list that switched a normalization off
can refuse hits that needed it.
"""

from __future__ import annotations

import bisect
import enum
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import compress
from typing import TYPE_CHECKING

from crossdesk.guard.folding import (
    LEET,
    LEET_EDGE,
    _t2s_table,
    confusables,
    fold_char,
    is_han,
    pinyin_of,
    script_of,
)

if TYPE_CHECKING:
    from crossdesk.guard._fastview import PinyinSpeller


class Norm(enum.IntFlag):
    """Normalizations a unit needed; a word list may switch each one off."""

    NONE = 0
    FOLD = enum.auto()  # NFKC/NFKD, case folding, full/half width, accents
    SEPARATORS = enum.auto()  # joined across spaces/punctuation/emoji
    INVISIBLE = enum.auto()  # zero-width or format characters removed
    CONFUSABLES = enum.auto()
    LEET = enum.auto()
    TRADITIONAL = enum.auto()
    REPEATS = enum.auto()
    PINYIN = enum.auto()
    VARIANTS = enum.auto()


ALL_NORMS = Norm(sum(Norm))
# plain ints on the hot path: IntFlag arithmetic costs a Python call per operation
_FOLD, _SEP, _INV, _CONF = (
    int(Norm.FOLD),
    int(Norm.SEPARATORS),
    int(Norm.INVISIBLE),
    int(Norm.CONFUSABLES),
)
_LEET, _TRAD, _REP = int(Norm.LEET), int(Norm.TRADITIONAL), int(Norm.REPEATS)


class Normalized:
    """Normalized text with, per normalized character, the original span it came from.

    Attributes:
        text: the normalized text (gaps removed).
        starts: original start offset of each normalized character.
        ends: original end offset (exclusive) of each normalized character.
        flags: the normalizations each normalized character needed (computed on first use by
            the fast path: only the few units of a candidate match are ever looked at).
    """

    __slots__ = ("_flags", "_leet", "_reps", "_source", "ends", "starts", "text")

    def __init__(
        self,
        text: str,
        starts: tuple[int, ...],
        ends: tuple[int, ...],
        flags: tuple[int, ...] | None = None,
        source: str = "",
        reps: frozenset[int] = frozenset(),
        leet: frozenset[int] = frozenset(),
    ) -> None:
        self.text = text
        self.starts = starts
        self.ends = ends
        self._flags = flags
        self._source = source
        self._reps = reps
        self._leet = leet

    def __repr__(self) -> str:
        return f"Normalized({self.text!r}, starts={self.starts!r}, ends={self.ends!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Normalized):
            return NotImplemented
        return (self.text, self.starts, self.ends, self.flags) == (
            other.text,
            other.starts,
            other.ends,
            other.flags,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable cache inside: not hashable

    @property
    def flags(self) -> tuple[int, ...]:
        """The normalizations each normalized character needed."""
        if self._flags is None:
            self._flags = tuple(self._flag(k) for k in range(len(self.text)))
        return self._flags

    def _flag(self, k: int) -> int:
        """Flags of unit ``k`` (fast path: no look-alike rewrites)."""
        if self._flags is not None:
            return self._flags[k]
        source = self._source
        i = self.starts[k]
        flag = 0
        if k:
            for ch in source[self.ends[k - 1] : i]:
                flag |= _INV if _invisible(ch) else _SEP
        ch = source[i]
        if i in self._leet:
            flag |= _LEET
        elif ch in _t2s_table():
            flag |= _TRAD
        elif fold_char(ch) != ch:
            flag |= _FOLD
        if k in self._reps:
            flag |= _REP
        return flag

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original (start, end) for the normalized slice [start, end)."""
        return self.starts[start], self.ends[end - 1]

    def needed(self, start: int, end: int) -> Norm:
        """Union of the normalizations used by the normalized slice [start, end)."""
        return Norm(self.needed_bits(start, end))

    def needed_bits(self, start: int, end: int) -> int:
        """:meth:`needed` as a plain int (IntFlag arithmetic is slow on the hot path)."""
        # the gap before the first unit is outside the match
        out = self._flag(start) & ~(_SEP | _INV) if start < end else 0
        for k in range(start + 1, end):
            out |= self._flag(k)
        return out


def _is_letter(folded: str) -> bool:
    return bool(folded) and folded[0].isalpha()


def _leet_positions(text: str, folded: list[str]) -> set[int]:
    """Indexes of digits/symbols that stand for letters inside a letter-dominated word."""
    out: set[int] = set()
    n = len(text)
    i = 0
    while i < n:
        # a token: letters and leet characters, no gaps
        if not (_is_letter(folded[i]) or text[i] in LEET):
            i += 1
            continue
        j = i
        while j < n and (_is_letter(folded[j]) or text[j] in LEET):
            j += 1
        _token_leet(text, folded, i, j, out)
        i = j
    return out


def _token_leet(text: str, folded: list[str], i: int, j: int, out: set[int]) -> None:
    """Add the leet positions of the token text[i:j] (``folded`` indexed like ``text``)."""
    letters = [k for k in range(i, j) if _is_letter(folded[k]) and text[k] not in LEET]
    leet = [k for k in range(i, j) if text[k] in LEET]
    longest_digit_run = run = 0
    for k in range(i, j):
        run = run + 1 if text[k].isdigit() else 0
        longest_digit_run = max(longest_digit_run, run)
    if len(letters) >= 2 and leet and len(letters) > len(leet) and longest_digit_run <= 2:
        first, last = letters[0], letters[-1]
        for k in leet:
            interior = first < k < last
            edge = text[k] in LEET_EDGE and (k == i or k == j - 1)
            if interior or edge:
                out.add(k)


def _cyrillic_lookalikes() -> dict[str, str]:
    table: dict[str, str] = {}
    for char, latin in confusables().items():
        if 0x0430 <= ord(char) <= 0x044F and latin not in table:
            table[latin] = char
    return table


def _unmix_scripts(text: str, folded: list[str]) -> dict[int, str]:
    """Rewrite look-alike letters of a minority script inside a mixed-script word."""
    out: dict[int, str] = {}
    n = len(folded)
    i = 0
    while i < n:
        if not _is_letter(folded[i]):
            i += 1
            continue
        j = i
        while j < n and (_is_letter(folded[j]) or (folded[j] == "" and _invisible(text[j]))):
            j += 1
        scripts = [script_of(folded[k][0]) for k in range(i, j) if folded[k]]
        counts = {s: scripts.count(s) for s in set(scripts) if s in ("latin", "cyrillic", "greek")}
        if len(counts) > 1:
            major = max(counts, key=lambda s: (counts[s], s == "latin"))
            to_latin = confusables()
            to_cyr = _cyrillic_lookalikes()
            for k in range(i, j):
                ch = folded[k]
                if not ch or script_of(ch[0]) == major:
                    continue
                latin = to_latin.get(ch, ch if script_of(ch[0]) == "latin" else "")
                target = to_cyr.get(latin, "") if major == "cyrillic" else latin
                if target:
                    out[k] = target
        i = j
    return out


def normalize(text: str) -> Normalized:
    """Normalize ``text`` for matching, keeping the map back to original offsets.

    Args:
        text: the original text.

    Returns:
        The normalized text and its offset map; every offset lies inside ``text``.
    """
    compiled = _compiled or _compile()
    fast = compiled(text)
    return fast if fast is not None else normalize_reference(text)


_compiled: Callable[[str], Normalized | None] | None = None


def _compile() -> Callable[[str], Normalized | None]:
    """The fast normalizer: the compiled twin of :func:`_normalize_fast` where it is built."""
    global _compiled
    try:
        from crossdesk.guard._fastnorm import FastNormalizer
    except ImportError:
        _compiled = _normalize_fast
    else:
        _compiled = FastNormalizer(
            _CLASS_AND_FOLD.__getitem__, LEET, LEET_EDGE, Normalized
        ).normalize
    return _compiled


def normalize_reference(text: str) -> Normalized:
    """The character-by-character normalizer: the definition :func:`normalize` must equal.

    :func:`normalize` takes the fast path (``_fastnorm.pyx``, or its Python twin
    :func:`_normalize_fast`) for text without mixed-script words or characters folding to
    several letters, and falls back to this function for the rest; property tests check all
    three agree.
    """
    folded = [fold_char(ch) for ch in text]
    leet = _leet_positions(text, folded)
    for k in leet:
        folded[k] = LEET[text[k]]
    unmixed = _unmix_scripts(text, folded)
    t2s = _t2s_table()

    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    flags: list[int] = []
    pending = 0  # flags carried by the gap before the next unit
    for i, ch in enumerate(text):
        out = unmixed.get(i, folded[i])
        if not out:
            if chars:
                pending |= _INV if _invisible(ch) else _SEP
            continue
        flag = pending
        pending = 0
        if i in leet:
            flag |= _LEET
        if i in unmixed:
            flag |= _CONF
        if ch in t2s:
            flag |= _TRAD
        elif out != ch and i not in leet:
            flag |= _FOLD
        # across a gap, runs collapse only between single-letter pieces ("s a p p"), never
        # between words ("is shit", "в ватсап")
        alone = not (flag & (_SEP | _INV)) or (
            _single(folded, unmixed, starts[-1] if starts else -1)
            and (i + 1 >= len(text) or not unmixed.get(i + 1, folded[i + 1]))
        )
        for part in out:
            if chars and chars[-1] == part and part.isalpha() and not is_han(part) and alone:
                # a repeated letter run ("teleeegram", "s a p p"): keep one, widen its span
                ends[-1] = i + 1
                flags[-1] |= _REP
                continue
            chars.append(part)
            starts.append(i)
            ends.append(i + 1)
            flags.append(flag)
    return Normalized("".join(chars), tuple(starts), tuple(ends), tuple(flags))


def _single(folded: list[str], unmixed: dict[int, str], i: int) -> bool:
    """True when original character ``i`` is a one-letter piece (gaps on both sides)."""
    if i < 0:
        return False
    before = i == 0 or not unmixed.get(i - 1, folded[i - 1])
    after = i + 1 >= len(folded) or not unmixed.get(i + 1, folded[i + 1])
    return before and after


def _invisible(ch: str) -> bool:
    from crossdesk.guard.folding import gap_kind

    return gap_kind(ch) == "invisible"


# -- the fast path ------------------------------------------------------------------------
#
# ``_fastnorm.FastNormalizer`` is this section compiled (same steps, one walk in C); this
# Python version is its twin where no compiler built it, and the reference its tests use.
#
# One class character per original character, from a cached table (``str.translate`` runs it
# in C): a Latin / c Cyrillic / g Greek / h other letter (Hanzi, Arabic...), 9 other kept
# character (digits), D leet digit, S leet symbol (a gap unless read as a letter), i invisible
# gap, " " visible gap, M folds to several characters.
_SCRIPT_CLASS = {"latin": "a", "cyrillic": "c", "greek": "g"}


def _char_class(ch: str) -> str:
    folded = fold_char(ch)
    if ch in LEET:
        return "D" if folded else "S"
    if not folded:
        return "i" if _invisible(ch) else " "
    if len(folded) > 1:
        return "M"
    if folded.isalpha():
        return _SCRIPT_CLASS.get(script_of(folded), "h")
    return "9"


class _Table(dict[int, str]):
    """Code point → string for ``str.translate``, filled on first sight of each character."""

    def __init__(self, fn: Callable[[str], str]) -> None:
        super().__init__()
        self._fn = fn

    def __missing__(self, cp: int) -> str:
        value = self[cp] = self._fn(chr(cp))
        return value


def _class_and_fold(ch: str) -> str:
    """Class character + folded character ("\0" for a gap): one ``str.translate`` pass gives
    both strings (split by slicing), about a quarter faster than two passes."""
    folded = fold_char(ch)
    if len(folded) > 1 or "\0" in folded:
        return "M\0"  # folds to several characters (or to the gap marker): the slow path
    return _char_class(ch) + (folded or "\0")


_FOLDS = _Table(fold_char)
_CLASS_AND_FOLD = _Table(_class_and_fold)
# kept units (everything but gaps) as 1, gaps as 0, over the ASCII class string
_KEEP = bytes(0 if chr(b) in " iS" else 1 for b in range(256))
# a token (letters and leet characters) holding both: only these can have leetspeak
_LEET_TOKEN = re.compile(r"(?<![acghDS])(?=[acghDS]*[DS])(?=[acghDS]*[acgh])[acghDS]+")
# a word (letters and invisible gaps) mixing Latin, Cyrillic or Greek letters
_MIXED_WORD = re.compile(
    r"(?<![acghi])(?:(?=[acghi]*a)(?=[acghi]*[cg])|(?=[acghi]*c)(?=[acghi]*g))[acghi]+"
)
# three decimal digits in a row: _token_leet refuses a token with a digit run over two
_DIGIT_RUN = re.compile(r"\d{3}")
_REPEAT = re.compile(r"([^\W\d_\u3400-\u9fff\uf900-\ufaff])\1+")


def _classes_and_folds(text: str) -> tuple[str, str]:
    """(class string, folded text) of ``text``: see :func:`_class_and_fold`."""
    both = text.translate(_CLASS_AND_FOLD)
    return both[::2], both[1::2].replace("\0", "")


def _may_mix_scripts(cls: str) -> bool:
    """Cheap gate for :data:`_MIXED_WORD`: a mixed word needs two of the scripts in the text."""
    return ("a" in cls) + ("c" in cls) + ("g" in cls) >= 2


def _normalize_fast(text: str) -> Normalized | None:
    """:func:`normalize_reference` through C-level passes, or None when the text needs it."""
    cls, out = _classes_and_folds(text)
    if "M" in cls:
        return None
    leet: set[int] = set()
    if "D" in cls or "S" in cls:
        for m in _LEET_TOKEN.finditer(cls):
            i, j = m.span()
            if _DIGIT_RUN.search(text, i, j):
                continue  # a number like "AE88213409": _token_leet reads no leetspeak there
            folded = [""] * i + [fold_char(ch) for ch in text[i:j]]
            _token_leet(text, folded, i, j, leet)
    if leet:
        chars = list(text)
        for i in leet:
            chars[i] = LEET[text[i]]
        cls, out = _classes_and_folds("".join(chars))
    if _may_mix_scripts(cls) and _MIXED_WORD.search(cls):
        return None
    keep = cls.encode().translate(_KEEP)
    n = len(text)
    if _REPEAT.search(out) is None:  # most texts: the maps straight from the kept units
        starts = tuple(compress(range(n), keep))
        ends = tuple(compress(range(1, n + 1), keep))
        return Normalized(out, starts, ends, None, text, frozenset(), frozenset(leet))
    starts_l = list(compress(range(n), keep))
    ends_l = list(compress(range(1, n + 1), keep))
    out, reps = _collapse_runs(out, starts_l, ends_l, keep, n)
    return Normalized(
        out, tuple(starts_l), tuple(ends_l), None, text, frozenset(reps), frozenset(leet)
    )


def _collapse_runs(
    out: str, starts: list[int], ends: list[int], keep: bytes, n: int
) -> tuple[str, set[int]]:
    """Collapse repeated letters like :func:`normalize_reference` (in place on the maps)."""
    drop: list[int] = []
    reps: list[int] = []
    for m in _REPEAT.finditer(out):
        letter = m.group(1)
        if not letter.isalpha() or is_han(letter):
            continue
        first, stop = m.span()
        if starts[stop - 1] - starts[first] == stop - 1 - first:
            # most runs ("will", "good"): adjacent original characters, all fold into the first
            ends[first] = ends[stop - 1]
            reps.append(first)
            drop.extend(range(first + 1, stop))
        else:
            _collapse_gapped_run(first, stop, starts, ends, keep, n, drop, reps)
    if not drop:
        return out, set(reps)
    mask = bytearray(b"\x01") * len(out)
    for k in drop:
        mask[k] = 0
    starts[:] = compress(starts, mask)
    ends[:] = compress(ends, mask)
    # a unit's new index: minus the dropped units before it (both lists are sorted)
    renumbered = {k - bisect.bisect_left(drop, k) for k in reps}
    return "".join(compress(out, mask)), renumbered


def _collapse_gapped_run(
    first: int,
    stop: int,
    starts: list[int],
    ends: list[int],
    keep: bytes,
    n: int,
    drop: list[int],
    reps: list[int],
) -> None:
    """:func:`_collapse_runs` for a run of units [first, stop) with gaps between some of them:
    across a gap, only one-letter pieces collapse ("s a p p", not "is shit")."""

    def single(i: int) -> bool:
        return (i == 0 or not keep[i - 1]) and (i + 1 >= n or not keep[i + 1])

    last = first  # the unit the run collapses into
    for k in range(first + 1, stop):
        i = starts[k]
        if i == starts[k - 1] + 1:
            alone = True  # no gap in between
        else:
            alone = single(starts[last]) and (i + 1 >= n or not keep[i + 1])
        if alone:
            ends[last] = i + 1
            if not reps or reps[-1] != last:
                reps.append(last)
            drop.append(k)
        else:
            last = k


_RUN = re.compile(r"([^\W\d_\u3400-\u9fff\uf900-\ufaff])\1+")
# terms the normalizer must fold: Latin next to Cyrillic/Greek (look-alikes), leetspeak
_MIXED_OR_LEET = re.compile(
    r"[a-zA-Z][\u0370-\u04ff]|[\u0370-\u04ff][a-zA-Z]|[" + re.escape("".join(LEET)) + "]"
)


@functools.lru_cache(maxsize=1 << 18)
def fold_key(term: str) -> str:
    """The normalized form of a dictionary term (what the automaton stores).

    Equal to ``normalize(term).text``; plain words take a shortcut so that compiling 50,000
    terms stays well under a second.
    """
    if _MIXED_OR_LEET.search(term):
        return normalize(term).text
    # whitespace folds to nothing: without a letter run the whole term folds in one pass
    folded = term.translate(_FOLDS)
    if _RUN.search(folded) is None:
        return folded
    # runs collapse within a word, never across words ("is shit")
    return "".join([_RUN.sub(r"\1", word.translate(_FOLDS)) for word in term.split()])


@dataclass(frozen=True, slots=True)
class PinyinView:
    """The normalized text with Han characters (and digits) spelled in toneless pinyin.

    Attributes:
        text: the pinyin-spelled text.
        units: for each character of ``text``, the index of the normalized unit it spells.
        unit_start: True where a character is the first letter of its unit.
    """

    text: str
    units: tuple[int, ...]
    unit_start: tuple[bool, ...]


def pinyin_view(norm: Normalized) -> PinyinView:
    """Spell Han characters and digits of ``norm`` in pinyin; other letters stay as they are."""
    speller = _pinyin_speller()
    spelled = speller.spell(norm.text) if speller is not None else None
    if spelled is None:
        return pinyin_view_python(norm)
    return PinyinView(*spelled)


@functools.cache
def _pinyin_speller() -> PinyinSpeller | None:
    """The compiled speller (``_fastview``), when the extension is built."""
    try:
        from crossdesk.guard._fastview import PinyinSpeller
    except ImportError:
        return None
    from crossdesk.guard.view_tables import view_tables

    return PinyinSpeller(view_tables())


def pinyin_view_python(norm: Normalized) -> PinyinView:
    """:func:`pinyin_view` character by character (the reference the compiled one is tested
    against; it also spells the Hanzi outside the compiled tables)."""
    chars: list[str] = []
    units: list[int] = []
    first: list[bool] = []
    for idx, ch in enumerate(norm.text):
        spelled = pinyin_of(ch) or ch
        for pos, part in enumerate(spelled):
            if chars and chars[-1] == part and part.isalpha():
                continue  # collapse runs exactly like the fast path does
            chars.append(part)
            units.append(idx)
            first.append(pos == 0)
    return PinyinView("".join(chars), tuple(units), tuple(first))
