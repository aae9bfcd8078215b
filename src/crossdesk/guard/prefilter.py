"""The fast path: can this message contain a hit at all?

Most chat messages are clean. For them the guard must cost no more than a naive filter, so it
first folds the whole message with C-level string operations (case fold, NFKD, one translate,
two regex substitutions) into the same key space as the automaton and asks ahocorasick-rs for
any occurrence. Only messages that may hold a hit (a few percent) pay for the exact,
offset-keeping normalizer and the boundary checks. The pre-filter may say yes too often,
never too rarely: it folds at least as aggressively as the exact path.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from crossdesk.guard.folding import _ARABIC, LEET, _t2s_table, pinyin_of
from crossdesk.guard.matcher import Automaton

_GAPS = re.compile(r"[\W_\u0640]+")
_RUNS = re.compile(r"([^\W\d_\u3400-\u9fff\uf900-\ufaff])\1+")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Messages the fast path cannot judge alone go straight to the exact path: a word mixing Latin
# with Cyrillic/Greek letters (look-alikes), letters drawn as symbols, masked letters ("a**").
_SUSPECT = re.compile(
    r"[a-z][\u0370-\u03ff\u0400-\u04ff]|[\u0370-\u03ff\u0400-\u04ff][a-z]"
    r"|[\U0001f130-\U0001f189]|\w\*|[a-z][A-Z]"
)
_LEET_CHARS = re.escape("".join(LEET))
_LEET_WORD = re.compile(rf"[^\W\d_][{_LEET_CHARS}]|[{_LEET_CHARS}][^\W\d_]")
_LATIN_TOKEN = re.compile(r"[a-z]{2,8}")


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


def warm_up() -> None:
    """Build the lazily computed tables now (a server calls this at start-up)."""
    _fix_re()
    _leet_table()
    pinyin_table()


class Prefilter:
    """Answers "may this text hold a hit?" cheaply.

    Args:
        main: automaton over the normalized keys.
        homophones: automaton over pinyin keys (None when no list uses pinyin).
        initials: pinyin initials checked on whole Latin tokens in Chinese text.
    """

    def __init__(
        self, main: Automaton, homophones: Automaton | None, initials: frozenset[str]
    ) -> None:
        self._main = main
        self._homophones = homophones
        self._initials = initials

    def may_match(self, text: str) -> bool:
        """False only when no term, variant or homophone can match ``text``."""
        s = text.casefold()
        if not s.isascii():
            s = unicodedata.normalize("NFKD", s)
            if _fix_re().search(s):
                s = s.translate(_fix_table())
        if _SUSPECT.search(s) or _SUSPECT.search(text):
            return True
        key = _RUNS.sub(r"\1", _GAPS.sub("", s))
        if self._main.any(key):
            return True
        if _LEET_WORD.search(s):
            leet_text = s.translate(_leet_table())
            leet = _RUNS.sub(r"\1", _GAPS.sub("", leet_text))
            if _SUSPECT.search(leet_text) or self._main.any(leet):
                return True
        if (self._homophones is not None or self._initials) and _HAN.search(key):
            if self._homophones is not None:
                spelled = _RUNS.sub(r"\1", key.translate(pinyin_table()))
                if self._homophones.any(spelled):
                    return True
            if any(tok in self._initials for tok in _LATIN_TOKEN.findall(s)):
                return True
        return False
