"""Per-character tables for the compiled pre-filter (``_fastview``).

The Python pre-filter folds a whole message with string passes (case fold, NFKD, traditional
characters and Arabic variants, gaps). Each of those is a per-character mapping, so their
composition is too: these tables spell it out for every BMP code point, once, so that the
compiled pass reads one table entry per character. Characters for which the composition is not
per-character (a decomposition longer than three characters, a kept combining mark that NFKD
could reorder) are marked: the compiled pass leaves such messages to the Python pre-filter.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from array import array
from dataclasses import dataclass

from crossdesk.guard.prefilter import _ODD, _fix_table, _odd_char, pinyin_table, syllable_table

# flags of a folded character (before gaps are mapped), see _fastview.pyx
WORD = 1  # \w
LETTER = 2  # [^\W\d_]
ZERO_WIDTH = 4  # [\u200b-\u200f\u2060\ufeff]
ALPHA = 8  # str.isalpha
HAN = 16  # [\u3400-\u9fff\uf900-\ufaff]
INSTANT = 32  # styled letters and Hanzi outside the basic blocks: the exact path decides
GAP = 64  # the gap mapping changes the character

DEFER = 255  # in FOLD_LEN: the compiled pass cannot fold this character alone
SAME = 254  # in FOLD_LEN: the character folds to itself (the common case, no table read)
REMOVED = 0xFFFFFFFF  # in GAP: the character disappears (invisible)
MAX_FOLD = 3

_WORD_RE = re.compile(r"\w")
_LETTER_RE = re.compile(r"[^\W\d_]")
_ZERO_WIDTH_RE = re.compile(r"[\u200b-\u200f\u2060\ufeff]")
_HAN_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_INSTANT_RE = re.compile(r"[\U0001f130-\U0001f189\U00020000-\U0002fa1f]")


def char_info(ch: str) -> tuple[int, int]:
    """The flags of ``ch`` as a folded character, and what the gap mapping makes of it."""
    gap = gap_char(ch)
    flags = GAP if gap != ord(ch) else 0
    if _WORD_RE.match(ch):
        flags |= WORD
    if _LETTER_RE.match(ch):
        flags |= LETTER
    if _ZERO_WIDTH_RE.match(ch):
        flags |= ZERO_WIDTH
    if ch.isalpha():
        flags |= ALPHA
    if _HAN_RE.match(ch):
        flags |= HAN
    if _INSTANT_RE.match(ch):
        flags |= INSTANT
    return flags, gap


def gap_char(ch: str) -> int:
    """The code point ``_gaps_to_spaces`` turns ``ch`` into, or REMOVED."""
    if not _ODD.match(ch):
        return ord(ch)
    out = _odd_char(ch)
    return ord(out) if out else REMOVED


def fold_of(cp: int) -> str | None:
    """What the string passes make of ``cp`` before gaps are mapped; None when that is not
    per-character (see the module docstring)."""
    unfixed = unicodedata.normalize("NFKD", chr(cp).casefold())
    folded = unfixed.translate(_fix_table())
    if len(folded) > MAX_FOLD or bool(_HAN_RE.search(unfixed)) != bool(_HAN_RE.search(folded)):
        return None  # (the Python pass tells Chinese text before it replaces characters)
    for ch in folded:
        if unicodedata.combining(ch) and gap_char(ch) != REMOVED:
            return None  # a kept combining mark: NFKD of the whole text could reorder it
    return folded


def folded_info(cp: int) -> tuple[tuple[int, int, int], ...] | None:
    """(folded code point, its flags, its gap mapping) per character ``cp`` folds to, or
    None (see :func:`fold_of`). The compiled pass asks this for characters above the BMP."""
    folded = fold_of(cp)
    if folded is None:
        return None
    return tuple((ord(ch), *char_info(ch)) for ch in folded)


@dataclass(frozen=True)
class ViewTables:
    """The BMP tables handed to the compiled pass (flat arrays, indexed by code point)."""

    fold_len: bytes  # characters ``cp`` folds to (0..3) or DEFER
    fold: array[int]  # 3 per code point: the folded characters
    flags: bytes  # per code point, flags of the character as a folded one
    gap: array[int]  # per code point: gap mapping (REMOVED: invisible)
    syllable: array[int]  # per code point: its syllable character (0: maps to itself)
    pinyin_at: array[int]  # per code point: where its pinyin begins in ``pinyin`` (0: none)
    pinyin_len: bytes  # per code point: length of its pinyin
    pinyin: bytes  # toneless pinyin readings, ASCII letters (one leading byte unused)


@functools.cache
def view_tables() -> ViewTables:
    """Build the tables (about half a second, once per process; ``warm_up`` calls this)."""
    size = 0x10000
    fold_len = bytearray(size)
    fold = array("I", bytes(4 * MAX_FOLD * size))
    flags = bytearray(size)
    gap = array("I", bytes(4 * size))
    syllable = array("I", bytes(4 * size))
    pinyin_at = array("I", bytes(4 * size))
    pinyin_len = bytearray(size)
    blob = bytearray(b"\x00")
    for cp, reading in pinyin_table().items():
        if cp < size:
            pinyin_at[cp] = len(blob)
            pinyin_len[cp] = len(reading)
            blob += reading.encode("ascii")
    for cp, spelled in syllable_table().items():
        if cp < size and len(spelled) == 1 and ord(spelled) != cp:
            syllable[cp] = ord(spelled)
    for cp in range(size):
        ch = chr(cp)
        flags[cp], gap[cp] = char_info(ch)
        if 0xD800 <= cp <= 0xDFFF:  # lone surrogates: the Python pass decides
            gap[cp] = REMOVED
            fold_len[cp] = DEFER
            continue
        folded = fold_of(cp)
        if folded is None or any(ord(c) >= size for c in folded):
            fold_len[cp] = DEFER
        elif folded == ch:
            fold_len[cp] = SAME
        else:
            fold_len[cp] = len(folded)
            for k, c in enumerate(folded):
                fold[cp * MAX_FOLD + k] = ord(c)
    return ViewTables(
        bytes(fold_len),
        fold,
        bytes(flags),
        gap,
        syllable,
        pinyin_at,
        bytes(pinyin_len),
        bytes(blob),
    )
