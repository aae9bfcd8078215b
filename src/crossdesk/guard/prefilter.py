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
    """Build the lazily computed tables now (a server calls this at start-up).

    Loads the t2s, leetspeak and pinyin tables and jieba's dictionary (about a second), so
    that the first Chinese hit does not pay for them.
    """
    from crossdesk.guard.folding import confusables
    from crossdesk.guard.segment import word_frequency

    _fix_re()
    _leet_table()
    pinyin_table()
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


class Prefilter:
    """Answers "may this text hold a hit?" cheaply.

    Args:
        gapless: automaton over keys searched in the text with every gap removed.
        spaced: automaton over " key" searched in the text with gaps as one space.
        word_keys: the same keys without the space, searched gapless in Chinese text only
            (where Latin words touch Hanzi: "加我qq", "你VX多少").
        homophones: automaton over pinyin keys (None when no list uses pinyin).
        initials: pinyin initials checked on whole Latin tokens in Chinese text.
    """

    def __init__(
        self,
        gapless: Automaton,
        spaced: Automaton,
        word_keys: Automaton,
        homophones: Automaton | None,
        initials: frozenset[str],
    ) -> None:
        self._gapless = gapless
        self._spaced = spaced
        self._word_keys = word_keys
        self._homophones = homophones
        self._initials = initials

    def _hit(self, s: str) -> bool:
        spaced = _RUNS.sub(r"\1", " " + _GAPS.sub(" ", s) + " ")
        # runs split by a gap ("a s s h o l e") collapse like the exact path does
        key = _RUNS.sub(r"\1", spaced.replace(" ", ""))
        if self._gapless.any(key) or self._spaced.any(spaced):
            return True
        return _HAN.search(key) is not None and self._word_keys.any(key)

    def may_match(self, text: str) -> bool:
        """False only when no term, variant or homophone can match ``text``."""
        s = text.casefold()
        if not s.isascii():
            s = unicodedata.normalize("NFKD", s)
            if _fix_re().search(s):
                s = s.translate(_fix_table())
        if _suspect(s):
            return True
        if self._hit(s):
            return True
        if _LEET_WORD.search(s):
            leet_text = s.translate(_leet_table())
            if _suspect(leet_text) or self._hit(leet_text):
                return True
        if (self._homophones is not None or self._initials) and _HAN.search(s):
            key = _GAPS.sub("", s)
            if self._homophones is not None:
                spelled = _RUNS.sub(r"\1", key.translate(pinyin_table()))
                if self._homophones.any(spelled):
                    return True
            if any(tok in self._initials for tok in _LATIN_TOKEN.findall(s)):
                return True
        return False
