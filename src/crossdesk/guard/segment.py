"""Chinese word-boundary check: is a Hanzi hit a real word, or two words that touch?

"过去死活" contains 去死 ("go die") but reads 过去 / 死活; "扣扣子" is 扣 / 扣子 (button a
button), not 扣扣 (QQ). The check segments a few characters around the hit with jieba's
dictionary (the term added as a word) and refuses the hit when a word crosses its edges.
"""

from __future__ import annotations

import functools
import logging
import threading
from typing import Any

_lock = threading.Lock()


@functools.cache
def _tokenizer() -> Any:  # Any: jieba ships no type information
    import jieba  # type: ignore[import-untyped]  # jieba ships no type information

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


LISTED_WORD_FREQ = 300  # a listed term is a word of moderate frequency ("微信号" = 微信/号)
VERDICTS_KEPT = 1 << 16  # remembered crosses_word answers (chat repeats the same contexts)

# crosses_word answers for the segmenter's current dictionary: adding a word can change how
# jieba cuts any text, so the answers are forgotten whenever a word is added
_verdicts: dict[tuple[str, int, int, str | None, bool], bool] = {}


@functools.cache
def _added(word: str, listed: bool) -> bool:
    _verdicts.clear()
    tk = _tokenizer()
    freq = max(tk.suggest_freq(word, False), tk.FREQ.get(word) or 0)
    # a listed term competes as a real word; a variant spelling ("扣扣") only barely, so that
    # ordinary words around it ("扣/扣子") still win
    tk.add_word(word, max(freq, LISTED_WORD_FREQ) if listed else freq)
    return True


def word_frequency(word: str) -> int:
    """jieba dictionary frequency of ``word`` (0 when it is not a dictionary word)."""
    freq: int = _tokenizer().FREQ.get(word) or 0
    return freq


def crosses_word(
    context: str, start: int, end: int, term: str | None = None, listed: bool = True
) -> bool:
    """True when a word of ``context`` straddles ``start`` or ``end`` of the hit.

    Args:
        context: the normalized Hanzi around the hit.
        start: the hit's start in ``context``.
        end: the hit's end in ``context``.
        term: the dictionary word to add to the segmenter (default: the hit itself; a
            homophone passes its term so the look-alike spelling gets no help).
        listed: the hit is a listed term (not a variant spelling).
    """
    key = (context, start, end, term, listed)
    with _lock:
        _added(term or context[start:end], listed)  # (first: it may forget the answers)
        verdict = _verdicts.get(key)
        if verdict is None:
            if len(_verdicts) >= VERDICTS_KEPT:
                _verdicts.clear()
            verdict = _verdicts[key] = _cut_crosses(context, start, end)
    return verdict


def _cut_crosses(context: str, start: int, end: int) -> bool:
    """:func:`crosses_word` with the segmenter as it is now (the caller holds the lock)."""
    pos = 0
    for token in _tokenizer().cut(context, HMM=False):
        t0, t1 = pos, pos + len(token)
        pos = t1
        if t0 < start < t1 or t0 < end < t1:
            # a longer word that merely ends with a particle (去死吧) still carries the term
            if t0 == start and t1 - end == 1 and token[-1] in "吧啊呀了吗呢们的号":
                continue
            return True
    return False
