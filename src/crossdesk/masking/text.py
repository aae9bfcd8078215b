"""Text folding shared by the recognizers.

Folding maps look-alike characters to ASCII one character for one character, so an offset
in the folded text is the same offset in the original: full-width forms (１２３, ＠, －),
every Unicode decimal digit (Arabic-Indic ٠١٢, Devanagari, Thai ...), typographic dashes and
the ideographic space.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63"


@cache
def _fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x80, 0x10000):
        ch = chr(code)
        value = unicodedata.decimal(ch, None)
        if value is not None:
            table[code] = str(value)
    for code in range(0xFF01, 0xFF5F):  # full-width ASCII block
        table[code] = chr(code - 0xFEE0)
    table[0x3000] = " "
    table[0x00A0] = " "
    table[0x202F] = " "
    for dash in _DASHES:
        table[ord(dash)] = "-"
    # The katakana long-vowel mark (ー) is not folded: it is a letter in Japanese words
    # (パスポート); the phone pattern accepts it as a separator between digits instead.
    return table


@cache
def _foldable() -> re.Pattern[str]:
    """Any character of the fold table (most non-ASCII messages hold none)."""
    return re.compile("[" + "".join(re.escape(chr(code)) for code in sorted(_fold_table())) + "]")


def fold(text: str) -> str:
    """Return ``text`` with look-alike characters folded to ASCII, same length."""
    if text.isascii() or _foldable().search(text) is None:
        return text  # nothing to fold; the common case, and translate() is per character
    folded = text.translate(_fold_table())
    if len(folded) != len(text):  # pragma: no cover - the table maps 1:1 by construction
        raise AssertionError("fold changed the text length")
    return folded


_LETTER_O_IN_NUMBER = re.compile(r"(?<![A-Za-z])(?=[0-9Oo]*[0-9])[0-9Oo]{2,}(?![A-Za-z])")
# A run of [0-9Oo] holding both a digit and an O has a digit next to an O somewhere: the
# substitution can only change the text when this much cheaper pattern matches.
_DIGIT_NEXT_TO_O = re.compile(r"[0-9][Oo]|[Oo][0-9]")


def fold_letter_o(folded: str) -> str:
    """Replace the letters O/o used as zeros inside digit runs ("O7931 97O8OO")."""
    if _DIGIT_NEXT_TO_O.search(folded) is None:
        return folded

    def repl(match: re.Match[str]) -> str:
        return match.group().replace("O", "0").replace("o", "0")

    return _LETTER_O_IN_NUMBER.sub(repl, folded)


def digits_only(value: str) -> str:
    """The ASCII digits of ``value`` after folding."""
    return "".join(ch for ch in fold(value) if "0" <= ch <= "9")


def is_ascii_alnum(ch: str) -> bool:
    """ASCII letter or digit: the boundary test for codes (CJK letters are not boundaries)."""
    return ch.isascii() and ch.isalnum()
